//! Pricing: money amounts and how they are shown. Pure functions of view data.

pub mod landed;
pub mod money;
pub mod quote;
