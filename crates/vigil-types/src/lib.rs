//! Shared vocabulary of Vigil: ecosystems, packages, locations and inventories.
//!
//! Everything a cataloger produces and every later stage (matching, findings, exports)
//! consumes is defined here, so that crates agree on one model.

mod purl;

use serde::{Deserialize, Serialize};
use std::fmt;

pub use purl::package_url;

/// A package ecosystem, in OSV's vocabulary where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Debian-family binary packages (dpkg).
    Deb,
    /// RPM packages (RHEL, Fedora, Amazon Linux, SUSE, ...).
    Rpm,
    /// Alpine packages (apk).
    Apk,
    #[serde(rename = "PyPI")]
    PyPi,
    #[serde(rename = "npm")]
    Npm,
    #[serde(rename = "crates.io")]
    Cargo,
    Go,
    Maven,
    RubyGems,
    Packagist,
    NuGet,
}

impl Ecosystem {
    /// Every ecosystem, in a stable order.
    pub const ALL: [Ecosystem; 11] = [
        Ecosystem::Deb,
        Ecosystem::Rpm,
        Ecosystem::Apk,
        Ecosystem::PyPi,
        Ecosystem::Npm,
        Ecosystem::Cargo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::NuGet,
    ];

    /// The stable, lowercase name used on the command line and in plain JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Apk => "apk",
            Ecosystem::PyPi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Go => "go",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
            Ecosystem::NuGet => "nuget",
        }
    }

    /// Whether packages of this ecosystem are operating-system packages.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Rpm | Ecosystem::Apk)
    }

    /// Parse the name produced by [`Ecosystem::as_str`] (also accepts purl types).
    pub fn from_name(s: &str) -> Option<Ecosystem> {
        Some(match s.to_ascii_lowercase().as_str() {
            "deb" | "debian" => Ecosystem::Deb,
            "rpm" => Ecosystem::Rpm,
            "apk" | "alpine" => Ecosystem::Apk,
            "pypi" | "python" => Ecosystem::PyPi,
            "npm" | "node" => Ecosystem::Npm,
            "cargo" | "crates.io" | "rust" => Ecosystem::Cargo,
            "go" | "golang" => Ecosystem::Go,
            "maven" | "java" => Ecosystem::Maven,
            "gem" | "rubygems" | "ruby" => Ecosystem::RubyGems,
            "composer" | "packagist" | "php" => Ecosystem::Packagist,
            "nuget" | "dotnet" => Ecosystem::NuGet,
            _ => return None,
        })
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a package was found: installed on the target, or declared by a manifest or lockfile.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    #[default]
    Installed,
    Declared,
}

/// The image layer a file came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LayerRef {
    /// Zero-based position in the image's layer list (bottom first).
    pub index: usize,
    /// Digest of the layer blob as stored (compressed), e.g. `sha256:…`.
    pub digest: String,
    /// Digest of the uncompressed layer tar (the config's `rootfs.diff_ids` entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
}

/// Where a package was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Absolute path inside the target (`/`-separated, starting with `/`).
    pub path: String,
    /// The image layer, for container images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

/// The distribution source package a binary package was built from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourcePackage {
    pub name: String,
    pub version: String,
}

/// An operating-system package that owns a language package's files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OwnerRef {
    pub ecosystem: Ecosystem,
    pub name: String,
}

/// One software package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    /// The version exactly as the ecosystem writes it (dpkg `epoch:upstream-revision`,
    /// rpm `epoch:version-release`, PEP 440 for PyPI, ...).
    pub version: String,
    pub ecosystem: Ecosystem,
    /// Package URL (<https://github.com/package-url/purl-spec>); filled in by the inventory
    /// engine once the distribution is known.
    #[serde(default)]
    pub purl: String,
    #[serde(default)]
    pub kind: PackageKind,
    /// Distribution source package (dpkg `Source:`, rpm `SOURCERPM`, apk `o:` origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Licences as the package metadata states them (SPDX expressions where given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    pub locations: Vec<Location>,
    /// The cataloger that found it (stable kebab-case name).
    pub cataloger: String,
    /// Set when an OS package's file list owns this (language) package's files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerRef>,
    /// Ecosystem-specific facts (`namespace` for Maven/npm scopes is part of the name; here go
    /// things like rpm `modularitylabel`, Go toolchain version, Maven `groupId`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub metadata: std::collections::BTreeMap<String, String>,
}

impl Package {
    /// A package with the required fields; everything else empty.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        cataloger: &str,
    ) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            ecosystem,
            purl: String::new(),
            kind: PackageKind::Installed,
            source: None,
            arch: None,
            licenses: Vec::new(),
            locations: Vec::new(),
            cataloger: cataloger.to_owned(),
            owner: None,
            metadata: Default::default(),
        }
    }

    /// Builder-style setter for the package kind.
    pub fn declared(mut self) -> Package {
        self.kind = PackageKind::Declared;
        self
    }

    /// Builder-style setter for one metadata entry.
    pub fn with_meta(mut self, key: &str, value: impl Into<String>) -> Package {
        self.metadata.insert(key.to_owned(), value.into());
        self
    }
}

/// The operating system distribution of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Distro {
    /// os-release `ID` (`debian`, `ubuntu`, `alpine`, `rhel`, `amzn`, ...).
    pub id: String,
    /// os-release `VERSION_ID` (`12`, `3.19.1`, `2023`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// os-release `ID_LIKE`, split on spaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// The file the facts came from.
    pub path: String,
}

/// Severity of a note recorded during a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteLevel {
    Info,
    Warning,
    Error,
}

/// Something a scan could not read or had to skip, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub level: NoteLevel,
    /// The file concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The layer concerned, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    pub message: String,
}

/// Facts about a container image target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImageInfo {
    /// Digest of the image manifest, when the source records one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    pub config_digest: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    pub layers: Vec<LayerRef>,
}

/// One entry of an image config's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HistoryEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// What was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// `dir`, `tar`, `oci-dir`, `oci-archive`, `docker-archive`, `zip`, `sbom`.
    pub kind: String,
    /// The path or reference the user gave.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
}

/// Everything found in one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub target: TargetInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}
