//! CVSS scores checked against FIRST's published examples and, differentially, against Red Hat's
//! independent implementation (`cvss` on PyPI, installed by scripts/test.sh) on generated vectors
//! covering every metric value of v2, v3.0, v3.1 and v4.0 base vectors.

use std::io::Write;
use std::process::{Command, Stdio};

use vigil_cvss::{CvssVersion, Rating, score};

/// Examples from FIRST's "CVSS v3.1: Examples" document (vector, base score).
const FIRST_V31: &[(&str, f64)] = &[
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1), // CVE-2013-1937 phpMyAdmin XSS
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4), // CVE-2013-0375 MySQL
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1), // CVE-2014-3566 POODLE
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9), // CVE-2012-1516 VMware
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8), // CVE-2012-0384 Cisco IOS
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8), // CVE-2015-1098 iWork
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5), // CVE-2014-0160 Heartbleed
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8), // CVE-2014-6271 Shellshock
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8), // CVE-2008-1447 DNS
    ("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8), // CVE-2014-2005 Sophos
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8), // CVE-2010-0467 Joomla
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8), // CVE-2016-1645 Chrome
    ("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2), // CVE-2009-0783 Tomcat
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0), // v3.0 maximum
];

/// CVSS v4.0 examples from FIRST's specification and calculator (vector, base score).
const FIRST_V40: &[(&str, f64)] = &[
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        9.3,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
        10.0,
    ),
    (
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
        0.0,
    ),
];

#[test]
fn first_examples() {
    for (v, want) in FIRST_V31.iter().chain(FIRST_V40) {
        let s = score(v).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(s.base_score, *want, "{v}");
    }
    let s = score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("v");
    assert_eq!((s.version, s.rating), (CvssVersion::V3_1, Rating::Critical));
}

/// A deterministic generator (64-bit LCG).
struct Lcg(u64);
impl Lcg {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        xs[((self.0 >> 33) as usize) % xs.len()]
    }
}

fn vectors() -> Vec<String> {
    let mut g = Lcg(0x5eed);
    let mut out = Vec::new();
    let v2: &[(&str, &[&str])] = &[
        ("AV", &["L", "A", "N"]),
        ("AC", &["H", "M", "L"]),
        ("Au", &["M", "S", "N"]),
        ("C", &["N", "P", "C"]),
        ("I", &["N", "P", "C"]),
        ("A", &["N", "P", "C"]),
    ];
    let v3: &[(&str, &[&str])] = &[
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("PR", &["N", "L", "H"]),
        ("UI", &["N", "R"]),
        ("S", &["U", "C"]),
        ("C", &["H", "L", "N"]),
        ("I", &["H", "L", "N"]),
        ("A", &["H", "L", "N"]),
    ];
    let v4: &[(&str, &[&str])] = &[
        ("AV", &["N", "A", "L", "P"]),
        ("AC", &["L", "H"]),
        ("AT", &["N", "P"]),
        ("PR", &["N", "L", "H"]),
        ("UI", &["N", "P", "A"]),
        ("VC", &["H", "L", "N"]),
        ("VI", &["H", "L", "N"]),
        ("VA", &["H", "L", "N"]),
        ("SC", &["H", "L", "N"]),
        ("SI", &["H", "L", "N"]),
        ("SA", &["H", "L", "N"]),
    ];
    let build = |g: &mut Lcg, prefix: &str, metrics: &[(&str, &[&str])]| -> String {
        let parts: Vec<String> = metrics
            .iter()
            .map(|(k, vals)| format!("{k}:{}", g.pick(vals)))
            .collect();
        format!("{prefix}{}", parts.join("/"))
    };
    for _ in 0..729 {
        out.push(build(&mut g, "", v2));
    }
    for _ in 0..1500 {
        out.push(build(&mut g, "CVSS:3.0/", v3));
        out.push(build(&mut g, "CVSS:3.1/", v3));
    }
    for _ in 0..3000 {
        out.push(build(&mut g, "CVSS:4.0/", v4));
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn agrees_with_red_hat_cvss_on_generated_vectors() {
    let vs = vectors();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/score_ref.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (scripts/test.sh installs the `cvss` module)");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = vs.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("run reference");
    writer.join().expect("join").expect("write");
    assert!(
        out.status.success(),
        "reference failed (pip install cvss==3.4)"
    );
    let reference: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(reference.len(), vs.len());
    let mut disagreements = Vec::new();
    let mut per_version = std::collections::BTreeMap::new();
    for (v, r) in vs.iter().zip(&reference) {
        let ours = score(v).map(|s| format!("{:.1}", s.base_score));
        let key = v.split('/').next().unwrap_or("").to_owned();
        let key = if key.starts_with("CVSS:") {
            key
        } else {
            "CVSS:2.0".into()
        };
        *per_version.entry(key).or_insert(0usize) += 1;
        match ours {
            Ok(s) if &s == r => {}
            other => disagreements.push(format!("{v}: ours {other:?}, reference {r}")),
        }
    }
    eprintln!(
        "cvss differential: {} vectors {per_version:?}, {} disagreements",
        vs.len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(20)].join("\n")
    );
}

/// Environmental scores (the Vigil score's reachability adjustment, `MAV:A`, and other
/// modified metrics) agree with Red Hat's implementation.
#[test]
fn environmental_scores_agree_with_red_hat_cvss() {
    let mut g = Lcg(0xe17);
    let mods: &[&str] = &[
        "MAV:A", "MAV:L", "MAV:N", "MAC:H", "MPR:H", "MUI:R", "CR:H", "IR:L", "E:U", "E:A",
    ];
    let vs: Vec<String> = vectors()
        .into_iter()
        .filter(|v| v.starts_with("CVSS:"))
        .map(|v| {
            let m = g.pick(mods);
            let applicable = if v.starts_with("CVSS:4.0/") {
                // v4.0 knows MAV/MAC/MPR/MUI/CR/IR and E (threat); not v3's E:U spelling only
                true
            } else {
                !m.starts_with("E:A")
            };
            if applicable {
                format!("{v}/MAV:A/{m}").replace("/MAV:A/MAV:", "/MAV:")
            } else {
                format!("{v}/MAV:A")
            }
        })
        .collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/score_ref.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg("environmental")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (scripts/test.sh installs the `cvss` module)");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = vs.join("\n") + "\n";
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("run reference");
    writer.join().expect("join").expect("write");
    assert!(
        out.status.success(),
        "reference failed (pip install cvss==3.4)"
    );
    let reference: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(reference.len(), vs.len());
    let mut compared = 0;
    let mut disagreements = Vec::new();
    for (v, r) in vs.iter().zip(&reference) {
        let ours = vigil_cvss::environmental(v).map(|s| format!("{s:.1}"));
        match (ours, r.as_str()) {
            (Err(_), "ERR") => {}
            (Ok(s), r) if s == r => compared += 1,
            (o, r) => disagreements.push(format!("{v}: ours {o:?}, reference {r}")),
        }
    }
    assert!(compared > 3000, "{compared} compared");
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(20)].join("\n")
    );
}
