//! Who owns a reservation: its id is derived with the server's secret from the client and the
//! idempotency key (the same key from another client is another reservation), and `reserve`
//! hands its owner a token, derived from the id with the same secret, that releasing and
//! checking out must show. Every replica sharing `checkout.quote_secret` derives the same ids
//! and tokens; nobody without it can compute either.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::digest::hex;

type HmacSha256 = Hmac<Sha256>;

/// Derives reservation ids and owner tokens.
#[derive(Clone)]
pub struct Ownership {
    key: Vec<u8>,
}

impl std::fmt::Debug for Ownership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ownership { .. }")
    }
}

impl Ownership {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self, parts: &[&str]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        for part in parts {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") never collide.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac
    }

    /// `r_` + 128 bits of HMAC(client, key).
    pub fn reservation_id(&self, client: &str, idempotency_key: &str) -> String {
        let tag = self
            .mac(&["id", client, idempotency_key])
            .finalize()
            .into_bytes();
        format!("r_{}", hex(&tag[..16]))
    }

    /// The owner's token for reservation `id` (128 bits of HMAC, 32 hex digits).
    pub fn token(&self, id: &str) -> String {
        hex(&self.mac(&["token", id]).finalize().into_bytes()[..16])
    }

    /// Whether `token` is `id`'s (compared in constant time).
    pub fn owns(&self, id: &str, token: &str) -> bool {
        let Some(given) = (token.len() == 32)
            .then(|| {
                (0..16)
                    .map(|i| u8::from_str_radix(token.get(2 * i..2 * i + 2)?, 16).ok())
                    .collect::<Option<Vec<u8>>>()
            })
            .flatten()
        else {
            return false;
        };
        self.mac(&["token", id])
            .verify_truncated_left(&given)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_per_client_and_tokens_prove_ownership() {
        let a = Ownership::new(b"secret".to_vec());
        let id = a.reservation_id("client-1", "cart-1");
        assert_eq!(id, a.reservation_id("client-1", "cart-1"), "stable");
        assert_ne!(id, a.reservation_id("client-2", "cart-1"), "per client");
        assert_ne!(
            a.reservation_id("client-1c", "art-1"),
            a.reservation_id("client-1", "cart-1")
        );
        let token = a.token(&id);
        assert!(a.owns(&id, &token));
        assert!(!a.owns(&a.reservation_id("client-2", "cart-1"), &token));
        for forged in ["", "00", &"0".repeat(32), &token.to_uppercase()[..31], "zz"] {
            assert!(!a.owns(&id, forged), "{forged}");
        }
        let other = Ownership::new(b"another secret".to_vec());
        assert_ne!(other.reservation_id("client-1", "cart-1"), id);
        assert!(!other.owns(&id, &token));
    }
}
