//! SHA-256 in lowercase hex: the ids and tags Vitrine derives from content (persisted-query
//! hashes, reservation ids, `ETag`s), the same on every replica.

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, as 64 lowercase hex digits.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    Sha256::digest(bytes.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
