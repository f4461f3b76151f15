//! Live updates: `priceChanged` and `inventoryChanged`, pushed as the views apply changes.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, Result, SimpleObject, Subscription, ID};
use futures::Stream;

use super::errors::ApiError;
use super::limits::Deadline;
use super::market::{CountryCode, MarketContext};
use super::product::MoneyV2;
use super::ApiSettings;
use crate::config::SubscriptionSettings;
use crate::live::buffer::Next;
use crate::live::pipeline::subscribe;
use crate::live::translate::{Filter, MarketRef, PriceEvent, StockEvent, StockStatus};
use crate::live::ChangeHub;
use crate::pricing::landed::Market;
use crate::views::Catalog;

/// What subscriptions need from the schema's data.
pub struct LiveContext {
    pub hub: Arc<ChangeHub>,
    pub settings: SubscriptionSettings,
    /// Subscriptions open per client, over all its connections.
    pub per_client: ClientSubscriptions,
}

/// Who opened a subscription: an IP address, or the configured client header's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(pub String);

/// Subscriptions open per client; a client is in the map only while it holds some.
#[derive(Debug, Clone, Default)]
pub struct ClientSubscriptions(Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>);

impl ClientSubscriptions {
    /// Takes one of `client`'s `max` places, or `None` when it holds them all.
    fn take(&self, client: &str, max: usize) -> Option<ClientSlot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(client.to_string()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            registry: self.clone(),
            client: client.to_string(),
        })
    }

    /// Subscriptions `client` holds now.
    pub fn held_by(&self, client: &str) -> usize {
        let open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        open.get(client).copied().unwrap_or(0)
    }
}

/// Frees a client's place when its subscription ends.
struct ClientSlot {
    registry: ClientSubscriptions,
    client: String,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.registry.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// Subscriptions open on one WebSocket connection (session data).
#[derive(Debug, Clone, Default)]
pub struct ConnectionSubscriptions(pub Arc<AtomicUsize>);

/// Frees a connection's subscription place when the subscription ends.
struct ConnectionSlot(Arc<AtomicUsize>);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn too_many(limit: &'static str, max: usize) -> async_graphql::Error {
    ApiError::TooManySubscriptions { limit, max }.extend()
}

/// A subscription's places (in the total, and on its connection) and its stream of changes.
type OpenedSlots = (
    crate::live::SubscriptionSlot,
    crate::live::pipeline::Source,
    Option<Box<dyn Send + Sync>>,
);

/// Takes a place on the connection (if it is a WebSocket) and in the total.
fn open_slots(ctx: &Context<'_>, live: &LiveContext, filter: &Filter) -> Result<OpenedSlots> {
    let per_connection = live.settings.max_per_connection;
    let connection_slot = match ctx.data_opt::<ConnectionSubscriptions>() {
        Some(ConnectionSubscriptions(open)) => {
            let taken = open
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < per_connection).then_some(n + 1)
                })
                .is_ok();
            if !taken {
                return Err(too_many("per connection", per_connection));
            }
            Some(Box::new(ConnectionSlot(Arc::clone(open))) as Box<dyn Send + Sync>)
        }
        None => None,
    };
    let per_client = live.settings.max_per_client;
    let client_slot = match ctx.data_opt::<ClientId>() {
        Some(ClientId(client)) => Some(
            live.per_client
                .take(client, per_client)
                .ok_or_else(|| too_many("per client", per_client))?,
        ),
        None => None,
    };
    // A filtered subscription hears only the changes naming its SKUs or products.
    let opened = match filter.is_all() {
        true => live
            .hub
            .open()
            .map(|(slot, changes)| (slot, changes.into())),
        false => {
            let keys = filter
                .skus
                .iter()
                .chain(&filter.product_ids)
                .cloned()
                .collect();
            let opened = live.hub.open_routed(keys);
            opened.map(|(slot, routed)| (slot, crate::live::pipeline::Source::Routed(routed)))
        }
    };
    let (slot, changes) = opened.ok_or_else(|| too_many("in total", live.settings.max_total))?;
    let held: Option<Box<dyn Send + Sync>> = match (connection_slot, client_slot) {
        (None, None) => None,
        (connection, client) => Some(Box::new((connection, client))),
    };
    Ok((slot, changes, held))
}

/// The subscription's filter, refused past `max` ids before anything is held for it.
fn filter(skus: Option<Vec<ID>>, product_ids: Option<Vec<ID>>, max: usize) -> Result<Filter> {
    let named = skus.as_ref().map_or(0, Vec::len) + product_ids.as_ref().map_or(0, Vec::len);
    if named > max {
        return Err(ApiError::TooManyIds { max }.extend());
    }
    let set = |ids: Option<Vec<ID>>| {
        ids.unwrap_or_default()
            .into_iter()
            .map(|id| id.0)
            .collect::<HashSet<_>>()
    };
    Ok(Filter {
        skus: set(skus),
        product_ids: set(product_ids),
    })
}

/// A variant's shown price moved; or, with `resync: true` and nothing else set, updates were
/// dropped for this subscriber and it should refetch the prices it shows.
#[derive(Debug, Clone, Default, SimpleObject)]
pub struct PriceChange {
    pub sku: Option<ID>,
    pub product_id: Option<ID>,
    /// The price now shown in the subscription's country; null if the variant lost its price.
    pub price: Option<MoneyV2>,
    pub previous_price: Option<MoneyV2>,
    /// A quote for the new price, as on `ProductVariant.quote`.
    pub quote: Option<String>,
    /// Version of the record whose change caused this event (price, product or intl).
    pub version: Option<String>,
    pub resync: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum StockStatusCode {
    InStock,
    /// Fewer units than `subscriptions.low_stock_below`.
    LowStock,
    OutOfStock,
}

/// A variant's stock or availability changed; or, with `resync: true` and nothing else set,
/// updates were dropped for this subscriber and it should refetch.
#[derive(Debug, Clone, Default, SimpleObject)]
pub struct InventoryChange {
    pub sku: Option<ID>,
    pub product_id: Option<ID>,
    pub quantity_available: Option<i32>,
    pub available_for_sale: Option<bool>,
    pub status: Option<StockStatusCode>,
    pub version: Option<String>,
    pub resync: bool,
}

fn render_price(
    next: Next<PriceEvent>,
    market: &MarketContext,
    catalog: &Catalog,
    settings: &ApiSettings,
) -> PriceChange {
    let Next::Event(e) = next else {
        return PriceChange {
            resync: true,
            ..Default::default()
        };
    };
    let quote = match (&e.price_record, &e.price) {
        (Some(record), Some(shown)) => {
            let mut claims =
                market.quote_claims(record, &e.product, shown, settings.checkout.quotes.ttl_secs);
            if let Market::Intl(_) = market.market {
                claims.intl_version = catalog.intl(&market.country).map(|i| i.version);
            }
            Some(settings.checkout.quotes.sign(&claims))
        }
        _ => None,
    };
    PriceChange {
        sku: Some(ID(e.sku)),
        product_id: Some(ID(e.product.id.clone())),
        price: e.price.as_ref().map(MoneyV2::shown),
        previous_price: e.previous.as_ref().map(MoneyV2::shown),
        quote,
        version: Some(e.version.to_string()),
        resync: false,
    }
}

fn render_stock(next: Next<StockEvent>) -> InventoryChange {
    let Next::Event(e) = next else {
        return InventoryChange {
            resync: true,
            ..Default::default()
        };
    };
    InventoryChange {
        sku: Some(ID(e.sku)),
        product_id: Some(ID(e.product_id)),
        quantity_available: Some(e.state.quantity),
        available_for_sale: Some(e.state.available_for_sale),
        status: Some(match e.state.status {
            StockStatus::InStock => StockStatusCode::InStock,
            StockStatus::LowStock => StockStatusCode::LowStock,
            StockStatus::OutOfStock => StockStatusCode::OutOfStock,
        }),
        version: Some(e.version.to_string()),
        resync: false,
    }
}

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// An event each time the shown price of a matching variant changes, whatever caused it (a
    /// price, or an FX/duty/tax update moving the landed price), priced in `country`. Without
    /// `skus` or `productIds`, every variant.
    async fn price_changed(
        &self,
        ctx: &Context<'_>,
        skus: Option<Vec<ID>>,
        product_ids: Option<Vec<ID>>,
        country: Option<CountryCode>,
    ) -> Result<impl Stream<Item = PriceChange>> {
        Deadline::check(ctx)?;
        let market = MarketContext::resolve(ctx, country)?;
        let live = ctx.data_unchecked::<LiveContext>();
        let filter = filter(skus, product_ids, live.settings.max_filter_ids)?;
        let settings = ctx.data_unchecked::<ApiSettings>().clone();
        let (slot, changes, connection_slot) = open_slots(ctx, live, &filter)?;
        let market_ref = match market.market {
            Market::Base => MarketRef::Base,
            Market::Intl(_) => MarketRef::Country(market.country.clone()),
        };
        // The request's banner: its views, and the changes published for it.
        let catalog = Arc::clone(crate::graphql::product::reader(ctx).catalog());
        let render_catalog = Arc::clone(&catalog);
        let hub = Arc::clone(&live.hub);
        Ok(subscribe(
            changes,
            slot,
            connection_slot,
            live.settings.buffer_variants,
            move |published, buffer| {
                if published.banner != catalog.name {
                    return;
                }
                let shared = &hub.shared;
                shared.push_prices(published, &catalog, &filter, &market_ref, buffer)
            },
            move |next| render_price(next, &market, &render_catalog, &settings),
        ))
    }

    /// An event each time a matching variant's stock, availability or stock status changes.
    async fn inventory_changed(
        &self,
        ctx: &Context<'_>,
        skus: Option<Vec<ID>>,
        product_ids: Option<Vec<ID>>,
    ) -> Result<impl Stream<Item = InventoryChange>> {
        Deadline::check(ctx)?;
        let live = ctx.data_unchecked::<LiveContext>();
        let filter = filter(skus, product_ids, live.settings.max_filter_ids)?;
        let (slot, changes, connection_slot) = open_slots(ctx, live, &filter)?;
        let catalog = Arc::clone(crate::graphql::product::reader(ctx).catalog());
        let low = live.settings.low_stock_below;
        let hub = Arc::clone(&live.hub);
        Ok(subscribe(
            changes,
            slot,
            connection_slot,
            live.settings.buffer_variants,
            move |published, buffer| {
                if published.banner != catalog.name {
                    return;
                }
                hub.shared
                    .push_stock(published, &catalog, &filter, low, buffer)
            },
            render_stock,
        ))
    }
}
