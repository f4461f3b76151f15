//! Building the listing indexes in one go after a bulk load: each order is sorted once over
//! the whole catalog and dealt out to the scopes already in order, so every scope's maps are
//! built from sorted runs (no insert-by-insert rebalancing); the orders are built on two
//! threads.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::index::{scopes_of, HsClass, Id, Indexed, ListingIndex, Ordered, Scope, ScopeKey};
use super::index_facets::FacetBits;
use super::{Product, ProductSummary};

type Hash = foldhash::fast::RandomState;

/// One scope's entries of one order, sorted.
type Dealt1<K> = Vec<(K, Arc<Indexed>)>;
/// Each scope's entries of one order, sorted, by scope number.
type Dealt<K> = Vec<Dealt1<K>>;

/// Sorts `entries` by `key` and deals them out to their scopes (`member[i]`: entry i's scopes).
fn deal<K: Ord + Clone>(
    entries: &[Arc<Indexed>],
    member: &[Vec<usize>],
    scopes: usize,
    key: impl Fn(&Indexed) -> Option<K>,
) -> Dealt<K> {
    let mut keyed: Vec<(K, usize)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| key(e).map(|k| (k, i)))
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut dealt: Dealt<K> = (0..scopes).map(|_| Vec::new()).collect();
    for (k, i) in keyed {
        let (last, rest) = member[i].split_last().expect("every product is in a scope");
        for s in rest {
            dealt[*s].push((k.clone(), Arc::clone(&entries[i])));
        }
        dealt[*last].push((k, Arc::clone(&entries[i])));
    }
    dealt
}

pub(super) fn build(products: Vec<(Arc<Product>, ProductSummary)>) -> ListingIndex {
    // Scope lists interned by (categories, brand): most products share theirs.
    let mut interned: HashMap<(&[String], &str), Arc<[ScopeKey]>, Hash> = HashMap::default();
    let scopes: Vec<Arc<[ScopeKey]>> = products
        .iter()
        .map(|(p, _)| {
            let key = (p.categories.as_slice(), p.brand.as_str());
            Arc::clone(interned.entry(key).or_insert_with(|| scopes_of(p).into()))
        })
        .collect();
    // Words are folded on two threads.
    let half = products.len() / 2;
    let make = |range: std::ops::Range<usize>| -> Vec<Arc<Indexed>> {
        range
            .map(|i| {
                let (product, summary) = &products[i];
                let scopes = Arc::clone(&scopes[i]);
                let ordinal = u32::try_from(i).expect("fewer than 2^32 products");
                Arc::new(Indexed::with_scopes(
                    Arc::clone(product),
                    *summary,
                    scopes,
                    ordinal,
                ))
            })
            .collect()
    };
    let entries: Vec<Arc<Indexed>> = std::thread::scope(|threads| {
        let first = threads.spawn(|| make(0..half));
        let mut second = make(half..products.len());
        let mut all = first.join().expect("index build");
        all.append(&mut second);
        all
    });
    let mut numbers: HashMap<&ScopeKey, usize, Hash> = HashMap::default();
    let member: Vec<Vec<usize>> = entries
        .iter()
        .map(|e| {
            e.scopes()
                .iter()
                .map(|k| {
                    let next = numbers.len();
                    *numbers.entry(k).or_insert(next)
                })
                .collect()
        })
        .collect();
    let n = numbers.len();
    // Each scope's ordinals, ascending (entry i has ordinal i).
    let mut member_of: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, scopes) in member.iter().enumerate() {
        for s in scopes {
            member_of[*s].push(i as u32);
        }
    }
    let (by_id, by_title, by_created, by_price) = std::thread::scope(|threads| {
        let ids = threads.spawn(|| deal(&entries, &member, n, |e| Some(Arc::clone(&e.id))));
        let titles = threads.spawn(|| {
            deal(&entries, &member, n, |e| {
                Some((Arc::clone(&e.title_key), Arc::clone(&e.id)))
            })
        });
        let created = deal(&entries, &member, n, |e| {
            Some((e.created(), Arc::clone(&e.id)))
        });
        let prices: Dealt<(i64, Id)> = deal(&entries, &member, n, |e| {
            e.min_price().map(|p| (p, Arc::clone(&e.id)))
        });
        let ids = ids.join().expect("index build");
        let titles = titles.join().expect("index build");
        (ids, titles, created, prices)
    });
    // Generations are given when the build replaces the live index (`ListingIndex::replace`).
    let mut scopes: Vec<Scope> = (0..n).map(|_| Scope::default()).collect();
    type Maps = (Ordered<Id>, Ordered<(Arc<str>, Id)>);
    let maps: Vec<Maps> = std::thread::scope(|threads| {
        let ids_titles = threads.spawn(|| {
            by_id
                .into_iter()
                .zip(by_title)
                .map(|(ids, titles)| (Ordered::from_iter(ids), Ordered::from_iter(titles)))
                .collect()
        });
        for (scope, items) in scopes.iter_mut().zip(by_created) {
            scope.by_created = Ordered::from_iter(items);
        }
        ids_titles.join().expect("index build")
    });
    for (scope, (ids, titles)) in scopes.iter_mut().zip(maps) {
        (scope.by_id, scope.by_title) = (ids, titles);
    }
    for (scope, ids) in scopes.iter_mut().zip(&member_of) {
        scope.bits = ids.iter().copied().collect();
    }
    for (scope, items) in scopes.iter_mut().zip(by_price) {
        let mut classes: HashMap<HsClass, Dealt1<(i64, Id)>, Hash> = HashMap::default();
        for (key, entry) in items {
            classes
                .entry(entry.hs_class().clone())
                .or_default()
                .push((key, entry));
        }
        scope.by_price = classes
            .into_iter()
            .map(|(class, items)| (class, Ordered::from_iter(items)))
            .collect();
        scope.count_all();
    }
    let mut words: HashMap<&str, Vec<Id>, Hash> = HashMap::default();
    for entry in &entries {
        for word in entry.words.iter() {
            words
                .entry(word.as_str())
                .or_default()
                .push(Arc::clone(&entry.id));
        }
    }
    let words: BTreeMap<Box<str>, BTreeSet<Id>> = words
        .into_iter()
        .map(|(word, ids)| (Box::from(word), ids.into_iter().collect()))
        .collect();
    let mut keys: Vec<(&ScopeKey, usize)> = numbers.into_iter().collect();
    keys.sort_unstable_by_key(|(_, n)| *n);
    let keys: Vec<ScopeKey> = keys.into_iter().map(|(k, _)| k.clone()).collect();
    ListingIndex::from_parts(
        entries
            .iter()
            .map(|e| (Arc::clone(&e.id), Arc::clone(e)))
            .collect(),
        keys.into_iter().zip(scopes).collect(),
        words,
        FacetBits::built(&entries),
    )
}
