//! A deterministic generated catalog (products, prices, stock) and a stream of live changes,
//! encoded exactly as the topics carry them. Feeds the demo and `vitrine feed`.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde_json::json;

use super::markets::{demo_markets, DemoMarket};
use crate::clock::since_epoch;
use crate::events::Record;
use crate::views::ViewKind;

const BRANDS: &[&str] = &[
    "Loro Piana",
    "Acne Studios",
    "Totême",
    "The Row",
    "Khaite",
    "Jil Sander",
    "A.P.C.",
    "Maison Margiela",
    "Bottega Veneta",
    "Our Legacy",
    "Lemaire",
    "Sunspel",
    "Common Projects",
    "Isabel Marant",
    "Ganni",
    "Nanushka",
    "Barbour",
    "Aspesi",
    "Zegna",
    "Max Mara",
];
/// (category path, HS code, nouns, sizes)
const CATEGORIES: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "women/knitwear/sweaters",
        "6110.12",
        &["Sweater", "Jumper", "Turtleneck"],
        &["XS", "S", "M", "L", "XL"],
    ),
    (
        "women/knitwear/cardigans",
        "6110.20",
        &["Cardigan", "Knit Jacket"],
        &["XS", "S", "M", "L"],
    ),
    (
        "women/dresses",
        "6204.44",
        &["Dress", "Slip Dress", "Shirt Dress"],
        &["34", "36", "38", "40", "42"],
    ),
    (
        "women/shoes/boots",
        "6403.91",
        &["Boot", "Ankle Boot"],
        &["36", "37", "38", "39", "40", "41"],
    ),
    (
        "women/bags",
        "4202.21",
        &["Tote", "Shoulder Bag", "Clutch"],
        &["ONE SIZE"],
    ),
    (
        "men/knitwear",
        "6110.11",
        &["Crewneck", "Polo Knit", "Cardigan"],
        &["S", "M", "L", "XL", "XXL"],
    ),
    (
        "men/shirts",
        "6205.20",
        &["Oxford Shirt", "Overshirt", "Linen Shirt"],
        &["S", "M", "L", "XL"],
    ),
    (
        "men/outerwear/coats",
        "6201.30",
        &["Overcoat", "Parka", "Trench Coat"],
        &["46", "48", "50", "52", "54"],
    ),
    (
        "men/shoes/sneakers",
        "6404.11",
        &["Sneaker", "Low-Top Trainer"],
        &["40", "41", "42", "43", "44", "45"],
    ),
    (
        "home/textiles",
        "6301.20",
        &["Throw", "Blanket"],
        &["ONE SIZE"],
    ),
];
const ADJECTIVES: &[&str] = &[
    "Cashmere",
    "Merino",
    "Oversized",
    "Cropped",
    "Ribbed",
    "Double-Faced",
    "Relaxed",
    "Tailored",
    "Leather",
    "Suede",
    "Organic Cotton",
    "Wool-Blend",
    "Alpaca",
    "Silk",
    "Linen",
    "Shearling",
];
const COLORS: &[&str] = &[
    "black",
    "navy",
    "ecru",
    "camel",
    "grey melange",
    "forest",
    "burgundy",
    "ivory",
];

/// What the generator remembers about a SKU so live changes stay plausible.
#[derive(Debug, Clone)]
struct SkuState {
    sku: String,
    list_minor: i64,
    sale_minor: Option<i64>,
    available: i32,
}

/// Generates the baseline catalog and then live changes, deterministically from a seed.
pub struct CatalogGenerator {
    seed: u64,
    products: usize,
    skus: Vec<SkuState>,
    live_rng: Pcg64,
    last_version: u64,
    markets: Vec<DemoMarket>,
}

fn to_json(value: serde_json::Value) -> Option<Vec<u8>> {
    Some(serde_json::to_vec(&value).expect("json values serialize"))
}

fn price_record(s: &SkuState, version: u64) -> Record {
    let mut value =
        json!({"sku": s.sku, "version": version, "currency": "USD", "list": s.list_minor});
    if let Some(sale) = s.sale_minor {
        value["sale"] = json!(sale);
    }
    Record {
        kind: ViewKind::Prices,
        key: s.sku.clone(),
        payload: to_json(value),
    }
}

fn stock_record(s: &SkuState, version: u64) -> Record {
    Record {
        kind: ViewKind::Inventory,
        key: s.sku.clone(),
        payload: to_json(json!({"sku": s.sku, "version": version, "available": s.available})),
    }
}

/// `percent`% of `amount_minor`, rounded down to whole major units.
fn percent_of(amount_minor: i64, percent: i64) -> i64 {
    amount_minor * percent / 100 / 100 * 100
}

fn pick<'a, T>(rng: &mut Pcg64, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

impl CatalogGenerator {
    pub fn new(seed: u64, products: usize) -> Self {
        Self {
            seed,
            products,
            skus: Vec::new(),
            live_rng: Pcg64::seed_from_u64(seed ^ 0x5eed_11fe),
            last_version: 1,
            markets: demo_markets(),
        }
    }

    /// Product ids look like `p000042`.
    pub fn product_id(index: usize) -> String {
        format!("p{index:06}")
    }

    /// Calls `emit` for every record of the baseline (version 1): each product, then its
    /// variants' prices and stock. The same seed always gives the same records.
    pub fn baseline(&mut self, mut emit: impl FnMut(Record)) {
        let mut rng = Pcg64::seed_from_u64(self.seed);
        self.skus.clear();
        for market in &self.markets {
            emit(market.record(1));
        }
        for index in 0..self.products {
            let id = Self::product_id(index);
            let (category, hs_code, nouns, sizes) = *pick(&mut rng, CATEGORIES);
            let brand = *pick(&mut rng, BRANDS);
            let title = format!("{} {}", pick(&mut rng, ADJECTIVES), pick(&mut rng, nouns));
            let color = *pick(&mut rng, COLORS);
            let variant_count = rng.random_range(3..=7);
            // $49.00 to $2,499.00, ending in 9.00 as boutiques price.
            let base_minor: i64 = rng.random_range(5..250) * 1000 - 100;
            let published_day = rng.random_range(1..=28);
            let published_month = rng.random_range(1..=10);
            let mut variants = Vec::new();
            for v in 0..variant_count {
                let sku = format!("{id}-{v}");
                let size = sizes[v % sizes.len()];
                let variant_color = if v < sizes.len() {
                    color
                } else {
                    *pick(&mut rng, COLORS)
                };
                variants.push(json!({"sku": sku, "size": size, "color": variant_color}));
                let on_sale = rng.random_bool(0.25);
                self.skus.push(SkuState {
                    sku,
                    list_minor: base_minor,
                    sale_minor: on_sale.then(|| percent_of(base_minor, rng.random_range(50..90))),
                    available: if rng.random_bool(0.1) {
                        0
                    } else {
                        rng.random_range(1..25)
                    },
                });
            }
            let slug = title.to_lowercase().replace(' ', "-");
            emit(Record {
                kind: ViewKind::Products,
                key: id.clone(),
                payload: to_json(json!({
                    "id": id, "version": 1, "title": title, "brand": brand,
                    "description": format!("{title} by {brand}."),
                    "categories": [category],
                    "images": [format!("https://img.vitrine.example/{id}/{slug}-1.jpg"),
                               format!("https://img.vitrine.example/{id}/{slug}-2.jpg")],
                    "hsCode": hs_code,
                    "publishedAt": format!("2026-{published_month:02}-{published_day:02}T09:00:00Z"),
                    "variants": variants,
                })),
            });
            let first_sku = self.skus.len() - variant_count;
            for s in &self.skus[first_sku..] {
                emit(price_record(s, 1));
                emit(stock_record(s, 1));
            }
        }
    }

    /// SKUs of the generated catalog (after [`Self::baseline`]).
    pub fn sku_count(&self) -> usize {
        self.skus.len()
    }

    /// A version above every earlier one and above wall-clock microseconds, so a restarted
    /// `vitrine feed` still wins over what it published before.
    fn next_version(&mut self) -> u64 {
        let now = since_epoch().as_micros() as u64;
        self.last_version = now.max(self.last_version + 1);
        self.last_version
    }

    /// One live change: a price move (sale starts or ends) or a stock change of a random SKU,
    /// and now and then an FX move of one country.
    pub fn next_change(&mut self) -> Option<Record> {
        if self.skus.is_empty() {
            return None;
        }
        if self.live_rng.random_bool(0.02) {
            let version = self.next_version();
            let index = self.live_rng.random_range(0..self.markets.len());
            let per_mille = self.live_rng.random_range(-5..=5);
            let market = &mut self.markets[index];
            market.move_fx(per_mille);
            return Some(market.record(version));
        }
        let index = self.live_rng.random_range(0..self.skus.len());
        let version = self.next_version();
        let rng = &mut self.live_rng;
        let sku = &mut self.skus[index];
        if rng.random_bool(0.4) {
            sku.sale_minor = match sku.sale_minor {
                Some(_) if rng.random_bool(0.5) => None,
                _ => Some(percent_of(sku.list_minor, rng.random_range(50..95))),
            };
            Some(price_record(sku, version))
        } else {
            sku.available = (sku.available + rng.random_range(-3..=2)).clamp(0, 40);
            Some(stock_record(sku, version))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(seed: u64, n: usize) -> Vec<Record> {
        let mut out = vec![];
        CatalogGenerator::new(seed, n).baseline(|r| out.push(r));
        out
    }

    #[test]
    fn same_seed_same_catalog() {
        assert_eq!(collect(7, 20), collect(7, 20));
        assert_ne!(collect(7, 20), collect(8, 20));
    }

    #[test]
    fn baseline_decodes_cleanly_and_has_the_promised_shape() {
        let records = collect(42, 200);
        let products = records
            .iter()
            .filter(|r| r.kind == ViewKind::Products)
            .count();
        let prices = records
            .iter()
            .filter(|r| r.kind == ViewKind::Prices)
            .count();
        assert_eq!(products, 200);
        let countries = records.iter().filter(|r| r.kind == ViewKind::Intl).count();
        assert_eq!(countries, 6);
        assert!((600..=1400).contains(&prices), "{prices} variants");
        for r in &records {
            crate::events::decode(r.kind, Some(r.key.as_bytes()), r.payload.as_deref())
                .unwrap_or_else(|e| panic!("{} does not decode: {e}", r.key));
        }
    }

    #[test]
    fn live_changes_carry_growing_versions() {
        let mut g = CatalogGenerator::new(1, 10);
        g.baseline(|_| {});
        let mut last = 1;
        for _ in 0..50 {
            let r = g.next_change().unwrap();
            let v: serde_json::Value = serde_json::from_slice(r.payload.as_ref().unwrap()).unwrap();
            let version = v["version"].as_u64().unwrap();
            assert!(version > last);
            last = version;
        }
    }

    /// Every generated record survives decode -> encode -> decode unchanged.
    #[test]
    fn encode_is_the_inverse_of_decode() {
        use crate::events::{decode, intl, inventory, price, product};
        use crate::views::Change;
        for r in collect(5, 30) {
            let first = decode(r.kind, Some(r.key.as_bytes()), r.payload.as_deref()).unwrap();
            let encoded = match &first {
                Change::Product(p) => product::encode(p),
                Change::Price(p) => price::encode(p),
                Change::Inventory(i) => inventory::encode(i),
                Change::Intl(i) => intl::encode(i),
                Change::Delete(..) | Change::Reservation(_) => {
                    unreachable!("the baseline has no tombstones or reservations")
                }
            };
            let bytes = serde_json::to_vec(&encoded).unwrap();
            let second = decode(r.kind, Some(r.key.as_bytes()), Some(&bytes)).unwrap();
            assert_eq!(first, second, "{:?} {}", r.kind, r.key);
        }
    }
}
