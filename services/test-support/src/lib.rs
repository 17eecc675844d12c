//! What the tests need and production must never link: a clock moved by hand, the local Stripe server as the
//! payment double (the same state machine the dev stack runs, so no test can capture a cancelled intent), and
//! wrappers that inject the faults real services produce: outages, and lost replies after the work was done.
//!
//! A failing helper panics with a message, which is what test support is for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clock;
mod counting;
pub mod emf;
mod faults;
mod stripe;

pub use clock::ManualClock;
pub use counting::{Calls, CountingPayments, CountingStore, ProviderCall, Tally};
pub use faults::{Fault, FaultPlan, FaultyNotifier, FaultyStore};
pub use stripe::{StripeOp, TestStripe};
