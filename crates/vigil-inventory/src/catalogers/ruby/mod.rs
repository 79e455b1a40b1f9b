//! Ruby (RubyGems): installed gem specifications and `Gemfile.lock`.

pub mod gemfile_lock;
pub mod gemspec;

/// Whether a path lies inside an installed gem's directory (`…/gems/<name>-<version>/…`):
/// lockfiles found there are the gem's own development setup, not what was installed.
pub(crate) fn in_installed_gem(path: &str) -> bool {
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
    #[test]
    fn installed_gem_dirs() {
        assert!(super::in_installed_gem(
            "/usr/local/bundle/gems/rack-2.2.8/Gemfile.lock"
        ));
        assert!(super::in_installed_gem(
            "/var/lib/gems/3.1.0/gems/nokogiri-1.13.10-x86_64-linux/Gemfile.lock"
        ));
        assert!(!super::in_installed_gem("/srv/app/Gemfile.lock"));
        assert!(!super::in_installed_gem("/srv/gems/app/Gemfile.lock"));
    }
}
