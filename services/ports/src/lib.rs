//! The ports: what the booking use cases need from the outside world, as traits.
//!
//! Each trait has an embedded adapter (local mode) and an AWS/Stripe adapter. They are object-safe
//! (`async_trait`) so a Lambda or the local stack picks adapters at start-up from configuration and the handlers
//! take `Arc<dyn Port>` without generics leaking everywhere. The contract every `BookingStore` must honour is
//! written once, in `booking-store-contract`.

mod clock;
mod delivery;
mod events;
mod identity;
mod notifier;
mod payment;
mod provider_events;
mod store;

pub use clock::{Clock, SystemClock};
pub use delivery::{ChannelDelivery, DeliveryLog, DeliveryReport, DeliveryState, DeliveryUpdate, FailureReason, GuestChannel, address_key};
pub use events::{BookingEvent, EventKind, OutboxFeed};
pub use identity::{Claims, IdentityError, TokenVerifier};
pub use notifier::{Channel, Notifier, NotifyError, OutboundMessage, event_id_from_tag};
pub use payment::{CreateIntent, PaymentError, PaymentGateway, PaymentIntent, PaymentStatus, Refund};
pub use provider_events::{PaymentEvent, PaymentEventKind};
pub use store::{
    BookingReader, BookingStore, BookingWriter, HoldClaimed, IdempotencyBegin, IdempotencyClaim, IdempotencyCompletion, IdempotencyStore,
    Resend, ResendQueued, StoreCall, StoreError, Transition,
};
