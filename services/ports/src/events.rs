use async_trait::async_trait;
use booking_domain::{BookingRef, CancellationReason, Money};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A fact the guest must hear about. Written by the store in the same atomic write as the state change it
/// describes (transactional outbox), so an event exists if and only if the change happened. In AWS the table's
/// stream carries it to the `notify` function; locally the dev stack polls [`OutboxFeed`].
///
/// Events are written when the booking's money is settled, so what they say about money is what the provider
/// did: a confirmation means the guest was charged, a cancellation says what was charged and given back.
///
/// Wire format (part of the API boundary, see ARCHITECTURE.md): JSON with `id`, `kind`, `reference`,
/// `occurred_at`, `charged`, and for cancellations `reason` and `refunded`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingEvent {
    /// `<reference>#v<version>`: deterministic, so a retried transition cannot mint a second event.
    pub id: String,
    pub reference: BookingRef,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Confirmed and the money taken.
    BookingConfirmed { charged: Money },
    /// Cancelled and the money settled: `charged` taken in all, `refunded` of it given back.
    BookingCancelled { reason: CancellationReason, charged: Money, refunded: Money },
    /// The guest asked for their confirmation again (My bookings): the same guest messages as
    /// `BookingConfirmed`, nothing for the staff (the booking did not change).
    ConfirmationResent { charged: Money },
}

impl BookingEvent {
    pub fn new(reference: &BookingRef, version: u64, kind: EventKind, occurred_at: DateTime<Utc>) -> Self {
        BookingEvent { id: format!("{reference}#v{version}"), reference: reference.clone(), kind, occurred_at }
    }

    /// A confirmation sent again at the guest's request. `<reference>#resend-<YYYYMMDDHH>` (UTC hour of `at`):
    /// one per booking and hour, so a second request in the same hour finds the first one's event instead of
    /// minting another. Only letters, digits and `-` after the `#`, as message tags require.
    pub fn resend(reference: &BookingRef, charged: Money, at: DateTime<Utc>) -> Self {
        BookingEvent {
            id: format!("{reference}#resend-{}", at.format("%Y%m%d%H")),
            reference: reference.clone(),
            kind: EventKind::ConfirmationResent { charged },
            occurred_at: at,
        }
    }
}

/// How the local stack reads the outbox. The DynamoDB adapter does not need it: streams do this job in AWS.
#[async_trait]
pub trait OutboxFeed: Send + Sync {
    async fn pending_events(&self, limit: usize) -> Result<Vec<BookingEvent>, StoreError>;
    async fn mark_dispatched(&self, event_id: &str) -> Result<(), StoreError>;
}
