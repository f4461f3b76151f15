//! Mutations: `reserve` and `releaseReservation`, stock holds written through the stream and
//! decided by the log (see `reservations` and `views::holds`).

use std::sync::{Arc, OnceLock};

use async_graphql::{
    Context, Enum, ErrorExtensions, InputObject, Object, Result, SimpleObject, ID,
};

use super::errors::ApiError;
use super::limits::Deadline;
use super::product::{reader, DateTime};
use super::subscription::ClientId;
use crate::reservations::pools::Desks;
use crate::reservations::{Owned, ReservationDesk, ReserveError, ReserveLine};
use crate::views::holds::ReservationStatus as Status;

/// Where the app puts the reservation desk once it has a Kafka client (empty: reservations
/// are off).
pub type DeskSlot = Arc<OnceLock<Desks>>;

#[derive(Debug, Clone, InputObject)]
pub struct ReserveLineInput {
    pub sku: ID,
    pub quantity: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ReservationStatus {
    /// Every line fully held.
    Held,
    /// Some units held, not all.
    Partial,
    /// Nothing could be held.
    Rejected,
    Released,
    /// Its holds ran out.
    Expired,
}

#[derive(Debug, Clone, SimpleObject)]
pub struct ReservationLine {
    pub sku: ID,
    pub requested: i32,
    pub held: i32,
}

/// Stock held for a shopper, decided by the reservation log, the same on every replica.
#[derive(Debug, Clone, SimpleObject)]
pub struct Reservation {
    pub id: ID,
    /// Proof of ownership: `releaseReservation` and `checkout` against this reservation need
    /// it. Keep it with the cart; it is the same on every replica.
    pub token: String,
    pub status: ReservationStatus,
    /// When the holds end (the earliest line's), by the log's clock.
    pub expires_at: Option<DateTime>,
    pub lines: Vec<ReservationLine>,
}

impl Reservation {
    pub fn of(owned: &Owned, now_ms: i64) -> Self {
        let r = &owned.reservation;
        let status = match r.status(now_ms) {
            Status::Held => ReservationStatus::Held,
            Status::Partial | Status::Pending => ReservationStatus::Partial,
            Status::Rejected => ReservationStatus::Rejected,
            Status::Released => ReservationStatus::Released,
            Status::Expired => ReservationStatus::Expired,
        };
        Self {
            id: ID(r.id.clone()),
            token: owned.token.clone(),
            status,
            expires_at: r.expires_at_ms().and_then(rfc3339),
            lines: r
                .lines
                .values()
                .map(|l| ReservationLine {
                    sku: ID(l.sku.clone()),
                    requested: l.requested,
                    held: l.held,
                })
                .collect(),
        }
    }
}

fn rfc3339(ms: i64) -> Option<DateTime> {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
        .map(DateTime)
}

/// What is left of the request's time budget.
fn budget(ctx: &Context<'_>) -> Option<std::time::Duration> {
    ctx.data_opt::<Deadline>()
        .map(|d| d.at.saturating_duration_since(std::time::Instant::now()))
}

/// The desk of the request's banner (its stock pool's reservations topic).
fn desk<'a>(ctx: &Context<'a>) -> Result<&'a ReservationDesk> {
    let banner = &reader(ctx).catalog().name;
    ctx.data_unchecked::<DeskSlot>()
        .get()
        .and_then(|desks| desks.of(banner))
        .ok_or_else(|| ApiError::Reserve(ReserveError::Disabled).extend())
}

pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Holds stock for a shopper. One request per line goes to the reservations topic (keyed by
    /// SKU); the replica that owns the line's partition decides it and records the decision in
    /// the log, which every replica applies alike. The same `idempotencyKey` from the same
    /// client always returns the same reservation and never holds twice; from another client
    /// it is another reservation. `UNKNOWN_SKU` for a SKU no variant has;
    /// `RESERVATION_TIMEOUT` means the outcome is unknown: retry with the key.
    async fn reserve(
        &self,
        ctx: &Context<'_>,
        lines: Vec<ReserveLineInput>,
        idempotency_key: String,
        ttl_seconds: Option<i32>,
    ) -> Result<Reservation> {
        let reader = reader(ctx);
        reader.unmemoizable();
        let client = ctx
            .data_opt::<ClientId>()
            .map_or("unknown", |c| c.0.as_str());
        let lines = lines
            .into_iter()
            .map(|l| ReserveLine {
                sku: l.sku.0,
                quantity: l.quantity,
            })
            .collect();
        let reserved = desk(ctx)?
            .reserve(
                lines,
                &idempotency_key,
                ttl_seconds.map(i64::from),
                client,
                budget(ctx),
            )
            .await
            .map_err(|e| ApiError::Reserve(e).extend())?;
        Ok(Reservation::of(&reserved, reader.scan().clock_ms()))
    }

    /// Ends a reservation's holds at once. Only its owner may: `token` is the one `reserve`
    /// returned (`RESERVATION_NOT_OWNED` otherwise).
    async fn release_reservation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        token: String,
    ) -> Result<Reservation> {
        let reader = reader(ctx);
        reader.unmemoizable();
        let released = desk(ctx)?
            .release(&id.0, &token, budget(ctx))
            .await
            .map_err(|e| ApiError::Reserve(e).extend())?;
        Ok(Reservation::of(&released, reader.scan().clock_ms()))
    }
}
