//! End-to-end tests: the real `vitrine` binary against a real Kafka-protocol broker (tansu).
//!
//! Needs the `tansu` binary (`scripts/install-tansu.sh`); `TANSU_BIN` may name it.

#[path = "../common/mod.rs"]
mod common;

mod banners;
mod broker;
mod cdn;
mod edge_cases;
mod faults;
mod formats;
mod image;
mod intl;
mod model;
mod process;
mod reservation_race;
mod reservations;
mod secured;
mod shutdown;
mod snapshots;
mod subscriptions;
mod tracing;
