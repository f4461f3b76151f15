//! Bitmaps over the listing index's products, kept in the same apply step as the ordered maps:
//! each product has a dense number (its ordinal), and the sets facets intersect are roaring
//! bitmaps of ordinals: products in stock, and per variant-option value the products having a
//! variant with it (any, and in stock). Scopes keep their own bitmap (`Scope::bits`).

use std::collections::HashMap;
use std::sync::Arc;

use roaring::RoaringBitmap;

use super::index::{HsClass, Indexed};
use super::listing_filter::OptionName;
use super::summary::Stocked;
use super::Product;

type Hash = foldhash::fast::RandomState;

/// An option value as facets group it: ASCII lower-cased.
pub type OptionKey = (OptionName, Box<str>);

/// The products having a variant with one option value.
#[derive(Debug, Default)]
pub struct OptionBits {
    /// The value as first seen (what the facet shows).
    pub label: Box<str>,
    /// Some variant has it.
    pub any: RoaringBitmap,
    /// Some priced variant in stock has it.
    pub stocked: RoaringBitmap,
}

#[derive(Debug, Default)]
pub struct FacetBits {
    /// Ordinal -> product; `None` where a number is free.
    slots: Vec<Option<Arc<Indexed>>>,
    free: Vec<u32>,
    /// Products available for sale.
    pub in_stock: RoaringBitmap,
    /// Option values by key, numbered; their bitmaps by number (a value nobody has any more
    /// keeps its number, with empty bitmaps).
    pub options: HashMap<OptionKey, u32, Hash>,
    pub values: Vec<OptionBits>,
    /// Per ordinal, the option values its product has, each with its variants that have it
    /// (bits as in [`Stocked`]): a stock change only tests these against the in-stock mask.
    held: Vec<Box<[(u32, u64)]>>,
    /// Per ordinal, side by side for the price facet's passes: the lowest base price
    /// ([`NO_PRICE`]: none) and the number of its HS class.
    pub base: Vec<i64>,
    pub class: Vec<u32>,
    /// HS classes by number, each with a product of it (a market's price function reads only
    /// the HS code).
    pub classes: Vec<(HsClass, Arc<Product>)>,
    class_numbers: HashMap<HsClass, u32, Hash>,
}

/// No priced variant.
pub const NO_PRICE: i64 = i64::MIN;

/// A product's distinct values of every option, lower-cased, each with its first spelling and
/// the variants that have it (bits as in [`Stocked`]).
fn memberships(entry: &Indexed) -> Vec<(OptionKey, &str, u64)> {
    let mut out: Vec<(OptionKey, &str, u64)> = Vec::new();
    for (at, variant) in entry.product.variants.iter().enumerate() {
        let mut bit = Stocked::default();
        bit.set(at);
        for name in OptionName::ALL {
            let Some(value) = name.of(variant) else {
                continue;
            };
            let key = (name, value.to_ascii_lowercase().into_boxed_str());
            match out.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, mask)) => *mask |= bit.0,
                None => out.push((key, value, bit.0)),
            }
        }
    }
    out
}

impl FacetBits {
    /// The next free ordinal (the builder numbers products itself: see [`FacetBits::built`]).
    pub fn take_ordinal(&mut self) -> u32 {
        self.free.pop().unwrap_or(self.slots.len() as u32)
    }

    /// The product with this ordinal.
    pub fn entry(&self, ordinal: u32) -> Option<&Arc<Indexed>> {
        self.slots.get(ordinal as usize)?.as_ref()
    }

    pub fn insert(&mut self, entry: &Arc<Indexed>) {
        let at = entry.ordinal as usize;
        if self.slots.len() <= at {
            self.slots.resize(at + 1, None);
        }
        self.slots[at] = Some(Arc::clone(entry));
        if self.base.len() <= at {
            self.base.resize(at + 1, NO_PRICE);
            self.class.resize(at + 1, 0);
        }
        self.base[at] = entry.min_price().unwrap_or(NO_PRICE);
        self.class[at] = self.class_number(entry);
        if entry.in_stock() {
            self.in_stock.insert(entry.ordinal);
        }
        let stocked = entry.stocked().0;
        let mut held = Vec::new();
        for (key, label, mask) in memberships(entry) {
            let id = match self.options.get(&key) {
                Some(id) => *id,
                None => {
                    let id = self.values.len() as u32;
                    self.values.push(OptionBits {
                        label: label.into(),
                        ..OptionBits::default()
                    });
                    self.options.insert(key, id);
                    id
                }
            };
            let bits = &mut self.values[id as usize];
            bits.any.insert(entry.ordinal);
            if mask & stocked != 0 {
                bits.stocked.insert(entry.ordinal);
            }
            held.push((id, mask));
        }
        if self.held.len() <= at {
            self.held.resize_with(at + 1, Default::default);
        }
        self.held[at] = held.into_boxed_slice();
    }

    pub fn remove(&mut self, entry: &Indexed) {
        let ordinal = entry.ordinal;
        if let Some(slot) = self.slots.get_mut(ordinal as usize) {
            *slot = None;
            self.free.push(ordinal);
            self.base[ordinal as usize] = NO_PRICE;
        }
        self.in_stock.remove(ordinal);
        let held = self
            .held
            .get_mut(ordinal as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        for (id, _) in held.iter() {
            let bits = &mut self.values[*id as usize];
            bits.any.remove(ordinal);
            bits.stocked.remove(ordinal);
        }
    }

    fn class_number(&mut self, entry: &Indexed) -> u32 {
        if let Some(n) = self.class_numbers.get(entry.hs_class()) {
            return *n;
        }
        let n = self.classes.len() as u32;
        let class = entry.hs_class().clone();
        self.classes
            .push((class.clone(), Arc::clone(&entry.product)));
        self.class_numbers.insert(class, n);
        n
    }

    /// The product's price or stock moved (its summary is already updated).
    pub fn restock(&mut self, entry: &Indexed) {
        if let Some(base) = self.base.get_mut(entry.ordinal as usize) {
            *base = entry.min_price().unwrap_or(NO_PRICE);
        }
        match entry.in_stock() {
            true => self.in_stock.insert(entry.ordinal),
            false => self.in_stock.remove(entry.ordinal),
        };
        let stocked = entry.stocked().0;
        if let Some(held) = self.held.get(entry.ordinal as usize) {
            for (id, mask) in held.iter() {
                let bits = &mut self.values[*id as usize];
                match mask & stocked != 0 {
                    true => bits.stocked.insert(entry.ordinal),
                    false => bits.stocked.remove(entry.ordinal),
                };
            }
        }
    }

    /// Bytes the facet bitmaps and the ordinal table hold (roaring's serialized size, which is
    /// its in-memory size give or take a container header).
    pub fn approx_bytes(&self) -> usize {
        let options: usize = self
            .options
            .keys()
            .map(|(_, value)| value.len() + 4)
            .sum::<usize>()
            + self
                .values
                .iter()
                .map(|bits| {
                    bits.label.len() + bits.any.serialized_size() + bits.stocked.serialized_size()
                })
                .sum::<usize>()
            + self.held.iter().map(|h| 16 + h.len() * 16).sum::<usize>();
        let slots = self.slots.capacity() * std::mem::size_of::<Option<Arc<Indexed>>>()
            + self.base.capacity() * 8
            + self.class.capacity() * 4;
        options + slots + self.in_stock.serialized_size() + self.free.capacity() * 4
    }

    /// The bitmaps of entries numbered `0..n` in order (a bulk build).
    pub fn built(entries: &[Arc<Indexed>]) -> Self {
        let mut bits = Self::default();
        for entry in entries {
            bits.insert(entry);
        }
        bits
    }
}
