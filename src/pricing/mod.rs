//! Pricing: money amounts, landed prices, quotes and the checkout rules. Pure functions of view
//! data: no I/O, no clock (callers pass the time).

pub mod checkout;
pub mod landed;
pub mod money;
pub mod quote;
mod tally;
