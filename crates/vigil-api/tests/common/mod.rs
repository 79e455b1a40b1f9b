//! Shared test helpers: fixtures and the botocore inspector2 model.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

pub fn load_json(name: &str) -> Value {
    let text = std::fs::read_to_string(testdata(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// ECR image, PACKAGE_VULNERABILITY, HIGH, ACTIVE (openssl + libssl1.1).
pub fn ecr() -> Value {
    load_json("finding-ecr-openssl.json")
}

/// EC2 instance, PACKAGE_VULNERABILITY, CRITICAL, SUPPRESSED (two log4j jars).
pub fn log4j() -> Value {
    load_json("finding-ec2-log4j.json")
}

/// EC2 instance, NETWORK_REACHABILITY, MEDIUM, ACTIVE (port 22/TCP).
pub fn network() -> Value {
    load_json("finding-ec2-network.json")
}

/// Lambda function, CODE_VULNERABILITY, LOW, CLOSED (epoch-number timestamps).
pub fn code() -> Value {
    load_json("finding-lambda-code.json")
}

pub fn all_findings() -> Vec<Value> {
    vec![ecr(), log4j(), network(), code()]
}

pub fn arn_tail(finding: &Value) -> String {
    let arn = finding["findingArn"].as_str().unwrap();
    arn.rsplit('/').next().unwrap()[..6].to_string()
}

/// Path of the installed botocore's gzip model, if any:
/// `$VIGIL_INSPECTOR2_MODEL`, else asks `python3` where botocore is, else the
/// pyenv location of the development machine.
pub fn live_model_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("VIGIL_INSPECTOR2_MODEL") {
        return Some(PathBuf::from(p));
    }
    let rel = "data/inspector2/2020-06-08/service-2.json.gz";
    if let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import botocore, os; print(os.path.dirname(botocore.__file__))",
        ])
        .output()
        && out.status.success()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let p = Path::new(&dir).join(rel);
        if p.exists() {
            return Some(p);
        }
    }
    let p =
        Path::new("/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/botocore").join(rel);
    p.exists().then_some(p)
}

/// The installed botocore model (full service-2.json), if present.
pub fn live_model() -> Option<Value> {
    let path = live_model_path()?;
    let file = std::fs::File::open(&path).ok()?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    Some(serde_json::from_str(&text).unwrap())
}

/// The model's `shapes`: the live botocore model when installed, else the
/// committed snapshot (`testdata/inspector2-model-shapes.json`).
pub fn model_shapes() -> Value {
    match live_model() {
        Some(m) => m["shapes"].clone(),
        None => {
            eprintln!("botocore not found; using testdata/inspector2-model-shapes.json");
            load_json("inspector2-model-shapes.json")["shapes"].clone()
        }
    }
}

pub fn members(shapes: &Value, shape: &str) -> Vec<String> {
    shapes[shape]["members"]
        .as_object()
        .unwrap_or_else(|| panic!("{shape} has no members"))
        .keys()
        .cloned()
        .collect()
}

pub fn enum_values(shapes: &Value, shape: &str) -> Vec<String> {
    shapes[shape]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{shape} is not an enum"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Whether `python3` with botocore is available.
pub fn have_botocore() -> bool {
    Command::new("python3")
        .args(["-c", "import botocore"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
