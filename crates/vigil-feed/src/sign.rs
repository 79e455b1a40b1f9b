//! ed25519 signing keys for pushed databases.
//!
//! Key files are one line: `vigil-ed25519-secret <base64 seed>` (written with mode 0600) and
//! `vigil-ed25519-public <base64 key>`. A signature covers the canonical statement
//! `vigil-db-signature-v1\n<layer digest>\n<media type>\n<created>\n`, so it binds the exact
//! bytes (by digest) and their metadata.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::Digest;

use crate::Error;

const SECRET_TAG: &str = "vigil-ed25519-secret";
const PUBLIC_TAG: &str = "vigil-ed25519-public";

/// The statement a signature covers.
pub fn statement(layer_digest: &str, media_type: &str, created: &str) -> Vec<u8> {
    format!("vigil-db-signature-v1\n{layer_digest}\n{media_type}\n{created}\n").into_bytes()
}

/// A new key pair: (secret file text, public file text).
pub fn generate() -> Result<(String, String), Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Invalid(format!("no system randomness: {e}")))?;
    let key = SigningKey::from_bytes(&seed);
    Ok((
        format!("{SECRET_TAG} {}\n", STANDARD.encode(seed)),
        format!(
            "{PUBLIC_TAG} {}\n",
            STANDARD.encode(key.verifying_key().to_bytes())
        ),
    ))
}

fn decode(text: &str, tag: &str, origin: &str) -> Result<[u8; 32], Error> {
    let t = text.trim();
    let b64 = t
        .strip_prefix(tag)
        .map(str::trim)
        .ok_or_else(|| Error::Invalid(format!("{origin}: not a `{tag}` key")))?;
    let bytes = STANDARD
        .decode(b64)
        .map_err(|e| Error::Invalid(format!("{origin}: bad base64: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| Error::Invalid(format!("{origin}: key is not 32 bytes")))
}

pub fn load_secret(path: &Path) -> Result<SigningKey, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(SigningKey::from_bytes(&decode(
        &text,
        SECRET_TAG,
        &path.display().to_string(),
    )?))
}

/// A public key from a file path or from the key text itself.
pub fn load_public(spec: &str) -> Result<VerifyingKey, Error> {
    let text = if spec.trim_start().starts_with(PUBLIC_TAG) {
        spec.to_owned()
    } else {
        std::fs::read_to_string(spec).map_err(|e| Error::io(Path::new(spec), e))?
    };
    VerifyingKey::from_bytes(&decode(&text, PUBLIC_TAG, spec)?)
        .map_err(|e| Error::Invalid(format!("{spec}: invalid ed25519 public key: {e}")))
}

/// A short identifier of a public key (first 16 hex digits of its SHA-256).
pub fn key_id(key: &VerifyingKey) -> String {
    let d = sha2::Sha256::digest(key.to_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

pub fn sign(key: &SigningKey, message: &[u8]) -> String {
    STANDARD.encode(key.sign(message).to_bytes())
}

/// Verifies against any of the trusted keys; returns the id of the key that verified.
pub fn verify(
    trusted: &[VerifyingKey],
    message: &[u8],
    signature_b64: &str,
) -> Result<String, Error> {
    let bytes = STANDARD
        .decode(signature_b64.trim())
        .map_err(|e| Error::Signature(format!("not base64: {e}")))?;
    let sig = Signature::from_slice(&bytes)
        .map_err(|e| Error::Signature(format!("malformed signature: {e}")))?;
    for k in trusted {
        if k.verify(message, &sig).is_ok() {
            return Ok(key_id(k));
        }
    }
    Err(Error::Signature(format!(
        "no trusted key ({}) verifies this database",
        trusted.iter().map(key_id).collect::<Vec<_>>().join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let (secret, public) = generate().expect("keys");
        let dir = tempfile::tempdir().expect("dir");
        let sp = dir.path().join("k.key");
        std::fs::write(&sp, &secret).expect("write");
        let sk = load_secret(&sp).expect("secret");
        let pk = load_public(&public).expect("public");
        let msg = statement("sha256:abc", "application/x", "2026-01-01T00:00:00Z");
        let sig = sign(&sk, &msg);
        assert_eq!(verify(&[pk], &msg, &sig).expect("verify"), key_id(&pk));
        let other = load_public(&generate().expect("k").1).expect("other");
        assert!(verify(&[other], &msg, &sig).is_err());
        let tampered = statement("sha256:abd", "application/x", "2026-01-01T00:00:00Z");
        assert!(verify(&[pk], &tampered, &sig).is_err());
        assert!(load_public("vigil-ed25519-public AAAA").is_err());
    }
}
