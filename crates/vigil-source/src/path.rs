//! Path normalisation inside a virtual root.

/// Normalise an archive or relative path to an absolute `/`-separated path inside the root.
///
/// `.` components vanish, `..` removes the previous component. Returns `None` when the path
/// climbs above the root (`../../etc/passwd`): such entries are never visited. A leading `/`
/// is accepted and means the root.
pub fn normalize(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// Resolve a symlink target the way a process chrooted into the root would: an absolute
/// target starts at the root, `..` stops at the root. The result never leaves the root.
pub fn resolve_in_root(link_path: &str, target: &str) -> String {
    let base = if target.starts_with('/') {
        String::new()
    } else {
        match link_path.rfind('/') {
            Some(i) => link_path[..i].to_owned(),
            None => String::new(),
        }
    };
    let joined = format!("{base}/{target}");
    let mut parts: Vec<&str> = Vec::new();
    for comp in joined.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::new();
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_archive_paths() {
        assert_eq!(normalize("./usr/lib/x").as_deref(), Some("/usr/lib/x"));
        assert_eq!(normalize("/etc//passwd").as_deref(), Some("/etc/passwd"));
        assert_eq!(normalize("a/b/../c").as_deref(), Some("/a/c"));
        assert_eq!(normalize("./").as_deref(), Some("/"));
        assert_eq!(normalize("../etc/passwd"), None);
        assert_eq!(normalize("a/../../x"), None);
    }

    #[test]
    fn symlinks_never_leave_the_root() {
        assert_eq!(
            resolve_in_root("/etc/os-release", "../usr/lib/os-release"),
            "/usr/lib/os-release"
        );
        assert_eq!(
            resolve_in_root("/a/b", "../../../../etc/shadow"),
            "/etc/shadow"
        );
        assert_eq!(resolve_in_root("/a/b", "/x/y"), "/x/y");
        assert_eq!(resolve_in_root("/a", ".."), "/");
    }
}
