//! NuGet versions, parsed as NuGet.Versioning's `NuGetVersion.TryParse` and ordered as its
//! `VersionComparer.Default`: up to four numeric parts (missing parts are zero, leading zeros
//! allowed), then release labels compared label by label (numbers numerically and before text,
//! text case-insensitively), build metadata ignored.
//!
//! Not mirrored: `System.Version` also reads a sign or blanks inside the numeric parts
//! (`+1.0`, `1. 0`); those are rejected here.

use std::cmp::Ordering;

#[derive(Clone, Debug)]
pub(crate) struct NuGetVersion {
    parts: [u32; 4],
    pub(crate) release: Vec<String>,
}

impl NuGetVersion {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        // NuGet trims the value first
        let s = s.trim();
        if s.is_empty() {
            return Err("version string is empty".into());
        }
        let (rest, metadata) = match s.split_once('+') {
            Some((r, m)) => (r, Some(m)),
            None => (s, None),
        };
        if let Some(m) = metadata
            && (m.is_empty()
                || m.split('.').any(|p| {
                    p.is_empty() || !p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                }))
        {
            return Err("invalid build metadata".into());
        }
        let (numbers, labels) = match rest.split_once('-') {
            Some((n, l)) => (n, Some(l)),
            None => (rest, None),
        };
        let mut parts = [0u32; 4];
        let fields: Vec<&str> = numbers.split('.').collect();
        if fields.len() > 4 {
            return Err("more than four numeric parts".into());
        }
        for (i, f) in fields.iter().enumerate() {
            if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) {
                return Err(format!("numeric part {} (`{f}`) is not a number", i + 1));
            }
            parts[i] = f
                .parse::<u32>()
                .ok()
                .filter(|n| *n <= i32::MAX as u32)
                .ok_or_else(|| format!("numeric part `{f}` is too large"))?;
        }
        let mut release = Vec::new();
        if let Some(l) = labels {
            for label in l.split('.') {
                if label.is_empty()
                    || !label
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                {
                    return Err(format!("invalid release label `{label}`"));
                }
                // `IsValidPart(label, allowLeadingZeros: false)`: `0` and `0a` are fine
                if label.len() > 1
                    && label.starts_with('0')
                    && label.bytes().all(|c| c.is_ascii_digit())
                {
                    return Err(format!(
                        "numeric release label `{label}` has a leading zero"
                    ));
                }
                release.push(label.to_owned());
            }
        }
        Ok(NuGetVersion { parts, release })
    }
}

fn as_number(label: &str) -> Option<i32> {
    label.parse::<i32>().ok()
}

fn cmp_label(a: &str, b: &str) -> Ordering {
    match (as_number(a), as_number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.release.is_empty(), other.release.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.release.iter().zip(&other.release) {
                        match cmp_label(a, b) {
                            Ordering::Equal => {}
                            o => return o,
                        }
                    }
                    self.release.len().cmp(&other.release.len())
                }
            }
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}
