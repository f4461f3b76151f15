//! Writer-only locks striped by product id: two writers of one product take turns.

use super::changes::key_hash;

/// Writer-only locks striped by product id (see `Catalog::product_writes`).
#[derive(Debug)]
pub(super) struct ProductStripes([std::sync::Mutex<()>; 64]);

impl Default for ProductStripes {
    fn default() -> Self {
        Self(std::array::from_fn(|_| std::sync::Mutex::new(())))
    }
}

impl ProductStripes {
    pub(super) fn lock(&self, id: &str) -> std::sync::MutexGuard<'_, ()> {
        let stripe = (key_hash(id) % self.0.len() as u64) as usize;
        self.0[stripe]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
