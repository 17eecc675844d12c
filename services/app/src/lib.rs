//! The booking use cases: what the Lambdas (and the local stack) do, written once over the ports.
//!
//! Nothing here knows about HTTP, Lambda events, AWS or Stripe wire formats: the `booking-functions` crate parses
//! those at the edge and calls these functions; adapters behind the ports do the I/O.

mod book;
mod cancel;
mod catalog;
mod changes;
mod codes;
mod error;
pub mod fields;
mod idempotency;
mod metrics;
mod notify;
mod payment_events;
mod ports;
mod resend;
mod settle;
mod sweep;
mod views;

pub use book::{BookingCreated, BookingRequest, GuestDetails, PaymentView, place_booking};
pub use booking_ports::{PaymentEvent, PaymentEventKind};
pub use cancel::cancel_booking;
pub use catalog::{AvailabilityQuery, availability, guest_booking, guest_bookings, list_rooms};
pub use codes::ErrorCode;
pub use error::AppError;
pub use notify::{compose_messages, deliver_event, record_delivery_report};
pub use payment_events::{IgnoredBecause, RecordOutcome, record_payment_event};
pub use ports::{MoneyPorts, NotifyPorts, ReadPorts, ResendPorts, SettlePorts};
pub use resend::{DAILY_LIMIT as RESEND_DAILY_LIMIT, ResendStatus, ResendView, resend_confirmation};
pub use settle::{Effect, Reconciliation, reconcile};
pub use sweep::{SweepReport, reconcile_due};
pub use views::{AvailabilityView, BookingView, CancellationView, MoneyStatus, MoneyView, RoomAvailability, RoomView};
