//! Price quotes: signed (HMAC-SHA256), expiring tokens naming a variant's shown price in a
//! country and the record versions it came from, so checkout can honour or re-price it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a quote promises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteClaims {
    pub sku: String,
    /// Country the price was shown in (the base country for base prices).
    pub country: String,
    pub amount_minor: i64,
    pub currency: String,
    pub price_version: u64,
    pub product_version: u64,
    /// Version of the country's pricing context; none in the base market.
    pub intl_version: Option<u64>,
    /// Unix seconds after which the quote is no longer honoured.
    pub expires_at: i64,
    /// The banner it was shown in (empty: a process without banners); checkout in another
    /// banner refuses it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub banner: String,
}

/// The corrections in force for the records a line is priced from: a quote priced from a
/// version before any of them is void (an FX typo corrected a minute later is not honoured for
/// the quote's remaining lifetime).
#[derive(Debug, Clone, Copy, Default)]
pub struct Corrections {
    pub price: Option<u64>,
    pub product: Option<u64>,
    pub intl: Option<u64>,
}

impl Corrections {
    /// Whether `quote` was priced from a version before one of these corrections.
    pub fn void(&self, quote: &QuoteClaims) -> bool {
        let before = |corrected: Option<u64>, version: Option<u64>| matches!((corrected, version), (Some(c), Some(v)) if v < c);
        before(self.price, Some(quote.price_version))
            || before(self.product, Some(quote.product_version))
            || before(self.intl, quote.intl_version)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("quote is malformed")]
    Malformed,
    #[error("quote signature does not match")]
    BadSignature,
}

/// Signs and verifies quotes with one secret (shared by all replicas).
#[derive(Clone)]
pub struct QuoteSigner {
    key: Vec<u8>,
    pub ttl_secs: i64,
}

impl std::fmt::Debug for QuoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuoteSigner")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl QuoteSigner {
    pub fn new(key: impl Into<Vec<u8>>, ttl_secs: i64) -> Self {
        Self {
            key: key.into(),
            ttl_secs,
        }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length")
    }

    /// A key for another purpose, derived from this secret (HMAC of `label`): every replica
    /// sharing the quote secret derives the same one, and neither reveals the other.
    pub fn derive_key(&self, label: &str) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// `base64url(claims JSON) . base64url(HMAC of that JSON)`.
    pub fn sign(&self, claims: &QuoteClaims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        let mut mac = self.mac();
        mac.update(&payload);
        let signature = mac.finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// Checks the signature (in constant time) and returns the claims; expiry is the caller's call.
    pub fn verify(&self, token: &str) -> Result<QuoteClaims, QuoteError> {
        let (payload, signature) = token.split_once('.').ok_or(QuoteError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| QuoteError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| QuoteError::Malformed)?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&signature)
            .map_err(|_| QuoteError::BadSignature)?;
        serde_json::from_slice(&payload).map_err(|_| QuoteError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> QuoteClaims {
        QuoteClaims {
            sku: "p1-a".into(),
            country: "GB".into(),
            amount_minor: 98799,
            currency: "GBP".into(),
            price_version: 2,
            product_version: 1,
            intl_version: Some(3),
            expires_at: 1_900_000_000,
            banner: String::new(),
        }
    }

    #[test]
    fn round_trips() {
        let signer = QuoteSigner::new("secret", 900);
        assert_eq!(signer.verify(&signer.sign(&claims())), Ok(claims()));
    }

    #[test]
    fn forged_and_tampered_tokens_are_rejected() {
        let signer = QuoteSigner::new("secret", 900);
        let token = signer.sign(&claims());
        let other = QuoteSigner::new("other secret", 900);
        assert_eq!(other.verify(&token), Err(QuoteError::BadSignature));
        let mut cheaper = claims();
        cheaper.amount_minor = 1;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cheaper).unwrap());
        let signature = token.split_once('.').unwrap().1;
        assert_eq!(
            signer.verify(&format!("{forged_payload}.{signature}")),
            Err(QuoteError::BadSignature)
        );
        for junk in ["", "abc", "a.b", "..", "%%%.%%%"] {
            assert!(signer.verify(junk).is_err(), "{junk}");
        }
    }
}
