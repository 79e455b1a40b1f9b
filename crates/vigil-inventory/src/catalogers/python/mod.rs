//! Python: installed distributions and declared requirements.

pub mod installed;
pub mod pipfile_lock;
pub mod poetry_lock;
pub mod requirements;
pub mod uv_lock;

/// Largest Python lockfile we read.
const MAX_LOCKFILE: u64 = 64 << 20;

#[cfg(test)]
pub(crate) mod tests_support {
    /// `name@version` of a `pip freeze` listing, names normalised as PEP 503 says (lowercase,
    /// runs of `-_.` as one `-`), sorted: lockfiles write normalised names, `pip freeze`
    /// writes the distribution's own spelling (`Jinja2`).
    pub(crate) fn freeze_ids(text: &[u8]) -> Vec<String> {
        let text = std::str::from_utf8(text).expect("utf-8");
        let mut out: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once("=="))
            .map(|(n, v)| {
                let mut norm = String::new();
                for c in n.trim().chars() {
                    if matches!(c, '-' | '_' | '.') {
                        if !norm.ends_with('-') {
                            norm.push('-');
                        }
                    } else {
                        norm.push(c.to_ascii_lowercase());
                    }
                }
                format!("{norm}@{}", v.trim())
            })
            .collect();
        out.sort();
        out
    }
}
