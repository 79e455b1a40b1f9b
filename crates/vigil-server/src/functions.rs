//! Function packages (Lambda-style): published versions, each scanned.
//!
//! A function (name, runtime, handler, role, architectures, tags) is published with its code
//! zip and up to five layer zips, through `POST /vigil/v1/functions/publish` or by the
//! `functions-watch` job from a watched directory. Each published version is one
//! `AWS_LAMBDA_FUNCTION` resource, `arn:vigil:lambda:REGION:ACCOUNT:function:NAME:VERSION`:
//! the code is mounted at `/var/task` (at `/` when there are no layers, as `vigil scan zip:`
//! does) and the layers at `/opt`, inventoried, matched and recorded with inspector2's
//! `awsLambdaFunction` details. A finding on a package of a layer carries the layer's zip
//! digest (`sourceLayerHash`, `sha256:…`) and ARN (`sourceLambdaLayerArn`).
//!
//! Publishing a package identical to the function's latest version (code, layers, runtime,
//! handler, role, architectures) makes no new version: the latest one is answered, as Lambda's
//! `PublishVersion` does. Layer versions follow content: the same zip under a layer name is
//! the same version, new content the next one. The zips are not kept (the inventory is).
//!
//! The watched directory holds one directory per function, named after it:
//! `DIR/NAME/function.json` (`{"runtime", "handler", "role"?, "architectures"?, "tags"?,
//! "layers"?: ["deps.zip", …], "account"?, "region"?}`), `DIR/NAME/code.zip`, and the layer
//! zips it names next to it (a layer is named after its file, without `.zip`). Account and
//! region default to the server's `--functions-account` and `--functions-region`. A package
//! whose code or layers changed (SHA-256) is published as a new version; one that cannot be
//! published (a corrupt zip, a missing or invalid `function.json`) is reported in the job's
//! error and as the coverage status of `…:function:NAME:$LATEST`, and published once fixed.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use vigil_store::ResourceRecord;
use vigil_store::functions::{FunctionVersion, LayerVersion};

use crate::{ApiError, App, Principal, ops};

/// The largest code zip (Lambda's limit for a direct upload).
pub const MAX_CODE_BYTES: usize = 50 << 20;
/// The largest layer zip.
pub const MAX_LAYER_BYTES: usize = 50 << 20;
/// The most layers a function has (as Lambda).
pub const MAX_LAYERS: usize = 5;
/// The most bytes code and layers may expand to (Lambda's 250 MB unzipped limit).
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;
/// The largest `functions/publish` request body: a 50 MiB zip in base64, with room for layers.
pub const MAX_PUBLISH_BODY: usize = 96 << 20;
/// The most entries in one zip.
const MAX_ENTRIES: usize = 200_000;
/// The largest `function.json`.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Lambda's runtime identifiers (current and deprecated).
const LAMBDA_RUNTIMES: &[&str] = &[
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "java8",
    "java8.al2",
    "java11",
    "java17",
    "java21",
    "java25",
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet6",
    "dotnet7",
    "dotnet8",
    "dotnet10",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
    "provided",
    "provided.al2",
    "provided.al2023",
];

/// The server's function state: publications are serialised (version numbers), the watched
/// directory, and the digests of the files it last read.
#[derive(Default)]
pub struct Functions {
    lock: Mutex<()>,
    pub watch: Option<Watch>,
    /// (size, modification time, hex SHA-256) of each watched zip as last read.
    seen: Mutex<HashMap<PathBuf, (u64, SystemTime, String)>>,
}

/// The watched directory and the account and region its functions belong to by default.
#[derive(Debug, Clone)]
pub struct Watch {
    pub dir: PathBuf,
    pub account: String,
    pub region: String,
}

/// `arn:vigil:lambda:REGION:ACCOUNT:function:NAME`.
pub fn function_arn(account: &str, region: &str, name: &str) -> String {
    format!("arn:vigil:lambda:{region}:{account}:function:{name}")
}

/// The resource id of a published version: the function's ARN qualified by the version.
pub fn version_resource_id(account: &str, region: &str, name: &str, version: u64) -> String {
    format!("{}:{version}", function_arn(account, region, name))
}

/// The resource that carries the status of a function's current package when it could not be
/// published (`$LATEST`, as Lambda names the unpublished state).
fn latest_resource_id(account: &str, region: &str, name: &str) -> String {
    format!("{}:$LATEST", function_arn(account, region, name))
}

fn layer_arn(account: &str, region: &str, name: &str, version: u64) -> String {
    format!("arn:vigil:lambda:{region}:{account}:layer:{name}:{version}")
}

/// Function and layer names: 1 to 64 of `[A-Za-z0-9-_]`.
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A runtime: one of Lambda's, or free text (1 to 64 of `[A-Za-z0-9._-]`).
fn valid_runtime(s: &str) -> bool {
    LAMBDA_RUNTIMES.contains(&s)
        || (!s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
}

/// inspector2's `Runtime` for a Lambda runtime: `python3.11` is `PYTHON_3_11`, `nodejs18.x`
/// `NODEJS_18_X`; OS-only (`provided*`) and unknown runtimes are `UNSUPPORTED`.
pub fn inspector_runtime(runtime: &str) -> String {
    if !LAMBDA_RUNTIMES.contains(&runtime) || runtime.starts_with("provided") {
        return "UNSUPPORTED".into();
    }
    // the language, `_`, then the version with `.` and `-` as `_` (`java8.al2`: `JAVA_8_AL2`)
    let split = runtime
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(runtime.len());
    let (language, version) = runtime.split_at(split);
    let mut out = language.to_ascii_uppercase();
    if !version.is_empty() {
        out.push('_');
        out.extend(version.chars().map(|c| {
            if c == '.' || c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        }));
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lambda's `CodeSha256`: the base64 of the digest (from its hex form).
fn lambda_sha256(hex_digest: &str) -> String {
    let bytes: Vec<u8> = (0..hex_digest.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex_digest.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    STANDARD.encode(bytes)
}

/// Why a package cannot be published.
#[derive(Debug)]
enum Failure {
    /// The package is wrong: the member (or file) concerned and what is wrong with it, and the
    /// coverage reason a watched package reports.
    Invalid {
        member: String,
        message: String,
        reason: &'static str,
    },
    Api(ApiError),
}

impl Failure {
    fn invalid(member: &str, message: impl Into<String>) -> Failure {
        Failure::Invalid {
            member: member.to_owned(),
            message: message.into(),
            reason: "UNSUPPORTED_MEDIA_TYPE",
        }
    }
    fn config(member: &str, message: impl Into<String>) -> Failure {
        Failure::Invalid {
            member: member.to_owned(),
            message: message.into(),
            reason: "UNSUPPORTED_CONFIG_FILE",
        }
    }
    fn reason(&self) -> &'static str {
        match self {
            Failure::Invalid { reason, .. } => reason,
            Failure::Api(_) => "INTERNAL_ERROR",
        }
    }
    fn message(&self) -> String {
        match self {
            Failure::Invalid {
                member, message, ..
            } => format!("{member}: {message}"),
            Failure::Api(e) => e.message().to_owned(),
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure::Api(e)
    }
}

impl From<vigil_store::Error> for Failure {
    fn from(e: vigil_store::Error) -> Failure {
        Failure::Api(e.into())
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> ApiError {
        match f {
            Failure::Invalid {
                member, message, ..
            } => ApiError::field(&member, &message),
            Failure::Api(e) => e,
        }
    }
}

/// A layer zip to publish with a function.
struct LayerInput {
    name: String,
    /// A layer version asked for (else: by content).
    version: Option<u64>,
    content: Vec<u8>,
    /// How errors name it (`layers[0].content`, or the file).
    member: String,
}

/// A function package to publish.
struct Package {
    account: String,
    region: String,
    name: String,
    runtime: String,
    handler: String,
    role: String,
    /// Lambda's names (`x86_64`, `arm64`).
    architectures: Vec<String>,
    tags: BTreeMap<String, String>,
    version: Option<u64>,
    code: Vec<u8>,
    code_member: String,
    layers: Vec<LayerInput>,
    /// `api` or `watch`.
    source: &'static str,
}

/// What a publication did.
struct Published {
    version: FunctionVersion,
    /// A new version was published (else the package equals the latest version).
    created: bool,
    scan: Option<Value>,
}

/// Checks a zip before anything is stored: readable, bounded, no entry escaping the package
/// root (zip slip: `..` components or an absolute name). Answers the bytes it expands to.
fn check_zip(bytes: &[u8], member: &str) -> Result<u64, Failure> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Failure::invalid(member, format!("is not a valid zip archive: {e}")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(Failure::invalid(
            member,
            format!(
                "has {} entries, over the limit of {MAX_ENTRIES}",
                archive.len()
            ),
        ));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| Failure::invalid(member, format!("zip entry #{i} cannot be read: {e}")))?;
        let name = entry.name();
        let escapes = name.starts_with('/')
            || name.starts_with('\\')
            || name.split(['/', '\\']).any(|c| c == "..")
            || vigil_source::normalize(name).is_none();
        if escapes {
            return Err(Failure::invalid(
                member,
                format!("zip entry `{name}` points outside the package (absolute or `..` path)"),
            ));
        }
        total = total.saturating_add(entry.size());
    }
    Ok(total)
}

/// The resource details of a published version: inspector2's `awsLambdaFunction`, and in
/// `vigil` what it has no member for (Lambda's runtime name, handler, layer digests).
fn details(v: &FunctionVersion) -> Value {
    json!({
        "awsLambdaFunction": {
            "functionName": v.name,
            "runtime": inspector_runtime(&v.runtime),
            "version": v.version.to_string(),
            "codeSha256": lambda_sha256(&v.code_sha256),
            "executionRoleArn": v.role,
            "layers": v.layers.iter().map(|l| l.arn.clone()).collect::<Vec<_>>(),
            "lastModifiedAt": v.published_at,
            "packageType": "Zip",
            "architectures": v.architectures.iter().map(|a| a.to_ascii_uppercase()).collect::<Vec<_>>(),
        },
        "vigil": {
            "functionArn": function_arn(&v.account, &v.region, &v.name),
            "runtime": v.runtime,
            "handler": v.handler,
            "codeSize": v.code_size,
            "source": v.source,
            "layers": v.layers.iter().map(|l| json!({
                "arn": l.arn, "name": l.name, "version": l.version,
                "sourceLayerHash": format!("sha256:{}", l.sha256),
            })).collect::<Vec<_>>(),
        },
    })
}

/// A finding on a package of a function's layer names the layer: `sourceLambdaLayerArn` from
/// the layer whose digest is the package's `sourceLayerHash` (in the resource's details, so
/// that re-evaluations keep it).
pub(crate) fn annotate_layer(finding: &mut Value, details: Option<&Value>) {
    let Some(layers) = details
        .and_then(|d| d.pointer("/vigil/layers"))
        .and_then(Value::as_array)
    else {
        return;
    };
    let Some(packages) = finding
        .pointer_mut("/packageVulnerabilityDetails/vulnerablePackages")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for p in packages {
        let Some(hash) = p.get("sourceLayerHash").and_then(Value::as_str) else {
            continue;
        };
        if let Some(arn) = layers
            .iter()
            .find(|l| l["sourceLayerHash"].as_str() == Some(hash))
            .and_then(|l| l["arn"].as_str())
        {
            p["sourceLambdaLayerArn"] = json!(arn);
        }
    }
}

/// Publishes a package: checks it, answers the latest version when it is the same package,
/// else inventories it (code at `/var/task`, layers at `/opt`), records the findings of the new
/// version and the version itself.
fn publish(app: &App, pkg: Package) -> Result<Published, Failure> {
    let mut unzipped = check_zip(&pkg.code, &pkg.code_member)?;
    for l in &pkg.layers {
        unzipped = unzipped.saturating_add(check_zip(&l.content, &l.member)?);
    }
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(Failure::invalid(
            &pkg.code_member,
            format!(
                "code and layers expand to {unzipped} bytes, over the {MAX_UNZIPPED_BYTES} byte limit"
            ),
        ));
    }
    let code_sha256 = sha256_hex(&pkg.code);
    let layer_shas: Vec<String> = pkg.layers.iter().map(|l| sha256_hex(&l.content)).collect();

    let _one_at_a_time = app
        .functions
        .lock
        .lock()
        .map_err(|_| ApiError::internal("function publication lock poisoned"))?;
    let store = app.store.function_store();
    let now = OffsetDateTime::now_utc();
    let mut layers = Vec::new();
    for (l, sha) in pkg.layers.iter().zip(&layer_shas) {
        let version =
            store.layer_version(&pkg.account, &pkg.region, &l.name, sha, l.version, now)?;
        layers.push(LayerVersion {
            name: l.name.clone(),
            version,
            arn: layer_arn(&pkg.account, &pkg.region, &l.name, version),
            sha256: sha.clone(),
        });
    }
    let mut candidate = FunctionVersion {
        account: pkg.account.clone(),
        region: pkg.region.clone(),
        name: pkg.name.clone(),
        version: 0,
        runtime: pkg.runtime.clone(),
        handler: pkg.handler.clone(),
        role: pkg.role.clone(),
        architectures: pkg.architectures.clone(),
        code_sha256,
        code_size: pkg.code.len() as u64,
        layers,
        tags: pkg.tags.clone(),
        source: pkg.source.to_owned(),
        published_at: vigil_store::timestamp(now),
        resource_id: String::new(),
        deleted_at: None,
    };
    // a watched package compares with what it last published, even if that was deleted since
    // (a deletion sticks until the package changes)
    let watched = pkg.source == "watch";
    if let Some(latest) =
        store.latest_function_version(&pkg.account, &pkg.region, &pkg.name, watched)?
        && latest.same_package(&candidate)
    {
        return Ok(Published {
            version: latest,
            created: false,
            scan: None,
        });
    }
    let highest = store
        .latest_function_version(&pkg.account, &pkg.region, &pkg.name, true)?
        .map_or(0, |v| v.version);
    candidate.version = match pkg.version {
        None => highest + 1,
        Some(v) if v > highest => v,
        Some(v) => {
            return Err(Failure::Api(ApiError::conflict(
                &format!(
                    "function `{}` already has version {highest}: version {v} cannot be published",
                    pkg.name
                ),
                &function_arn(&pkg.account, &pkg.region, &pkg.name),
                "AWS_LAMBDA_FUNCTION",
            )));
        }
    };
    candidate.resource_id =
        version_resource_id(&pkg.account, &pkg.region, &pkg.name, candidate.version);

    // the package on disk for the scan (removed when done)
    let tmp = tempfile::Builder::new()
        .prefix("vigil-function-")
        .tempdir()
        .map_err(|e| ApiError::internal(&format!("creating a temporary directory: {e}")))?;
    let write = |file: &str, bytes: &[u8]| -> Result<PathBuf, Failure> {
        let p = tmp.path().join(file);
        std::fs::write(&p, bytes).map_err(|e| {
            Failure::Api(ApiError::internal(&format!(
                "writing `{}`: {e}",
                p.display()
            )))
        })?;
        Ok(p)
    };
    let code_path = write("code.zip", &pkg.code)?;
    let mut members: HashMap<String, (String, Option<usize>)> = HashMap::new();
    members.insert(
        format!("zip:{}", code_path.display()),
        (pkg.code_member.clone(), None),
    );
    let mut layer_paths = Vec::new();
    for (i, l) in pkg.layers.iter().enumerate() {
        let p = write(&format!("layer-{i}.zip"), &l.content)?;
        members.insert(format!("zip:{}", p.display()), (l.member.clone(), Some(i)));
        layer_paths.push(p);
    }
    let code_str = code_path.to_str().ok_or_else(|| {
        ApiError::internal(&format!(
            "temporary path `{}` is not UTF-8",
            code_path.display()
        ))
    })?;
    let opened = vigil_source::open(
        vigil_source::TargetKind::Zip,
        code_str,
        &vigil_source::OpenOptions {
            function_layers: layer_paths,
            ..Default::default()
        },
    )
    .map_err(|e| Failure::invalid(&pkg.code_member, e.to_string()))?;
    let mut inventory = vigil_inventory::scan(
        opened,
        &app.images.catalogers,
        &vigil_inventory::ScanOptions {
            threads: 1,
            ..Default::default()
        },
        &vigil_source::Progress::default(),
    );
    // a zip that could not be read to its end is not published
    if let Some(n) = inventory
        .notes
        .iter()
        .find(|n| n.level >= vigil_types::NoteLevel::Error)
    {
        let member = n
            .layer
            .as_ref()
            .and_then(|l| members.get(l))
            .map_or(pkg.code_member.as_str(), |(m, _)| m.as_str());
        // the message names the temporary copy: name the member instead
        let mut message = n.message.clone();
        for (digest, (m, _)) in &members {
            message = message.replace(digest.trim_start_matches("zip:"), m);
        }
        return Err(Failure::invalid(
            member,
            format!("cannot be read: {message}"),
        ));
    }
    // layers are named by their zip's digest; the code is no layer
    let layer_ref = |digest: &str| -> Option<vigil_types::LayerRef> {
        let (_, index) = members.get(digest)?;
        let i = (*index)?;
        Some(vigil_types::LayerRef {
            index: i,
            digest: format!("sha256:{}", candidate.layers.get(i)?.sha256),
            diff_id: None,
        })
    };
    for p in &mut inventory.packages {
        for loc in &mut p.locations {
            loc.layer = loc.layer.as_ref().and_then(|l| layer_ref(&l.digest));
        }
    }
    for n in &mut inventory.notes {
        n.layer = n
            .layer
            .as_deref()
            .and_then(layer_ref)
            .map(|l| l.digest.clone());
    }
    inventory.target.name = candidate.resource_id.clone();
    let (r, report, _) = ops::derive(
        app,
        &pkg.account,
        &pkg.region,
        &inventory,
        pkg.tags.clone(),
        Some(details(&candidate)),
        vigil_store::Origin::Scan,
        None,
        None,
    )?;
    if let Err(e) = store.record_function_version(&candidate) {
        // the findings must not outlive a version that was not recorded
        let _ = app.store.delete_resource(
            &pkg.account,
            &pkg.region,
            &candidate.resource_id,
            OffsetDateTime::now_utc(),
        );
        return Err(e.into());
    }
    clear_failure(app, &pkg.account, &pkg.region, &pkg.name);
    let mut by_severity: BTreeMap<String, u64> = BTreeMap::new();
    for f in &report.findings {
        *by_severity
            .entry(f.severity.to_ascii_lowercase())
            .or_default() += 1;
    }
    let mut counts = json!({"total": report.findings.len()});
    for (k, n) in by_severity {
        counts[k] = json!(n);
    }
    Ok(Published {
        version: candidate,
        created: true,
        scan: Some(json!({
            "packages": inventory.packages.len(),
            "findings": counts,
            "new": r.new, "updated": r.updated, "reopened": r.reopened, "closed": r.closed,
            "active": r.active, "suppressed": r.suppressed,
            "notes": report.notes,
        })),
    })
}

/// Forgets the `$LATEST` failure status of a function (its package is published now).
fn clear_failure(app: &App, account: &str, region: &str, name: &str) {
    let id = latest_resource_id(account, region, name);
    match app
        .store
        .delete_resource(account, region, &id, OffsetDateTime::now_utc())
    {
        Ok(_) | Err(vigil_store::Error::NotFound(_)) => {}
        Err(e) => tracing::warn!(resource = %id, "clearing the function's failure status: {e}"),
    }
}

fn answer(p: &Published) -> Value {
    let v = &p.version;
    let mut out = json!({
        "functionName": v.name,
        "functionArn": function_arn(&v.account, &v.region, &v.name),
        "version": v.version.to_string(),
        "resourceId": v.resource_id,
        "codeSha256": lambda_sha256(&v.code_sha256),
        "layers": v.layers,
        "created": p.created,
    });
    if let Some(scan) = &p.scan {
        if let (Some(o), Some(s)) = (out.as_object_mut(), scan.as_object()) {
            for (k, x) in s {
                o.insert(k.clone(), x.clone());
            }
        }
    }
    out
}

// --- the API ----------------------------------------------------------------------------------

/// Takes string member `key` out of `input` (errors name it `shown`: `layers[0].name`).
fn take_string(
    input: &mut Map<String, Value>,
    key: &str,
    shown: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match input.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(Some(s)),
        Some(Value::String(_)) => Err(ApiError::field(
            shown,
            &format!("must be 1 to {max} characters"),
        )),
        Some(_) => Err(ApiError::field(shown, "must be a string")),
    }
}

/// A version number: a positive integer, or its decimal string (Lambda's qualifiers are
/// strings).
fn version_number(v: &Value, member: &str) -> Result<u64, ApiError> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s)
            if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    };
    match n {
        Some(n) if (1..1 << 53).contains(&n) => Ok(n),
        _ => Err(ApiError::field(member, "must be a positive integer")),
    }
}

/// Decodes a base64 zip member, bounded before decoding.
fn decode_zip(text: &str, member: &str, max: usize) -> Result<Vec<u8>, ApiError> {
    let cleaned: std::borrow::Cow<'_, str> = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        text.chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    let estimate = cleaned.len() / 4 * 3;
    if estimate > max + 3 {
        return Err(ApiError::field(
            member,
            &format!("is about {estimate} bytes, over the {max} byte limit"),
        ));
    }
    let bytes = STANDARD
        .decode(cleaned.as_bytes())
        .map_err(|e| ApiError::field(member, &format!("is not valid base64: {e}")))?;
    if bytes.len() > max {
        return Err(ApiError::field(
            member,
            &format!("is {} bytes, over the {max} byte limit", bytes.len()),
        ));
    }
    if bytes.is_empty() {
        return Err(ApiError::field(member, "is empty"));
    }
    Ok(bytes)
}

fn tags_of(v: Option<Value>, member: &str) -> Result<BTreeMap<String, String>, String> {
    let tags: BTreeMap<String, String> = match v {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(v) => serde_json::from_value(v)
            .map_err(|_| format!("{member}: must map strings to strings"))?,
    };
    if tags.len() > 50 {
        return Err(format!("{member}: at most 50 tags"));
    }
    for (k, v) in &tags {
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(format!(
                "{member}: keys are 1 to 128 characters and values at most 256 (`{k}`)"
            ));
        }
    }
    Ok(tags)
}

/// `x86_64` or `arm64` (one of them, as Lambda), default `x86_64`.
fn architectures_of(v: Option<Value>, member: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = match v {
        None | Some(Value::Null) => return Ok(vec!["x86_64".into()]),
        Some(v) => {
            serde_json::from_value(v).map_err(|_| format!("{member}: must be a list of strings"))?
        }
    };
    match list.as_slice() {
        [a] => match a.to_ascii_lowercase().as_str() {
            "x86_64" => Ok(vec!["x86_64".into()]),
            "arm64" => Ok(vec!["arm64".into()]),
            _ => Err(format!("{member}: `{a}` is not x86_64 or arm64")),
        },
        _ => Err(format!("{member}: must list exactly one architecture")),
    }
}

/// Checks the configuration members shared by the API and `function.json`.
fn check_config(name: &str, runtime: &str, handler: &str, role: &str) -> Result<(), Failure> {
    if !valid_name(name) {
        return Err(Failure::config(
            "functionName",
            format!("`{name}` is not 1 to 64 of [A-Za-z0-9-_]"),
        ));
    }
    if !valid_runtime(runtime) {
        return Err(Failure::config(
            "runtime",
            format!("`{runtime}` is not a Lambda runtime or 1 to 64 of [A-Za-z0-9._-]"),
        ));
    }
    if handler.is_empty() || handler.len() > 128 || handler.chars().any(char::is_whitespace) {
        return Err(Failure::config(
            "handler",
            "must be 1 to 128 characters without spaces",
        ));
    }
    if role.len() > 256 {
        return Err(Failure::config("role", "must be at most 256 characters"));
    }
    Ok(())
}

/// `POST /vigil/v1/functions/publish`: `{"functionName", "runtime", "handler", "code": base64
/// zip, "version"?, "role"?, "architectures"?, "tags"?, "layers"?: [{"name", "content": base64
/// zip, "version"?}]}` -> the published (or unchanged latest) version and its scan.
pub fn publish_api(app: &App, p: &Principal, body: &[u8]) -> Result<Value, ApiError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(&format!("request body is not valid JSON: {e}")))?;
    let Value::Object(mut input) = v else {
        return Err(ApiError::validation("request body must be a JSON object"));
    };
    const MEMBERS: &[&str] = &[
        "functionName",
        "runtime",
        "handler",
        "role",
        "version",
        "architectures",
        "tags",
        "code",
        "layers",
    ];
    if let Some(k) = input.keys().find(|k| !MEMBERS.contains(&k.as_str())) {
        return Err(ApiError::field(
            k,
            "is not a member of this operation's input",
        ));
    }
    let name = take_string(&mut input, "functionName", "functionName", 64)?
        .ok_or_else(|| ApiError::field("functionName", "is required"))?;
    let runtime = take_string(&mut input, "runtime", "runtime", 64)?
        .ok_or_else(|| ApiError::field("runtime", "is required"))?;
    let handler = take_string(&mut input, "handler", "handler", 128)?
        .ok_or_else(|| ApiError::field("handler", "is required"))?;
    let role = take_string(&mut input, "role", "role", 256)?.unwrap_or_default();
    check_config(&name, &runtime, &handler, &role).map_err(ApiError::from)?;
    let version = match input.remove("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(version_number(&v, "version")?),
    };
    let architectures = architectures_of(input.remove("architectures"), "architectures")
        .map_err(|m| ApiError::validation(&m))?;
    let tags = tags_of(input.remove("tags"), "tags").map_err(|m| ApiError::validation(&m))?;
    let code = match input.remove("code") {
        Some(Value::String(s)) => decode_zip(&s, "code", MAX_CODE_BYTES)?,
        None | Some(Value::Null) => return Err(ApiError::field("code", "is required")),
        Some(_) => return Err(ApiError::field("code", "must be a base64 string")),
    };
    let layers = match input.remove("layers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => {
            if list.len() > MAX_LAYERS {
                return Err(ApiError::field(
                    "layers",
                    &format!("at most {MAX_LAYERS} layers"),
                ));
            }
            let mut out = Vec::new();
            for (i, l) in list.into_iter().enumerate() {
                let member = format!("layers[{i}]");
                let Value::Object(mut l) = l else {
                    return Err(ApiError::field(&member, "must be an object"));
                };
                for k in l.keys() {
                    if !["name", "version", "content"].contains(&k.as_str()) {
                        return Err(ApiError::field(
                            &format!("{member}.{k}"),
                            "is not a member of a layer",
                        ));
                    }
                }
                let lname = take_string(&mut l, "name", &format!("{member}.name"), 64)?
                    .ok_or_else(|| ApiError::field(&format!("{member}.name"), "is required"))?;
                if !valid_name(&lname) {
                    return Err(ApiError::field(
                        &format!("{member}.name"),
                        &format!("`{lname}` is not 1 to 64 of [A-Za-z0-9-_]"),
                    ));
                }
                let lversion = match l.remove("version") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(version_number(&v, &format!("{member}.version"))?),
                };
                let content_member = format!("{member}.content");
                let content = match l.remove("content") {
                    Some(Value::String(s)) => decode_zip(&s, &content_member, MAX_LAYER_BYTES)?,
                    None | Some(Value::Null) => {
                        return Err(ApiError::field(&content_member, "is required"));
                    }
                    Some(_) => {
                        return Err(ApiError::field(&content_member, "must be a base64 string"));
                    }
                };
                out.push(LayerInput {
                    name: lname,
                    version: lversion,
                    content,
                    member: content_member,
                });
            }
            out
        }
        Some(_) => return Err(ApiError::field("layers", "must be a list")),
    };
    let published = publish(
        app,
        Package {
            account: p.account.clone(),
            region: p.region.clone(),
            name,
            runtime,
            handler,
            role,
            architectures,
            tags,
            version,
            code,
            code_member: "code".into(),
            layers,
            source: "api",
        },
    )?;
    Ok(answer(&published))
}

fn version_json(v: &FunctionVersion) -> Value {
    json!({
        "version": v.version.to_string(),
        "resourceId": v.resource_id,
        "runtime": v.runtime,
        "handler": v.handler,
        "role": v.role,
        "architectures": v.architectures,
        "codeSha256": lambda_sha256(&v.code_sha256),
        "codeSize": v.code_size,
        "layers": v.layers,
        "tags": v.tags,
        "publishedAt": v.published_at,
        "source": v.source,
    })
}

/// `POST /vigil/v1/functions/list`: `{"functionName"?}` -> the functions of the caller's
/// account and region with their (not deleted) versions.
pub fn list_api(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    ops::check_members(input, &["functionName"])?;
    let name = ops::string_field(input, "functionName", 64)?;
    let versions = app
        .store
        .function_store()
        .function_versions(&p.account, &p.region, name, false)?;
    let mut functions: Vec<Value> = Vec::new();
    let mut current: Option<(String, Vec<Value>)> = None;
    let flush = |c: Option<(String, Vec<Value>)>, out: &mut Vec<Value>| {
        if let Some((n, vs)) = c {
            out.push(json!({
                "functionName": n,
                "functionArn": function_arn(&p.account, &p.region, &n),
                "latestVersion": vs.last().map(|v| v["version"].clone()),
                "versions": vs,
            }));
        }
    };
    for v in &versions {
        match &mut current {
            Some((n, vs)) if *n == v.name => vs.push(version_json(v)),
            _ => {
                flush(current.take(), &mut functions);
                current = Some((v.name.clone(), vec![version_json(v)]));
            }
        }
    }
    flush(current, &mut functions);
    Ok(json!({"functions": functions}))
}

/// `POST /vigil/v1/functions/delete`: `{"functionName", "version"?}` -> one version (or all)
/// deleted: their findings are CLOSED.
pub fn delete_api(app: &App, p: &Principal, input: &Value) -> Result<Value, ApiError> {
    ops::check_members(input, &["functionName", "version"])?;
    let name = ops::string_field(input, "functionName", 64)?
        .ok_or_else(|| ApiError::field("functionName", "is required"))?;
    let version = match input.get("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(version_number(v, "version")?),
    };
    let now = OffsetDateTime::now_utc();
    let _one_at_a_time = app
        .functions
        .lock
        .lock()
        .map_err(|_| ApiError::internal("function publication lock poisoned"))?;
    let deleted = app
        .store
        .function_store()
        .delete_function_versions(&p.account, &p.region, name, version, now)?;
    let mut closed = 0;
    for v in &deleted {
        match app
            .store
            .delete_resource(&p.account, &p.region, &v.resource_id, now)
        {
            Ok(n) => closed += n,
            Err(vigil_store::Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if version.is_none() {
        clear_failure(app, &p.account, &p.region, name);
    }
    Ok(json!({
        "functionName": name,
        "deletedVersions": deleted.iter().map(|v| v.version.to_string()).collect::<Vec<_>>(),
        "closed": closed,
    }))
}

// --- the watched directory ---------------------------------------------------------------------

/// `function.json`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionConfig {
    runtime: String,
    handler: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    architectures: Option<Value>,
    #[serde(default)]
    tags: Option<Value>,
    #[serde(default)]
    layers: Vec<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

fn valid_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Reads a watched file of at most `max` bytes.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, Failure> {
    let shown = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| Failure::invalid(&shown, e.to_string()))?;
    let mut out = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| Failure::invalid(&shown, e.to_string()))?;
    if out.len() as u64 > max {
        return Err(Failure::invalid(
            &shown,
            format!("is over the {max} byte limit"),
        ));
    }
    Ok(out)
}

/// The digest of a watched zip: remembered by size and modification time, else read.
fn file_sha(app: &App, path: &Path, max: u64) -> Result<String, Failure> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Failure::invalid(&shown, e.to_string()))?;
    let stamp = (
        meta.len(),
        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    );
    if let Ok(seen) = app.functions.seen.lock()
        && let Some((len, at, sha)) = seen.get(path)
        && (*len, *at) == stamp
    {
        return Ok(sha.clone());
    }
    let bytes = read_bounded(path, max)?;
    let sha = sha256_hex(&bytes);
    if let Ok(mut seen) = app.functions.seen.lock() {
        seen.insert(path.to_path_buf(), (stamp.0, stamp.1, sha.clone()));
    }
    Ok(sha)
}

/// What became of one watched function.
enum Watched {
    Published(Published),
    Unchanged(FunctionVersion),
}

/// What is known of a watched function directory (for its failure status).
struct WatchedPackage {
    account: String,
    region: String,
    runtime: Option<String>,
}

fn watch_one(
    app: &App,
    w: &Watch,
    dir: &Path,
    name: &str,
    found: &mut WatchedPackage,
) -> Result<Watched, Failure> {
    let config_path = dir.join("function.json");
    let shown = config_path.display().to_string();
    if !config_path.is_file() {
        return Err(Failure::config(&shown, "is missing"));
    }
    let text = read_bounded(&config_path, MAX_CONFIG_BYTES)?;
    let config: FunctionConfig = serde_json::from_slice(&text)
        .map_err(|e| Failure::config(&shown, format!("is not a valid function.json: {e}")))?;
    let account = config.account.clone().unwrap_or_else(|| w.account.clone());
    let region = config.region.clone().unwrap_or_else(|| w.region.clone());
    vigil_store::keys::validate_account(&account)
        .map_err(|e| Failure::config(&format!("{shown}: account"), e.to_string()))?;
    if !valid_region(&region) {
        return Err(Failure::config(
            &format!("{shown}: region"),
            format!("`{region}` is not a region name"),
        ));
    }
    found.account.clone_from(&account);
    found.region.clone_from(&region);
    found.runtime = Some(config.runtime.clone());
    let role = config.role.clone().unwrap_or_default();
    check_config(name, &config.runtime, &config.handler, &role).map_err(|f| match f {
        Failure::Invalid {
            member,
            message,
            reason,
        } => Failure::Invalid {
            member: format!("{shown}: {member}"),
            message,
            reason,
        },
        other => other,
    })?;
    let architectures = architectures_of(config.architectures.clone(), "architectures")
        .map_err(|m| Failure::config(&shown, m))?;
    let tags = tags_of(config.tags.clone(), "tags").map_err(|m| Failure::config(&shown, m))?;
    if config.layers.len() > MAX_LAYERS {
        return Err(Failure::config(
            &shown,
            format!("layers: at most {MAX_LAYERS}"),
        ));
    }
    let mut layer_files = Vec::new();
    for file in &config.layers {
        let stem = file.strip_suffix(".zip").unwrap_or(file);
        if !valid_name(stem) {
            return Err(Failure::config(
                &shown,
                format!(
                    "layers: `{file}` is not a file name `NAME.zip` with NAME 1 to 64 of [A-Za-z0-9-_]"
                ),
            ));
        }
        layer_files.push((stem.to_owned(), dir.join(file)));
    }
    let code_path = dir.join("code.zip");
    let code_shown = code_path.display().to_string();
    if !code_path.is_file() {
        return Err(Failure::invalid(&code_shown, "is missing"));
    }

    // unchanged (by digest) since the last publication: nothing to read or scan
    let store = app.store.function_store();
    if let Some(latest) = store.latest_function_version(&account, &region, name, true)? {
        let code_sha = file_sha(app, &code_path, MAX_CODE_BYTES as u64)?;
        let mut same = code_sha == latest.code_sha256
            && latest.layers.len() == layer_files.len()
            && latest.runtime == config.runtime
            && latest.handler == config.handler
            && latest.role == role
            && latest.architectures == architectures;
        for ((lname, path), l) in layer_files.iter().zip(&latest.layers) {
            if !same {
                break;
            }
            same = *lname == l.name && file_sha(app, path, MAX_LAYER_BYTES as u64)? == l.sha256;
        }
        if same {
            return Ok(Watched::Unchanged(latest));
        }
    }
    let code = read_bounded(&code_path, MAX_CODE_BYTES as u64)?;
    let mut layers = Vec::new();
    for (lname, path) in &layer_files {
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(Failure::invalid(&shown, "is missing"));
        }
        layers.push(LayerInput {
            name: lname.clone(),
            version: None,
            content: read_bounded(path, MAX_LAYER_BYTES as u64)?,
            member: shown,
        });
    }
    let published = publish(
        app,
        Package {
            account,
            region,
            name: name.to_owned(),
            runtime: config.runtime,
            handler: config.handler,
            role,
            architectures,
            tags,
            version: None,
            code,
            code_member: code_shown,
            layers,
            source: "watch",
        },
    )?;
    Ok(if published.created {
        Watched::Published(published)
    } else {
        Watched::Unchanged(published.version)
    })
}

/// Records why a watched function could not be published, as the coverage status of its
/// `$LATEST` resource.
fn record_failure(app: &App, pkg: &WatchedPackage, name: &str, f: &Failure) {
    let runtime = pkg
        .runtime
        .as_deref()
        .map_or_else(|| "UNSUPPORTED".into(), inspector_runtime);
    let record = ResourceRecord {
        kind: "AWS_LAMBDA_FUNCTION".into(),
        id: latest_resource_id(&pkg.account, &pkg.region, name),
        region: pkg.region.clone(),
        tags: BTreeMap::new(),
        details: Some(json!({
            "awsLambdaFunction": {
                "functionName": name,
                "runtime": runtime,
                "version": "$LATEST",
                "codeSha256": "",
                "executionRoleArn": "",
                "packageType": "Zip",
            },
            "vigil": {"source": "watch", "scanError": f.message()},
        })),
    };
    if let Err(e) =
        app.store
            .registry_store()
            .set_resource_status(&pkg.account, &record, f.reason())
    {
        tracing::warn!(
            function = name,
            "recording the function's failure status: {e}"
        );
    }
}

/// The `functions-watch` job: publishes each function directory of the watched directory
/// whose package changed since its last publication.
pub fn watch(app: &App) -> Result<Value, String> {
    let Some(w) = app.functions.watch.clone() else {
        return Ok(json!({"watching": Value::Null}));
    };
    let entries = std::fs::read_dir(&w.dir)
        .map_err(|e| format!("functions directory `{}`: {e}", w.dir.display()))?;
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    let mut failed: Vec<Value> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("functions directory `{}`: {e}", w.dir.display()))?;
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if !valid_name(&name) {
            failed.push(json!({"function": name, "reason": "UNSUPPORTED_CONFIG_FILE",
                "error": format!("`{}`: a function directory is named 1 to 64 of [A-Za-z0-9-_]", path.display())}));
            continue;
        }
        dirs.push((name, path));
    }
    dirs.sort();
    let mut published = Vec::new();
    let mut unchanged = Vec::new();
    for (name, dir) in dirs {
        let mut found = WatchedPackage {
            account: w.account.clone(),
            region: w.region.clone(),
            runtime: None,
        };
        match watch_one(app, &w, &dir, &name, &mut found) {
            Ok(Watched::Published(p)) => {
                tracing::info!(function = %name, version = p.version.version, "function published");
                published.push(answer(&p));
            }
            Ok(Watched::Unchanged(v)) => {
                clear_failure(app, &v.account, &v.region, &name);
                unchanged.push(json!({"function": name, "version": v.version.to_string()}));
            }
            Err(f) => {
                tracing::warn!(function = %name, reason = f.reason(), "function not published: {}", f.message());
                record_failure(app, &found, &name, &f);
                failed.push(
                    json!({"function": name, "account": found.account, "region": found.region,
                    "reason": f.reason(), "error": f.message()}),
                );
            }
        }
    }
    let out = json!({"published": published, "unchanged": unchanged, "failed": failed});
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "{} function package(s) could not be published ({} published, {} unchanged): {}",
            failed.len(),
            published.len(),
            unchanged.len(),
            failed
                .iter()
                .map(|f| format!(
                    "{}: {}",
                    f["function"].as_str().unwrap_or(""),
                    f["error"].as_str().unwrap_or("")
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("start");
            z.write_all(data.as_bytes()).expect("write");
        }
        z.finish().expect("finish").into_inner()
    }

    #[test]
    fn runtimes_map_to_inspector_names() {
        assert_eq!(inspector_runtime("python3.11"), "PYTHON_3_11");
        assert_eq!(inspector_runtime("nodejs18.x"), "NODEJS_18_X");
        assert_eq!(inspector_runtime("java8.al2"), "JAVA_8_AL2");
        assert_eq!(inspector_runtime("go1.x"), "GO_1_X");
        assert_eq!(inspector_runtime("dotnetcore3.1"), "DOTNETCORE_3_1");
        assert_eq!(inspector_runtime("dotnet6"), "DOTNET_6");
        assert_eq!(inspector_runtime("nodejs"), "NODEJS");
        assert_eq!(inspector_runtime("provided.al2023"), "UNSUPPORTED");
        assert_eq!(inspector_runtime("my-runtime"), "UNSUPPORTED");
        assert!(valid_runtime("my-runtime.1"));
        assert!(!valid_runtime("bad runtime"));
        assert!(!valid_runtime(""));
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("my-function_1"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        assert!(!valid_name(&"x".repeat(65)));
    }

    #[test]
    fn zips_are_checked_before_anything_is_stored() {
        let ok = zip_of(&[("app.py", "print(1)"), ("lib/x.py", "")]);
        assert_eq!(check_zip(&ok, "code").expect("ok"), 8);
        let message = |r: Result<u64, Failure>| match r {
            Err(f) => f.message(),
            Ok(_) => panic!("accepted"),
        };
        let m = message(check_zip(b"not a zip", "code"));
        assert!(m.starts_with("code: is not a valid zip archive"), "{m}");
        for bad in [
            "../evil.py",
            "a/../../evil.py",
            "/etc/cron.d/x",
            "..\\evil.py",
        ] {
            let z = zip_of(&[(bad, "x")]);
            let m = message(check_zip(&z, "layers[1].content"));
            assert!(m.starts_with("layers[1].content: zip entry"), "{m}");
            assert!(m.contains(bad), "{m}");
        }
    }

    #[test]
    fn base64_members_are_bounded_and_named() {
        let e = decode_zip("!!!", "code", 100).expect_err("bad base64");
        assert!(
            e.message().starts_with("code: is not valid base64"),
            "{}",
            e.message()
        );
        let big = "A".repeat(400);
        let e = decode_zip(&big, "layers[0].content", 100).expect_err("too big");
        assert!(
            e.message()
                .starts_with("layers[0].content: is about 300 bytes"),
            "{}",
            e.message()
        );
        assert_eq!(decode_zip("aGk=\n", "code", 100).expect("ok"), b"hi");
    }

    #[test]
    fn layer_findings_name_the_layer() {
        let details = json!({"vigil": {"layers": [
            {"arn": "arn:vigil:lambda:r:a:layer:deps:1", "sourceLayerHash": "sha256:aa"},
            {"arn": "arn:vigil:lambda:r:a:layer:more:2", "sourceLayerHash": "sha256:bb"},
        ]}});
        let mut f = json!({"packageVulnerabilityDetails": {"vulnerablePackages": [
            {"name": "x", "sourceLayerHash": "sha256:bb"}]}});
        annotate_layer(&mut f, Some(&details));
        assert_eq!(
            f["packageVulnerabilityDetails"]["vulnerablePackages"][0]["sourceLambdaLayerArn"],
            "arn:vigil:lambda:r:a:layer:more:2"
        );
        let mut code =
            json!({"packageVulnerabilityDetails": {"vulnerablePackages": [{"name": "y"}]}});
        annotate_layer(&mut code, Some(&details));
        assert!(
            code["packageVulnerabilityDetails"]["vulnerablePackages"][0]
                .get("sourceLambdaLayerArn")
                .is_none()
        );
    }

    #[test]
    fn code_digest_in_lambda_form() {
        // sha256("") in hex and as Lambda shows it
        assert_eq!(
            lambda_sha256("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
