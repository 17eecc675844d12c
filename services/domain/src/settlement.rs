//! What to do next so that the payment provider holds exactly what a booking says the hotel keeps.
//!
//! The rule is stated once, as a function of the booking and of the provider's *current* view of its payment, so
//! that every path (the webhook, the guest's cancel, the scheduled reconciliation) acts on how things are now,
//! never on a possibly stale event: Stripe does not order its webhooks, replies get lost, and a capture can land
//! between a read and a cancel. Callers execute the step, read the provider again, and ask again until the answer
//! is [`Step::Nothing`] or [`Step::Wait`].

use chrono::{DateTime, Utc};

use crate::{Booking, BookingState, Money, Settlement};

/// The provider's side of a booking's payment, as just read from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderPayment {
    /// The amount the payment was opened for, in its currency.
    pub amount: Money,
    pub status: ProviderStatus,
}

/// A payment intent's status, reduced to what the booking rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderStatus {
    /// The guest has not (successfully) paid: waiting for a card, a confirmation or an authentication.
    AwaitingGuest,
    /// The provider is still deciding; nothing can be concluded yet.
    Processing,
    /// The card is authorized for `capturable`; nothing is taken yet.
    Authorized { capturable: Money },
    /// Money was taken (`received`), and `refunded` of it given back.
    Succeeded { received: Money, refunded: Money },
    /// Closed without taking money: voided, abandoned, or the authorization expired.
    Canceled,
}

/// What set the reconciliation going. Only the guest's own actions change a decision: a failed card attempt or
/// an explicit release gives the hold back, where the schedule would wait for the hold to run out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A webhook or the scheduled pass: act on the state of things.
    Routine,
    /// The provider reported a failed payment attempt for a hold.
    PaymentFailed,
    /// The guest asked to give up the hold.
    GuestRelease,
}

/// The next step towards a settled booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Settled, or a hold still waiting for the guest.
    Nothing,
    /// The provider is processing; look again later.
    Wait,
    /// The hold is paid: confirm it (the rooms stay taken).
    Confirm,
    /// Paid after the hold ran out: take the rooms again if they are free (else cancel as sold out).
    Reinstate,
    /// The hold ran out and its payment is closed: give the rooms back.
    Expire,
    /// The hold is given up and its payment closed: give the rooms back.
    Release,
    /// A confirmed booking whose money is gone (authorization cancelled or expired): cancel it.
    CancelUnpaid,
    /// Take this much of the authorization (all of it for a confirmed booking, the penalty after a late cancel).
    Capture(Money),
    /// Close the payment without taking money (void an authorization, close an unpaid intent).
    Void,
    /// Give this much back.
    Refund(Money),
    /// The provider holds exactly what the booking keeps: record it.
    Settle { charged: Money, refunded: Money },
}

/// The one rule. `now` decides whether a hold has run out.
pub fn next_step(booking: &Booking, payment: &ProviderPayment, now: DateTime<Utc>, trigger: Trigger) -> Step {
    let total = booking.quote().total;
    let zero = Money::zero(total.currency());
    // A payment for another amount or currency than the quote is never kept: it cannot confirm anything.
    let honest = payment.amount == total;
    let view = View::of(payment, zero);
    let step = match booking.state() {
        BookingState::Held => match view {
            View::Processing => Step::Wait,
            View::Authorized(capturable) if honest && capturable == total => {
                if trigger == Trigger::GuestRelease {
                    Step::Release
                } else {
                    Step::Confirm
                }
            }
            View::Captured { net, .. } if honest && net == total => {
                if trigger == Trigger::GuestRelease {
                    Step::Release
                } else {
                    Step::Confirm
                }
            }
            View::Awaiting if booking.is_hold_expired(now) || trigger != Trigger::Routine => Step::Void,
            View::Awaiting => Step::Nothing,
            View::Closed { .. } if booking.is_hold_expired(now) => Step::Expire,
            View::Closed { .. } => Step::Release,
            // A payment that does not match the quote: give it back, keep the hold until it runs out.
            other => towards(zero, other),
        },
        BookingState::Confirmed => match view {
            View::Processing => Step::Wait,
            View::Authorized(capturable) if capturable == total => Step::Capture(total),
            View::Captured { net, .. } if net.minor() > total.minor() => {
                Step::Refund(Money::new(net.minor() - total.minor(), total.currency()))
            }
            View::Captured { charged, refunded, .. } => Step::Settle { charged, refunded },
            // Nothing authorized any more (or not the right amount): the booking was never paid.
            View::Awaiting | View::Authorized(_) | View::Closed { .. } => Step::CancelUnpaid,
        },
        BookingState::Expired => match view {
            View::Authorized(capturable) if honest && capturable == total => Step::Reinstate,
            View::Captured { net, .. } if honest && net == total => Step::Reinstate,
            other => towards(zero, other),
        },
        BookingState::Released | BookingState::Cancelled | BookingState::Refunded => towards(booking.kept_target().unwrap_or(zero), view),
    };
    match (step, booking.settlement()) {
        (Step::Settle { charged, refunded }, Settlement::Settled { charged: c, refunded: r, .. }) if *c == charged && *r == refunded => {
            Step::Nothing
        }
        _ => step,
    }
}

/// The provider's money, in the terms of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Awaiting,
    Processing,
    Authorized(Money),
    /// Money taken and not all of it given back.
    Captured {
        charged: Money,
        refunded: Money,
        net: Money,
    },
    /// Nothing held any more: cancelled, or everything taken was given back.
    Closed {
        charged: Money,
        refunded: Money,
    },
}

impl View {
    fn of(payment: &ProviderPayment, zero: Money) -> View {
        match payment.status {
            ProviderStatus::AwaitingGuest => View::Awaiting,
            ProviderStatus::Processing => View::Processing,
            ProviderStatus::Authorized { capturable } if capturable.minor() > 0 => View::Authorized(capturable),
            ProviderStatus::Authorized { .. } | ProviderStatus::Canceled => View::Closed { charged: zero, refunded: zero },
            ProviderStatus::Succeeded { received, refunded } => {
                let net = Money::new(received.minor() - refunded.minor(), received.currency());
                if net.minor() > 0 {
                    View::Captured { charged: received, refunded, net }
                } else {
                    View::Closed { charged: received, refunded }
                }
            }
        }
    }
}

/// Moves the provider towards keeping exactly `keep` (a penalty, or nothing).
fn towards(keep: Money, view: View) -> Step {
    match view {
        View::Processing => Step::Wait,
        // Close an unpaid intent so a late card confirmation cannot pay for a booking we will not honour. A
        // penalty that was never authorized cannot be collected: the intent is closed all the same.
        View::Awaiting => Step::Void,
        View::Authorized(capturable) if keep.minor() > 0 => {
            Step::Capture(Money::new(keep.minor().min(capturable.minor()), keep.currency()))
        }
        View::Authorized(_) => Step::Void,
        View::Captured { net, .. } if net.minor() > keep.minor() => Step::Refund(Money::new(net.minor() - keep.minor(), net.currency())),
        View::Captured { charged, refunded, .. } | View::Closed { charged, refunded } => Step::Settle { charged, refunded },
    }
}
