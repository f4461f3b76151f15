//! Secrets in the settings: read from the environment as their exact text, and from the files
//! that name them (mounted secrets).

use super::{ConfigError, Secret, Settings};

/// Secret settings read from the environment as raw text: (variable, settings key).
pub(super) const SECRET_VARS: [(&str, &str); 4] = [
    (
        "VITRINE_SCHEMA_REGISTRY__PASSWORD",
        "schema_registry.password",
    ),
    (
        "VITRINE_SCHEMA_REGISTRY__BEARER_TOKEN",
        "schema_registry.bearer_token",
    ),
    (
        "VITRINE_KAFKA__SECURITY__PASSWORD",
        "kafka.security.password",
    ),
    ("VITRINE_CHECKOUT__QUOTE_SECRET", "checkout.quote_secret"),
];

impl Settings {
    /// Takes the secrets set in the environment as their exact text (a settings layer would
    /// read `0123` as the number 123, and its errors quote what it read).
    pub(super) fn with_secret_vars(mut self) -> Result<Self, ConfigError> {
        for (var, key) in SECRET_VARS {
            let Some(raw) = std::env::var_os(var) else {
                continue;
            };
            let text = raw.into_string().map_err(|_| ConfigError::Rejected {
                field: key,
                reason: format!("{var} is not UTF-8 (its value is not shown)"),
            })?;
            let secret = Secret::new(text);
            match key {
                "kafka.security.password" => self.kafka.security.password = secret,
                "schema_registry.password" => self.schema_registry.password = secret,
                "schema_registry.bearer_token" => self.schema_registry.bearer_token = secret,
                _ => self.checkout.quote_secret = secret,
            }
        }
        Ok(self)
    }

    /// Reads `checkout.quote_secret_file`, if named, into `checkout.quote_secret`.
    pub(super) fn with_secret_files(mut self) -> Result<Self, ConfigError> {
        self.schema_registry = self.schema_registry.with_secret_files()?;
        let path = &self.checkout.quote_secret_file;
        if path.is_empty() {
            return Ok(self);
        }
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Rejected {
            field: "checkout.quote_secret_file",
            reason: format!("cannot read `{path}`: {e}"),
        })?;
        self.checkout.quote_secret = Secret::new(text.trim_end_matches(['\n', '\r']));
        Ok(self)
    }
}
