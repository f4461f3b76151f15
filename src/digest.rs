//! SHA-256 and lowercase hex: the ids and tags Vitrine derives from content (persisted-query
//! hashes, `ETag`s) or with its secret (reservation ids and tokens), the same on every replica.

use sha2::{Digest, Sha256};

/// `bytes` as lowercase hex digits.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `bytes`, as 64 lowercase hex digits.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(bytes.as_ref()))
}
