//! Deterministic sampling (a fixed-seed LCG, no `rand`) and generic generators shared by the
//! per-scheme modules: mutations of real versions, pairs within families, near-neighbour pairs.

use std::collections::BTreeSet;

/// Knuth's MMIX LCG; the high bits are good enough for sampling.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0.rotate_left(32)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// One of `words`.
    pub fn word<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }

    /// A random decimal number: mostly small, sometimes with leading zeros or long.
    pub fn number(&mut self) -> String {
        match self.below(20) {
            0 => format!("0{}", self.below(10)),
            1 => "0".repeat(1 + self.below(3)) + &self.below(100).to_string(),
            2 => self.long_digits(),
            3..=6 => self.below(10).to_string(),
            7..=9 => "0".to_owned(),
            10..=12 => (10 + self.below(90)).to_string(),
            13 => (100 + self.below(100_000)).to_string(),
            14 => format!(
                "20{:02}{:02}{:02}",
                self.below(30),
                1 + self.below(12),
                1 + self.below(28)
            ),
            _ => self.below(5).to_string(),
        }
    }

    /// 10 to 40 digits, sometimes around the 2^31, 2^53, 2^63 and 2^64 boundaries.
    pub fn long_digits(&mut self) -> String {
        let boundaries = [
            "2147483647",
            "2147483648",
            "4294967295",
            "4294967296",
            "9007199254740991",
            "9007199254740992",
            "9007199254740993",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999",
            "100000000000000000",
            "999999999999999999",
        ];
        if self.chance(50) {
            return self.word(&boundaries).to_owned();
        }
        let n = 10 + self.below(31);
        let mut s = String::with_capacity(n);
        s.push(char::from(b'1' + self.below(9) as u8));
        for _ in 1..n {
            s.push(char::from(b'0' + self.below(10) as u8));
        }
        s
    }

    /// Fisher-Yates.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

/// One random edit of `s`: insert, delete or replace a character or token, bump or pad a number.
pub fn mutate(s: &str, tokens: &[&str], rng: &mut Lcg) -> String {
    let chars: Vec<char> = s.chars().collect();
    let at = |rng: &mut Lcg| rng.below(chars.len() + 1);
    let mut out: String;
    match rng.below(9) {
        0 | 1 => {
            // insert a token
            let i = at(rng);
            out = chars[..i].iter().collect();
            out.push_str(rng.word(tokens));
            out.extend(&chars[i..]);
        }
        2 if !chars.is_empty() => {
            // delete a character
            let i = rng.below(chars.len());
            out = chars[..i].iter().chain(&chars[i + 1..]).collect();
        }
        3 => {
            // append a token
            out = s.to_owned();
            out.push_str(rng.word(tokens));
        }
        4 | 5 => {
            // change one digit run: bump, drop, pad with zeros, replace by another number
            let runs = digit_runs(&chars);
            if runs.is_empty() {
                out = format!("{s}{}", rng.number());
            } else {
                let (a, b) = *rng.pick(&runs);
                let run: String = chars[a..b].iter().collect();
                let new = match rng.below(4) {
                    0 => bump(&run),
                    1 => format!("0{run}"),
                    2 => rng.number(),
                    _ => {
                        if run.len() > 1 {
                            run[..run.len() - 1].to_owned()
                        } else {
                            bump(&run)
                        }
                    }
                };
                out = chars[..a].iter().collect();
                out.push_str(&new);
                out.extend(&chars[b..]);
            }
        }
        6 if !chars.is_empty() => {
            // replace a character by a token
            let i = rng.below(chars.len());
            out = chars[..i].iter().collect();
            out.push_str(rng.word(tokens));
            out.extend(&chars[i + 1..]);
        }
        7 => {
            // swap case of the whole string
            out = s
                .chars()
                .map(|c| {
                    if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect();
        }
        _ => {
            // truncate
            let i = at(rng);
            out = chars[..i].iter().collect();
        }
    }
    out
}

fn digit_runs(chars: &[char]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// Decimal increment of a digit string.
pub fn bump(d: &str) -> String {
    let mut digits: Vec<u8> = d.bytes().collect();
    let mut i = digits.len();
    loop {
        if i == 0 {
            digits.insert(0, b'1');
            break;
        }
        i -= 1;
        if digits[i] == b'9' {
            digits[i] = b'0';
        } else {
            digits[i] += 1;
            break;
        }
    }
    String::from_utf8(digits).expect("ascii")
}

/// An ordered, de-duplicated set of pairs (each unordered pair once, in the order first seen).
#[derive(Default)]
pub struct Pairs {
    seen: BTreeSet<(String, String)>,
    pub list: Vec<(String, String)>,
}

impl Pairs {
    pub fn add(&mut self, a: &str, b: &str) -> bool {
        let key = if a <= b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        };
        if self.seen.insert(key) {
            self.list.push((a.to_owned(), b.to_owned()));
            true
        } else {
            false
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Every pair within each family (families of hand-written edge cases are small).
    pub fn all_within(&mut self, families: &[Vec<String>]) {
        for f in families {
            for i in 0..f.len() {
                for j in i + 1..f.len() {
                    self.add(&f[i], &f[j]);
                }
            }
        }
    }

    /// Up to `n` pairs of versions of the same package (real data: adjacent events of one
    /// package differ in the last components, which is where comparators go wrong).
    pub fn within_families(&mut self, families: &[Vec<String>], n: usize, rng: &mut Lcg) {
        let families: Vec<&Vec<String>> = families.iter().filter(|f| f.len() >= 2).collect();
        if families.is_empty() {
            return;
        }
        let target = self.len() + n;
        let mut tries = 0;
        while self.len() < target && tries < n * 20 {
            tries += 1;
            let f = rng.pick(&families);
            let i = rng.below(f.len());
            // mostly neighbours, sometimes any two
            let j = if rng.chance(70) {
                (i + 1 + rng.below(3)) % f.len()
            } else {
                rng.below(f.len())
            };
            if i != j {
                self.add(&f[i], &f[j]);
            }
        }
    }

    /// For `n` random bases from `pool`: (base, mutation) and (mutation, other mutation).
    pub fn mutations(&mut self, pool: &[String], tokens: &[&str], n: usize, rng: &mut Lcg) {
        if pool.is_empty() {
            return;
        }
        let target = self.len() + n;
        let mut tries = 0;
        while self.len() < target && tries < n * 20 {
            tries += 1;
            let base = rng.pick(pool).clone();
            let m1 = mutate(&base, tokens, rng);
            if rng.chance(60) {
                self.add(&base, &m1);
            } else {
                let m2 = mutate(&m1, tokens, rng);
                self.add(&m1, &m2);
            }
        }
    }

    /// `n` random pairs from `pool`, half of them neighbours in string order.
    pub fn random(&mut self, pool: &[String], n: usize, rng: &mut Lcg) {
        if pool.len() < 2 {
            return;
        }
        let mut sorted = pool.to_vec();
        sorted.sort();
        sorted.dedup();
        let target = self.len() + n;
        let mut tries = 0;
        while self.len() < target && tries < n * 20 {
            tries += 1;
            let i = rng.below(sorted.len());
            let j = if rng.chance(50) {
                (i + 1 + rng.below(4)).min(sorted.len() - 1)
            } else {
                rng.below(sorted.len())
            };
            if i != j {
                self.add(&sorted[i], &sorted[j]);
            }
        }
    }
}

/// Families from string literals.
pub fn fams(groups: &[&[&str]]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
        .collect()
}

/// Samples at most `n` elements (deterministically) from `xs`.
pub fn sample<T: Clone>(xs: &[T], n: usize, rng: &mut Lcg) -> Vec<T> {
    if xs.len() <= n {
        return xs.to_vec();
    }
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    rng.shuffle(&mut idx);
    idx.truncate(n);
    idx.sort_unstable();
    idx.into_iter().map(|i| xs[i].clone()).collect()
}

#[test]
fn lcg_is_deterministic() {
    let mut a = Lcg::new(7);
    let mut b = Lcg::new(7);
    for _ in 0..100 {
        assert_eq!(a.next_u64(), b.next_u64());
    }
    let mut c = Lcg::new(1);
    let xs: Vec<usize> = (0..1000).map(|_| c.below(10)).collect();
    for d in 0..10 {
        let n = xs.iter().filter(|x| **x == d).count();
        assert!((50..=150).contains(&n), "digit {d} drawn {n} times");
    }
}

/// The pair mix most schemes use: every pair within each hand-written edge family, pairs
/// within real version families (one package's versions), mutations of real and generated
/// versions, random pairs; plus the version list whose parse acceptance is compared.
pub struct Mix {
    pub pairs: Pairs,
    pub versions: Vec<String>,
}

pub fn standard_mix(
    real: &[Vec<String>],
    edges: &[Vec<String>],
    tokens: &[&str],
    generate: &mut dyn FnMut(&mut Lcg) -> String,
    (random_generated, mutated_generated): (usize, usize),
    rng: &mut Lcg,
) -> Mix {
    mix(
        &[real],
        edges,
        tokens,
        generate,
        MixPlan {
            within_each: 2500,
            mutated_real: 1500,
            random_generated,
            mutated_generated,
        },
        rng,
    )
}

/// How many pairs of each kind [`mix`] draws.
pub struct MixPlan {
    /// Pairs within the families of each real corpus.
    pub within_each: usize,
    pub mutated_real: usize,
    pub random_generated: usize,
    pub mutated_generated: usize,
}

/// [`standard_mix`] over several corpora of real versions (e.g. npm, crates.io and Bitnami
/// for the SemVer schemes).
pub fn mix(
    corpora: &[&[Vec<String>]],
    edges: &[Vec<String>],
    tokens: &[&str],
    generate: &mut dyn FnMut(&mut Lcg) -> String,
    plan: MixPlan,
    rng: &mut Lcg,
) -> Mix {
    let real_flat: Vec<String> = corpora
        .iter()
        .copied()
        .flatten()
        .flatten()
        .cloned()
        .collect();
    let mut pairs = Pairs::default();
    pairs.all_within(edges);
    for real in corpora {
        pairs.within_families(real, plan.within_each, rng);
    }
    pairs.mutations(
        &sample(&real_flat, 2000, rng),
        tokens,
        plan.mutated_real,
        rng,
    );
    let generated: Vec<String> = (0..1500).map(|_| generate(rng)).collect();
    pairs.random(&generated, plan.random_generated, rng);
    pairs.mutations(&generated, tokens, plan.mutated_generated, rng);
    pairs.random(&real_flat, 300, rng);
    let mut versions = sample(&real_flat, 3000, rng);
    versions.extend(edges.concat());
    versions.extend(generated);
    Mix { pairs, versions }
}
