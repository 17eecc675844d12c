use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{BookingRef, DomainError, GuestContact, GuestId, Money, Quote, RefundPreview};

/// Where a booking is in its life.
///
/// ```text
///  Held ──confirm──▶ Confirmed ──cancel──▶ Cancelled
///   │  ╲                 ╲──────refund──▶ Refunded
///   │   ╲──release──▶ Released
///   ╰──expire──▶ Expired ──reinstate──▶ Confirmed   (payment arrived late, rooms still free)
///                   ╰─────void────────▶ Cancelled   (payment arrived late, sold out: authorization voided)
/// ```
/// Held and Confirmed are the only states that occupy rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    Held,
    Confirmed,
    Cancelled,
    Refunded,
    Expired,
    Released,
}

impl BookingState {
    pub const ALL: [BookingState; 6] = [Self::Held, Self::Confirmed, Self::Cancelled, Self::Refunded, Self::Expired, Self::Released];

    pub fn occupies_rooms(self) -> bool {
        matches!(self, Self::Held | Self::Confirmed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::Expired => "expired",
            Self::Released => "released",
        }
    }

    /// The state machine, as one table. Anything not listed is refused.
    pub fn next(self, action: Action) -> Result<BookingState, DomainError> {
        use Action as A;
        use BookingState as S;
        match (self, action) {
            (S::Held, A::Confirm) => Ok(S::Confirmed),
            (S::Held, A::Expire) => Ok(S::Expired),
            (S::Held, A::Release) => Ok(S::Released),
            (S::Confirmed, A::Cancel) => Ok(S::Cancelled),
            (S::Confirmed, A::Refund) => Ok(S::Refunded),
            (S::Expired, A::Reinstate) => Ok(S::Confirmed),
            (S::Expired, A::Void) => Ok(S::Cancelled),
            (from, action) => Err(DomainError::TransitionRefused { from, action }),
        }
    }
}

impl fmt::Display for BookingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Confirm,
    Expire,
    Release,
    Cancel,
    Refund,
    Reinstate,
    Void,
}

impl Action {
    pub const ALL: [Action; 7] = [Self::Confirm, Self::Expire, Self::Release, Self::Cancel, Self::Refund, Self::Reinstate, Self::Void];
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::Confirm => "confirmed",
            Self::Expire => "expired",
            Self::Release => "released",
            Self::Cancel => "cancelled",
            Self::Refund => "refunded",
            Self::Reinstate => "reinstated",
            Self::Void => "voided",
        };
        f.write_str(s)
    }
}

/// What a transition does to the per-night room counters. Stores apply it in the same atomic write as the state
/// change, which is what keeps counts from drifting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InventoryEffect {
    /// Take `rooms` on every night, refusing if any night would exceed capacity.
    Take,
    /// Give `rooms` back on every night.
    Release,
    None,
}

impl InventoryEffect {
    pub fn between(from: BookingState, to: BookingState) -> Self {
        match (from.occupies_rooms(), to.occupies_rooms()) {
            (false, true) => Self::Take,
            (true, false) => Self::Release,
            _ => Self::None,
        }
    }
}

/// The payment provider's handle on this booking's money (a Stripe PaymentIntent id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRef {
    pub intent_id: String,
}

/// Why a booking ended without being honoured, or was given up by the guest. It decides what the guest is told
/// and what the hotel keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationReason {
    /// The guest cancelled; the policy decided the penalty.
    ByGuest,
    /// The guest paid after the hold ran out and the rooms had been sold meanwhile.
    SoldOutAfterHoldExpired,
    /// The money could not be taken (capture refused, authorization expired or cancelled).
    PaymentNotCompleted,
}

impl CancellationReason {
    pub const ALL: [CancellationReason; 3] = [Self::ByGuest, Self::SoldOutAfterHoldExpired, Self::PaymentNotCompleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ByGuest => "by_guest",
            Self::SoldOutAfterHoldExpired => "sold_out_after_hold_expired",
            Self::PaymentNotCompleted => "payment_not_completed",
        }
    }
}

/// The record of a cancellation: why, when, and what the hotel keeps (`penalty`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub reason: CancellationReason,
    /// What the hotel keeps; the rest of what was paid goes back.
    pub penalty: Money,
    pub at: DateTime<Utc>,
}

/// Whether the payment provider already holds exactly what the booking says the hotel keeps.
///
/// Every state change that moves money (confirm → capture, cancel → refund or void, expire → close the intent)
/// makes the booking `Due` in the same atomic write, and only the provider's own answer makes it `Settled`. A
/// `Due` booking is listed by the store's due index, so the scheduled reconciliation drives every capture,
/// refund and void to completion even when the request that started it failed halfway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Settlement {
    /// Nothing to settle yet: a hold waiting for the guest to pay.
    Open,
    /// Money still has to move; retried from `next_attempt` on.
    Due { since: DateTime<Utc>, attempts: u32, next_attempt: DateTime<Utc> },
    /// The provider charged `charged` and gave back `refunded`: net, exactly what the booking keeps.
    Settled { charged: Money, refunded: Money, at: DateTime<Utc> },
}

/// How long after a money-moving transition the scheduled reconciliation first looks, leaving the request that
/// made the change time to settle it itself.
pub const SETTLEMENT_GRACE: Duration = Duration::minutes(1);

/// Everything needed to place a hold.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub reference: BookingRef,
    pub guest: GuestId,
    pub contact: GuestContact,
    pub quote: Quote,
    pub now: DateTime<Utc>,
    pub hold_minutes: u32,
}

/// The booking aggregate. Changes go through methods that return the next version, so the previous one stays
/// available for the store's optimistic check (`version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    reference: BookingRef,
    guest: GuestId,
    contact: GuestContact,
    quote: Quote,
    state: BookingState,
    hold_expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    payment: Option<PaymentRef>,
    cancellation: Option<Cancellation>,
    settlement: Settlement,
    version: u64,
}

impl Booking {
    pub fn hold(new: NewBooking) -> Booking {
        Booking {
            reference: new.reference,
            guest: new.guest,
            contact: new.contact,
            quote: new.quote,
            state: BookingState::Held,
            hold_expires_at: new.now + Duration::minutes(i64::from(new.hold_minutes)),
            created_at: new.now,
            updated_at: new.now,
            payment: None,
            cancellation: None,
            settlement: Settlement::Open,
            version: 1,
        }
    }

    pub fn reference(&self) -> &BookingRef {
        &self.reference
    }
    pub fn guest(&self) -> &GuestId {
        &self.guest
    }
    pub fn contact(&self) -> &GuestContact {
        &self.contact
    }
    pub fn quote(&self) -> &Quote {
        &self.quote
    }
    pub fn state(&self) -> BookingState {
        self.state
    }
    pub fn hold_expires_at(&self) -> DateTime<Utc> {
        self.hold_expires_at
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }
    pub fn payment(&self) -> Option<&PaymentRef> {
        self.payment.as_ref()
    }
    pub fn cancellation(&self) -> Option<&Cancellation> {
        self.cancellation.as_ref()
    }
    pub fn settlement(&self) -> &Settlement {
        &self.settlement
    }
    pub fn version(&self) -> u64 {
        self.version
    }
    pub fn rooms(&self) -> u8 {
        self.quote.request.rooms
    }

    pub fn is_hold_expired(&self, now: DateTime<Utc>) -> bool {
        self.state == BookingState::Held && now >= self.hold_expires_at
    }

    /// What the hotel keeps once the money is settled; `None` while a hold is undecided.
    pub fn kept_target(&self) -> Option<Money> {
        let zero = Money::zero(self.quote.total.currency());
        match self.state {
            BookingState::Held => None,
            BookingState::Confirmed => Some(self.quote.total),
            BookingState::Cancelled | BookingState::Refunded => Some(self.cancellation.as_ref().map_or(zero, |c| c.penalty)),
            BookingState::Expired | BookingState::Released => Some(zero),
        }
    }

    /// What the guest gets back under the cancellation record (total minus penalty).
    pub fn refund_due(&self) -> Option<Money> {
        let c = self.cancellation.as_ref()?;
        self.quote.total.checked_sub(c.penalty).ok()
    }

    /// When the scheduled reconciliation must look at this booking next: a hold at its expiry, money still to
    /// move at its next attempt. The stores index bookings by it.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        match (&self.settlement, self.state) {
            (Settlement::Due { next_attempt, .. }, _) => Some(*next_attempt),
            (_, BookingState::Held) => Some(self.hold_expires_at),
            _ => None,
        }
    }

    /// The next version after `action`, and what it does to inventory. Cancelling actions record a cancellation
    /// without penalty (`Cancel`: payment not completed, `Refund`: by the guest, `Void`: sold out after expiry);
    /// use [`Booking::cancel_by_guest`] to apply the policy's penalty.
    pub fn apply(&self, action: Action, now: DateTime<Utc>) -> Result<(Booking, InventoryEffect), DomainError> {
        let reason = match action {
            Action::Cancel => Some(CancellationReason::PaymentNotCompleted),
            Action::Refund => Some(CancellationReason::ByGuest),
            Action::Void => Some(CancellationReason::SoldOutAfterHoldExpired),
            _ => None,
        };
        let cancellation = reason.map(|reason| Cancellation { reason, penalty: Money::zero(self.quote.total.currency()), at: now });
        self.step(action, cancellation, now)
    }

    /// Cancels a confirmed booking under the refund preview: `Refund` when money goes back, `Cancel` when not.
    pub fn cancel_by_guest(&self, preview: &RefundPreview, now: DateTime<Utc>) -> Result<(Booking, InventoryEffect), DomainError> {
        let action = if preview.refund.minor() > 0 { Action::Refund } else { Action::Cancel };
        self.step(action, Some(Cancellation { reason: CancellationReason::ByGuest, penalty: preview.penalty, at: now }), now)
    }

    fn step(
        &self,
        action: Action,
        cancellation: Option<Cancellation>,
        now: DateTime<Utc>,
    ) -> Result<(Booking, InventoryEffect), DomainError> {
        let to = self.state.next(action)?;
        let effect = InventoryEffect::between(self.state, to);
        let settlement = match (to, &self.payment) {
            (BookingState::Held, _) => Settlement::Open,
            (_, None) => Settlement::Settled {
                charged: Money::zero(self.quote.total.currency()),
                refunded: Money::zero(self.quote.total.currency()),
                at: now,
            },
            (_, Some(_)) => Settlement::Due { since: now, attempts: 0, next_attempt: now + SETTLEMENT_GRACE },
        };
        let next = Booking {
            state: to,
            updated_at: now,
            version: self.version + 1,
            cancellation: cancellation.or_else(|| self.cancellation.clone()),
            settlement,
            ..self.clone()
        };
        Ok((next, effect))
    }

    /// Records the payment created for this hold; no state change.
    pub fn with_payment(&self, payment: PaymentRef, now: DateTime<Utc>) -> Booking {
        Booking { payment: Some(payment), updated_at: now, version: self.version + 1, ..self.clone() }
    }

    /// Records that the provider now holds exactly what the booking keeps.
    pub fn settled(&self, charged: Money, refunded: Money, now: DateTime<Utc>) -> Booking {
        Booking {
            settlement: Settlement::Settled { charged, refunded, at: now },
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Records a failed attempt to settle; the reconciliation tries again at `now + delay`.
    pub fn retry_later(&self, now: DateTime<Utc>, delay: Duration) -> Booking {
        let (since, attempts) = match &self.settlement {
            Settlement::Due { since, attempts, .. } => (*since, attempts.saturating_add(1)),
            _ => (now, 1),
        };
        Booking {
            settlement: Settlement::Due { since, attempts, next_attempt: now + delay },
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BookingState as S;

    #[test]
    fn every_transition_is_explicit() {
        let allowed = [
            (S::Held, Action::Confirm, S::Confirmed),
            (S::Held, Action::Expire, S::Expired),
            (S::Held, Action::Release, S::Released),
            (S::Confirmed, Action::Cancel, S::Cancelled),
            (S::Confirmed, Action::Refund, S::Refunded),
            (S::Expired, Action::Reinstate, S::Confirmed),
            (S::Expired, Action::Void, S::Cancelled),
        ];
        for from in S::ALL {
            for action in Action::ALL {
                let expected = allowed.iter().find(|(f, a, _)| *f == from && *a == action).map(|(_, _, to)| *to);
                match (from.next(action), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want),
                    (Err(DomainError::TransitionRefused { .. }), None) => {}
                    (got, want) => panic!("{from} + {action:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn inventory_effects() {
        assert_eq!(InventoryEffect::between(S::Held, S::Confirmed), InventoryEffect::None);
        assert_eq!(InventoryEffect::between(S::Held, S::Expired), InventoryEffect::Release);
        assert_eq!(InventoryEffect::between(S::Expired, S::Confirmed), InventoryEffect::Take);
        assert_eq!(InventoryEffect::between(S::Confirmed, S::Refunded), InventoryEffect::Release);
        assert_eq!(InventoryEffect::between(S::Expired, S::Cancelled), InventoryEffect::None);
    }
}
