//! The shopper's country: the `CountryCode` scalar and the market every priced field uses.

use std::sync::Arc;

use async_graphql::{
    Context, ErrorExtensions, InputValueError, InputValueResult, Scalar, ScalarType, Value,
};

use super::errors::ApiError;
use super::in_context::ContextCountry;
use super::product::reader;
use super::ApiSettings;
use crate::clock::unix_secs;
use crate::pricing::landed::{Market, ShownPrice};
use crate::pricing::quote::QuoteClaims;
use crate::views::reads::RecordingReader;
use crate::views::{Price, Product};

/// An ISO 3166-1 alpha-2 country code such as `"GB"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(pub String);

/// An ISO 3166-1 alpha-2 country code, such as "GB".
#[Scalar(name = "CountryCode")]
impl ScalarType for CountryCode {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) => {
                Ok(CountryCode(s))
            }
            other => Err(InputValueError::custom(format!(
                "{other} is not an ISO 3166-1 alpha-2 code like \"GB\""
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// The market of one query: where prices are shown, and how to quote them.
#[derive(Debug, Clone)]
pub struct MarketContext {
    pub country: String,
    pub market: Market,
    /// The banner quotes are issued in (the storefront's name).
    pub banner: Arc<str>,
}

impl MarketContext {
    /// Resolves the `country` argument: none or the base country is the base market; another
    /// country needs a pricing context on the intl topic, else `UNSUPPORTED_COUNTRY`.
    pub fn resolve(
        ctx: &Context<'_>,
        country: Option<CountryCode>,
    ) -> async_graphql::Result<Arc<Self>> {
        let settings = ctx.data_unchecked::<ApiSettings>();
        let context = ctx.data_opt::<ContextCountry>();
        Self::for_country(settings, reader(ctx), country, context).map_err(|e| e.extend())
    }

    /// The market of `country`, else of the operation's `@inContext(country:)`, else the base.
    pub fn for_country(
        settings: &ApiSettings,
        views: &RecordingReader,
        country: Option<CountryCode>,
        context: Option<&ContextCountry>,
    ) -> Result<Arc<Self>, ApiError> {
        let country = country
            .map(|c| c.0)
            .or_else(|| context.map(|c| c.0.clone()))
            .unwrap_or_else(|| settings.base_country.clone());
        let banner = Arc::clone(&views.catalog().name);
        if country == settings.base_country {
            return Ok(Arc::new(Self {
                country,
                market: Market::Base,
                banner,
            }));
        }
        match views.intl(&country) {
            Some(intl) => Ok(Arc::new(Self {
                country,
                market: Market::Intl(intl),
                banner,
            })),
            None => Err(ApiError::UnsupportedCountry(country)),
        }
    }

    /// Shows a base amount of `product` in this market, in minor units (for sorting and filters).
    pub fn shown_minor(
        &self,
        base_minor: i64,
        base_currency: &str,
        product: &Product,
    ) -> Option<i64> {
        self.market.shown_minor(base_minor, base_currency, product)
    }

    /// The quote for a variant's shown price, valid for `ttl_secs` from now.
    pub fn quote_claims(
        &self,
        price: &Price,
        product: &Product,
        shown: &ShownPrice,
        ttl_secs: i64,
    ) -> QuoteClaims {
        QuoteClaims {
            sku: price.sku.clone(),
            country: self.country.clone(),
            amount_minor: shown.amount_minor,
            currency: shown.currency.clone(),
            price_version: price.version,
            product_version: product.version,
            intl_version: self.market.version(),
            expires_at: unix_secs().saturating_add(ttl_secs),
            banner: self.banner.to_string(),
        }
    }
}
