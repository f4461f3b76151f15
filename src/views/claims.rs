//! Which product owns a SKU when more than one lists it: the product whose record listing it
//! was applied last; when that one is deleted or stops listing it, the SKU passes back to the
//! most recent remaining claimant. Every replica applies the same log in the same order, so
//! every replica agrees.

/// The products listing one SKU, oldest claim first; the last is the owner. One claimant (the
/// usual case) takes no allocation besides its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claims {
    One(String),
    Many(Vec<String>),
}

impl Claims {
    /// The owning product's id.
    pub fn owner(&self) -> &str {
        match self {
            Claims::One(id) => id,
            Claims::Many(ids) => ids.last().map(String::as_str).unwrap_or(""),
        }
    }

    /// Every claimant, oldest first.
    pub fn ids(&self) -> &[String] {
        match self {
            Claims::One(id) => std::slice::from_ref(id),
            Claims::Many(ids) => ids,
        }
    }

    /// `id` (re)claims the SKU: it becomes the owner.
    pub fn claim(&mut self, id: &str) {
        if self.owner() == id {
            return;
        }
        let mut ids = std::mem::replace(self, Claims::Many(vec![])).into_ids();
        ids.retain(|held| held != id);
        ids.push(id.to_string());
        *self = Claims::from_ids(ids);
    }

    /// `id` no longer lists the SKU; `false` when nobody claims it any more.
    pub fn release(&mut self, id: &str) -> bool {
        let mut ids = std::mem::replace(self, Claims::Many(vec![])).into_ids();
        ids.retain(|held| held != id);
        if ids.is_empty() {
            return false;
        }
        *self = Claims::from_ids(ids);
        true
    }

    fn into_ids(self) -> Vec<String> {
        match self {
            Claims::One(id) => vec![id],
            Claims::Many(ids) => ids,
        }
    }

    fn from_ids(mut ids: Vec<String>) -> Self {
        if ids.len() == 1 {
            Claims::One(ids.pop().unwrap_or_default())
        } else {
            Claims::Many(ids)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_claim_owns_and_ownership_passes_back() {
        let mut c = Claims::One("a".into());
        c.claim("b");
        assert_eq!(c.owner(), "b");
        c.claim("a");
        assert_eq!(c.owner(), "a", "a re-listed it last");
        assert_eq!(c.ids(), ["b", "a"]);
        assert!(c.release("a"));
        assert_eq!(c, Claims::One("b".into()));
        assert!(!c.release("b"));
    }
}
