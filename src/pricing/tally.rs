//! What a cart asks for per SKU, across its lines: units requested (lines of one SKU share its
//! stock) and quoted units already charged (they share the cap).

use super::checkout::CartLine;

/// Per SKU over the whole cart: units asked for (lines of one SKU share its stock) and
/// quoted units already charged (they share the cap).
#[derive(Default)]
pub(super) struct CartTally {
    pub(super) requested: std::collections::HashMap<String, i64>,
    pub(super) quoted: std::collections::HashMap<String, i32>,
}

impl CartTally {
    pub(super) fn of(lines: &[CartLine]) -> Self {
        let mut tally = Self::default();
        for line in lines {
            *tally.requested.entry(line.sku.clone()).or_insert(0) += i64::from(line.quantity);
        }
        tally
    }

    /// Takes up to `wanted` quoted units of `sku` under `cap`; returns how many.
    pub(super) fn take_quoted(&mut self, sku: &str, wanted: i32, cap: i32) -> i32 {
        let used = self.quoted.entry(sku.to_string()).or_insert(0);
        let granted = wanted.min((cap - *used).max(0));
        *used += granted;
        granted
    }
}
