//! Stripe, seen from the booking service: the `PaymentGateway` adapter and webhook handling.
//!
//! Architecture invariants: this crate is the only one that knows Stripe's wire format on the client side; it
//! exposes port types (`booking_ports::PaymentIntent`, `PaymentError`) and never async-stripe's, so the rest of
//! the code base does not move when async-stripe does. Secret keys, client secrets and webhook secrets are never
//! logged or put into error messages.

#[cfg(feature = "gateway")]
pub mod gateway;
pub mod signature;
pub mod webhook;

#[cfg(feature = "gateway")]
pub use gateway::{StripeConfig, StripeGateway};

/// The PaymentIntent metadata key holding our booking reference: written when the intent is created, read from
/// every webhook to find the booking (an API boundary with Stripe).
pub const BOOKING_REF_KEY: &str = "booking_ref";
