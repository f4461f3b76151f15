//! Pricing through the GraphQL gateway over catalogs built in the test: hand-worked checkouts
//! and the one-price property (listing = product page = checkout, quotes never silently change).

#[path = "../common/mod.rs"]
mod common;

mod checkout;
mod consistency;
mod facets;
mod listing_index;
mod planner;
mod stock;
mod storefronts;
mod support;
