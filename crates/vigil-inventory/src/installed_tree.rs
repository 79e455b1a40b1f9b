//! Where installed packages live. A lockfile or manifest found inside one of these trees is
//! that package's own development metadata (Debian ships `pnpm-lock.yaml` files in
//! `/usr/share/nodejs/*`, npm tarballs carry `package-lock.json`, the Cargo registry cache holds
//! every crate's `Cargo.lock`, an installed gem keeps its `Gemfile.lock`), not a statement
//! about what is installed. The engine keeps declared-kind catalogers away from these files;
//! this module is the one place that says which trees they are.

/// Path fragments of directories whose contents are installed packages.
const INSTALLED_TREES: &[&str] = &[
    "/node_modules/",
    "/site-packages/",
    "/dist-packages/",
    "/usr/share/nodejs/",
    "/usr/lib/nodejs/",
    "/.cargo/registry/",
    "/.cargo/git/",
    "/pkg/mod/",
    "/vendor/",
    "/.nuget/packages/",
];

/// Whether `path` lies inside a tree of installed packages.
pub(crate) fn inside_installed_tree(path: &str) -> bool {
    path.starts_with("node_modules/")
        || INSTALLED_TREES.iter().any(|t| path.contains(t))
        || in_installed_gem(path)
}

/// Inside an installed gem's directory (`…/gems/<name>-<version>/…`); a project that merely
/// sits in a directory called `gems` is not.
fn in_installed_gem(path: &str) -> bool {
    let mut parts = path.split('/').peekable();
    while let Some(p) = parts.next() {
        if p != "gems" {
            continue;
        }
        let versioned = parts
            .peek()
            .and_then(|next| next.split_once('-'))
            .is_some_and(|(_, rest)| {
                rest.split('-')
                    .any(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            });
        if versioned {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::inside_installed_tree as inside;

    #[test]
    fn installed_trees() {
        assert!(inside("/app/node_modules/foo/package-lock.json"));
        assert!(inside("node_modules/x/yarn.lock"));
        assert!(inside("/usr/share/nodejs/nanoid/pnpm-lock.yaml"));
        assert!(inside(
            "/usr/lib/python3/dist-packages/foo/requirements.txt"
        ));
        assert!(inside(
            "/root/.cargo/registry/src/index.crates.io-1/serde-1.0.0/Cargo.lock"
        ));
        assert!(inside(
            "/root/go/pkg/mod/github.com/gin-gonic/gin@v1.9.1/go.mod"
        ));
        assert!(inside("/var/www/app/vendor/foo/bar/composer.lock"));
        assert!(inside("/usr/local/bundle/gems/rack-2.2.8/Gemfile.lock"));
        assert!(inside(
            "/var/lib/gems/3.1.0/gems/nokogiri-1.13.10-x86_64-linux/Gemfile.lock"
        ));
        assert!(!inside("/srv/app/Gemfile.lock"));
        assert!(!inside("/srv/gems/app/Gemfile.lock"));
        assert!(!inside("/app/package-lock.json"));
        assert!(!inside("/src/app/go.mod"));
    }
}
