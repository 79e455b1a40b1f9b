//! Semver (crates.io, Bitnami): Vigil uses the `semver` crate itself, the reference Cargo uses,
//! so there is no separate Rust oracle to run. Instead its precedence is checked against node
//! `semver` 7.7.2 on the strings that both accept: SemVer 2.0 precedence is the same spec.
//!
//! Two documented differences are not differential failures:
//! - acceptance: the crate takes numbers up to `u64::MAX` and any length, node stops at
//!   `Number.MAX_SAFE_INTEGER` and 256 characters; node takes a `v` prefix, the crate does not;
//! - ordering: node compares numeric pre-release identifiers at or above 2^53 as rounded doubles,
//!   the crate exactly. Pairs with such identifiers are left out of the sample and only the
//!   explicit `KNOWN` pairs below show the difference.

use vigil_version::Scheme;

use crate::corpus;
use crate::harness::{Diff, Known};
use crate::npm_semver::node_oracle;
use crate::sampling::{Lcg, Mix, MixPlan, mix};
use crate::semver_common::{TOKENS, edge_families, has_big_numeric_pre, random_version};

const KNOWN: &[Known] = &[
    Known {
        a: "1.0.0-9007199254740993",
        b: "1.0.0-9007199254740992",
        reason: "node compares numeric pre-release identifiers >= 2^53 as doubles (equal here); \
                 the semver crate compares them exactly",
    },
    Known {
        a: "1.0.0-18446744073709551617",
        b: "1.0.0-18446744073709551616",
        reason: "same: node rounds both to 2^64 as a double",
    },
];

#[test]
fn semver_differential() {
    let mut rng = Lcg::new(0x5e3f);
    let real = [corpus::crates_io(), corpus::bitnami(), corpus::npm_wg()];
    let edges = edge_families();
    let Mix { pairs, versions } = mix(
        &real,
        &edges,
        TOKENS,
        &mut random_version,
        MixPlan {
            within_each: 1200,
            mutated_real: 2000,
            random_generated: 1200,
            mutated_generated: 1000,
        },
        &mut rng,
    );
    let mut list = pairs.list;
    list.retain(|(a, b)| !has_big_numeric_pre(a) && !has_big_numeric_pre(b));

    Diff {
        scheme: Scheme::Semver,
        versions,
        pairs: list,
        known: KNOWN,
        parse_diff: &|v, ours, _| {
            let t = v.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            let core = t.split(['-', '+']).next().unwrap_or(t);
            if ours {
                if core
                    .split('.')
                    .any(|n| n.parse::<u64>().is_ok_and(|n| n > (1 << 53) - 1))
                {
                    return Some(
                        "a number above 2^53 - 1 (node's MAX_SAFE_INTEGER; the crate takes u64)",
                    );
                }
                if v.encode_utf16().count() > 256 {
                    return Some("longer than node's 256-character limit");
                }
                if v.trim() != v {
                    return Some("surrounding whitespace JavaScript's trim keeps (U+0085)");
                }
            } else {
                if t.starts_with('v') {
                    return Some("a `v` prefix (node strips it, the crate rejects it)");
                }
                if v.trim() != t {
                    return Some("a surrounding U+FEFF (JavaScript's trim strips it)");
                }
            }
            None
        },
        to_ref: &|v| v.to_owned(),
        min_pairs: 5000,
    }
    .run(node_oracle);
}
