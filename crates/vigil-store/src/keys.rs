//! Access keys and the master key that seals their secrets at rest.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::Serialize;

use crate::{Error, Result};

/// An access key pair; the secret is shown once, at creation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub account: String,
}

fn random(n: usize) -> Result<Vec<u8>> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| Error::Invalid(format!("no system randomness: {e}")))?;
    Ok(b)
}

/// `n` random bytes from the system.
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    random(n)
}

pub fn random_hex(n: usize) -> Result<String> {
    Ok(random(n)?.iter().map(|b| format!("{b:02x}")).collect())
}

const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl AccessKey {
    /// An AWS-shaped key: `AKIA` + 16 base32 characters, a 40-character secret.
    pub fn generate(account: &str) -> Result<AccessKey> {
        let id: String = random(16)?
            .iter()
            .map(|b| KEY_ALPHABET[(*b as usize) % KEY_ALPHABET.len()] as char)
            .collect();
        let secret: String = random(40)?
            .iter()
            .map(|b| SECRET_ALPHABET[(*b as usize) % SECRET_ALPHABET.len()] as char)
            .collect();
        Ok(AccessKey {
            access_key_id: format!("AKIA{id}"),
            secret_access_key: secret,
            account: account.to_owned(),
        })
    }
}

/// Account ids: 12 digits (AWS style) or a name of letters, digits, `-` and `_` (up to 64).
pub fn validate_account(account: &str) -> Result<()> {
    let ok = !account.is_empty()
        && account.len() <= 64
        && account
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "`{account}` is not an account id (12 digits, or letters, digits, - and _)"
        )))
    }
}

/// The server's master key (32 bytes in `master.key`, created with mode 0600).
pub struct MasterKey(ChaCha20Poly1305);

impl MasterKey {
    pub fn load_or_create(path: &Path) -> Result<MasterKey> {
        let io = |e| Error::Io {
            path: path.display().to_string(),
            source: e,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = random(32)?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path).map_err(io)?;
                f.write_all(&key).map_err(io)?;
                f.sync_all().map_err(io)?;
                key
            }
            Err(e) => return Err(io(e)),
        };
        if bytes.len() != 32 {
            return Err(Error::Invalid(format!(
                "`{}` is not a 32-byte master key",
                path.display()
            )));
        }
        Ok(MasterKey(ChaCha20Poly1305::new(Key::from_slice(&bytes))))
    }

    pub fn seal(&self, plain: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        let nonce = random(12)?;
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&nonce), plain)
            .map_err(|_| Error::Invalid("sealing failed".into()))?;
        Ok((nonce, sealed))
    }

    pub fn open(&self, nonce: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        if nonce.len() != 12 {
            return Err(Error::Invalid("bad nonce".into()));
        }
        self.0
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| {
                Error::Invalid("a sealed secret does not open with this master key".into())
            })
    }
}
