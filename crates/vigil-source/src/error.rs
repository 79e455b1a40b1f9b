use std::path::Path;

/// Why a target or layer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a directory")]
    NotADirectory { path: String },
    #[error(
        "cannot tell what kind of target `{path}` is; use a prefix such as `dir:`, `oci-archive:`, `docker-archive:`, `zip:` or `sbom:`"
    )]
    UnknownTarget { path: String },
    #[error("`{path}` is an SBOM, not a layered target")]
    NotLayered { path: String },
    #[error("invalid image `{path}`: {message}")]
    Image { path: String, message: String },
    #[error("no image for platform `{wanted}` in `{path}` (available: {available})")]
    Platform {
        path: String,
        wanted: String,
        available: String,
    },
    #[error("{what} blob `{digest}` is missing from `{path}`")]
    MissingBlob {
        /// The blob directory (or image layout).
        path: String,
        /// What the blob was to be: `manifest`, `image index`, `image config`, `layer`.
        what: String,
        digest: String,
    },
    #[error("corrupt or truncated layer `{layer}`: {message}")]
    Layer { layer: String, message: String },
    #[error("invalid zip archive `{path}`: {message}")]
    Zip { path: String, message: String },
    #[error("invalid platform `{0}`: expected os/arch[/variant]")]
    BadPlatform(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
    pub(crate) fn image(path: &Path, message: impl Into<String>) -> Error {
        Error::Image {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}
