//! Shared translations: computed once per change and market, same events as translating alone.

use super::*;
use crate::events::decode;
use crate::live::buffer::Next;
use crate::views::testing::{price, product};
use crate::views::{Change, IntlContext, ViewKind};

fn gb(version: u64, fx: &str) -> Arc<IntlContext> {
    let record = format!(
        r#"{{"country":"GB","version":{version},"currency":"GBP","minorUnits":2,"fxRate":"{fx}",
           "taxRate":0,"shipping":{{"flat":0}}}}"#
    );
    match decode(ViewKind::Intl, Some(b"GB"), Some(record.as_bytes())).unwrap() {
        Change::Intl(context) => Arc::new(context),
        _ => unreachable!(),
    }
}

/// Ten products of three variants each, priced, and GB moving from 0.5 to 0.6.
fn fx_move() -> (Catalog, Published) {
    let catalog = Catalog::new();
    for p in 0..10 {
        let skus: Vec<String> = (0..3).map(|v| format!("p{p}-{v}")).collect();
        let refs: Vec<&str> = skus.iter().map(String::as_str).collect();
        catalog.apply(Change::Product(product(&format!("p{p}"), 1, &refs)));
        for sku in &skus {
            catalog.apply(Change::Price(price(sku, 1, 1000 + p, None)));
        }
    }
    catalog.apply(Change::Intl((*gb(2, "0.6")).clone()));
    let change = ViewChange::Intl {
        country: "GB".into(),
        old: Some(gb(1, "0.5")),
        new: Some(gb(2, "0.6")),
    };
    (
        catalog,
        Published {
            seq: 7,
            banner: "".into(),
            change,
        },
    )
}

fn drain(buffer: &mut CoalescingBuffer<String, PriceEvent>) -> Vec<Option<(String, i64)>> {
    std::iter::from_fn(|| buffer.pop())
        .map(|next| match next {
            Next::Event(e) => Some((e.sku, e.price.unwrap().amount_minor)),
            Next::Resync => None,
        })
        .collect()
}

#[test]
fn an_fx_move_is_translated_once_for_every_unfiltered_subscriber_of_the_market() {
    let (catalog, published) = fx_move();
    let shared = SharedTranslations::default();
    let gb_market = MarketRef::Country("GB".into());
    let mut alone = CoalescingBuffer::new(100);
    price_events(
        &published.change,
        &catalog,
        &Filter::default(),
        &gb_market,
        |e| alone.push(e.sku.clone(), e),
    );
    let expected = drain(&mut alone);
    assert_eq!(expected.len(), 30, "every variant's shown price moved");
    for _ in 0..50 {
        let mut buffer = CoalescingBuffer::new(100);
        shared.push_prices(
            &published,
            &catalog,
            &Filter::default(),
            &gb_market,
            &mut buffer,
        );
        assert_eq!(drain(&mut buffer), expected);
    }
    assert_eq!(
        shared.computed(),
        1,
        "one translation for fifty subscribers"
    );
    // Another market, or another change, is another translation; a filtered subscriber
    // translates on its own.
    let mut base = CoalescingBuffer::new(100);
    let base_market = MarketRef::Base;
    shared.push_prices(
        &published,
        &catalog,
        &Filter::default(),
        &base_market,
        &mut base,
    );
    assert!(
        drain(&mut base).is_empty(),
        "an FX move does not move base prices"
    );
    let filter = Filter {
        skus: ["p3-1".to_string()].into(),
        ..Default::default()
    };
    let mut one = CoalescingBuffer::new(100);
    shared.push_prices(&published, &catalog, &filter, &gb_market, &mut one);
    assert_eq!(drain(&mut one), [Some(("p3-1".to_string(), 602))]);
    assert_eq!(shared.computed(), 2);
}

#[test]
fn a_shared_translation_overflows_a_small_buffer_into_a_resync_as_one_alone_would() {
    let (catalog, published) = fx_move();
    let shared = SharedTranslations::default();
    let gb_market = MarketRef::Country("GB".into());
    let mut alone = CoalescingBuffer::new(4);
    price_events(
        &published.change,
        &catalog,
        &Filter::default(),
        &gb_market,
        |e| alone.push(e.sku.clone(), e),
    );
    let mut buffer = CoalescingBuffer::new(4);
    shared.push_prices(
        &published,
        &catalog,
        &Filter::default(),
        &gb_market,
        &mut buffer,
    );
    let resync = drain(&mut alone);
    assert_eq!(resync, [None], "thirty moves do not fit in four");
    assert_eq!(drain(&mut buffer), resync);
}
