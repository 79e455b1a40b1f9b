//! Licence strings as packages state them, turned into SPDX identifiers and expressions.

use crate::spdx_ids::SPDX_IDS;

/// The canonical SPDX identifier for `s` (matched case-insensitively), if it is one.
pub(crate) fn spdx_id(s: &str) -> Option<&'static str> {
    let s = s.trim();
    // identifiers are sorted case-sensitively; compare case-insensitively with a linear scan
    // only when the exact match fails (rare and the list is small)
    SPDX_IDS
        .binary_search(&s)
        .ok()
        .map(|i| SPDX_IDS[i])
        .or_else(|| {
            SPDX_IDS
                .iter()
                .copied()
                .find(|id| id.eq_ignore_ascii_case(s))
        })
}

/// A valid SPDX licence expression built only from listed identifiers (`MIT OR Apache-2.0`,
/// `GPL-2.0-or-later WITH Classpath-exception-2.0`), normalised to canonical case.
pub(crate) fn spdx_expression(s: &str) -> Option<String> {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    if tokens.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut expect_operand = true;
    let mut depth = 0i32;
    for t in tokens {
        match t {
            "(" if expect_operand => {
                depth += 1;
                out.push("(".to_owned());
            }
            ")" if !expect_operand => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
                out.push(")".to_owned());
            }
            op if !expect_operand
                && ["AND", "OR", "WITH"].contains(&op.to_ascii_uppercase().as_str()) =>
            {
                out.push(op.to_ascii_uppercase());
                expect_operand = true;
            }
            id if expect_operand => {
                let (base, plus) = match id.strip_suffix('+') {
                    Some(b) => (b, "+"),
                    None => (id, ""),
                };
                out.push(format!("{}{plus}", spdx_id(base)?));
                expect_operand = false;
            }
            _ => return None,
        }
    }
    (depth == 0 && !expect_operand).then(|| out.join(" ").replace("( ", "(").replace(" )", ")"))
}

/// A `LicenseRef-` identifier for a licence that is not on the SPDX list.
pub(crate) fn license_ref(s: &str) -> String {
    let mut id = String::from("LicenseRef-");
    let mut dash = false;
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            id.push(c);
            dash = false;
        } else if c == '+' {
            id.push_str("-plus");
            dash = false;
        } else if !dash {
            id.push('-');
            dash = true;
        }
    }
    while id.ends_with('-') {
        id.pop();
    }
    if id == "LicenseRef" || id == "LicenseRef-" {
        id = "LicenseRef-unknown".into();
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_expressions() {
        assert_eq!(spdx_id("mit"), Some("MIT"));
        assert_eq!(spdx_id("Apache-2.0"), Some("Apache-2.0"));
        assert_eq!(spdx_id("Apache 2.0"), None);
        assert_eq!(
            spdx_expression("MIT OR Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            spdx_expression("(mit or apache-2.0) AND BSD-3-Clause").as_deref(),
            Some("(MIT OR Apache-2.0) AND BSD-3-Clause")
        );
        assert_eq!(
            spdx_expression("GPL-2.0-or-later WITH Classpath-exception-2.0").as_deref(),
            Some("GPL-2.0-or-later WITH Classpath-exception-2.0")
        );
        assert_eq!(spdx_expression("MIT OR"), None);
        assert_eq!(spdx_expression("GPL-2+ or Artistic"), None);
        assert_eq!(license_ref("GPL-2+"), "LicenseRef-GPL-2-plus");
        assert_eq!(license_ref("Apache 2.0"), "LicenseRef-Apache-2.0");
    }
}
