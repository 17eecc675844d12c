//! Drives a booking's money to where its state says it should be, acting on the provider's *current* view.
//!
//! Every path that moves money goes through [`reconcile`]: Stripe's webhooks (which arrive late, twice, or out
//! of order), the guest's cancel, and the scheduled pass over due bookings. Each round reads the payment intent
//! afresh, asks the domain's [`next_step`] what to do, does it, and reads again, so no step is ever taken on a
//! stale belief: a capture that landed during a cancel is refunded, an authorization that arrived while the
//! sweeper ran confirms instead of being voided, a lost capture reply never cancels a paid booking. A step that
//! cannot be done now (provider or store down) leaves the booking `Due` with a backed-off next attempt, and
//! the store's due index brings it back until the provider holds exactly what the booking keeps.

use booking_domain::{
    Action, Booking, BookingRef, BookingState, CancellationReason, InventoryEffect, Money, ProviderStatus, Settlement, Step, Trigger,
    next_step,
};
use booking_ports::{EventKind, IdempotencyCompletion, PaymentError, PaymentIntent};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::changes::{save, save_completing, transition};
use crate::{AppError, SettlePorts};

/// More rounds than any booking needs (the longest path is confirm, capture, settle, or reinstate, void, settle);
/// a booking still unsettled after them is left due.
const MAX_ROUNDS: usize = 10;
/// Retry delays double from here...
const FIRST_RETRY: Duration = Duration::minutes(1);
/// ...up to this.
const MAX_RETRY: Duration = Duration::hours(1);

/// What one reconciliation did, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Confirmed,
    Reinstated,
    Expired,
    Released,
    /// A confirmed booking whose payment vanished was cancelled.
    CancelledUnpaid,
    /// A late payment found its rooms sold: the booking was cancelled.
    CancelledSoldOut,
    Captured,
    Voided,
    Refunded,
    /// The provider now holds exactly what the booking keeps.
    Settled,
    /// Something could not be done now; the next attempt is scheduled.
    RetryScheduled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub reference: BookingRef,
    pub effects: Vec<Effect>,
    pub state: BookingState,
    /// Whether the booking's money is settled now.
    pub settled: bool,
    /// It stopped because the provider could not be reached or refused; the next attempt is scheduled.
    pub provider_unavailable: bool,
}

/// Brings `reference`'s money in line with its state. Errors only when the store cannot even record that a
/// retry is due; provider trouble is absorbed into a scheduled retry.
pub async fn reconcile(svc: &SettlePorts, reference: &BookingRef, trigger: Trigger) -> Result<Reconciliation, AppError> {
    let booking = svc.bookings.get_booking(reference).await?.ok_or(AppError::NotFound)?;
    Ok(reconcile_loaded(svc, booking, trigger, None).await?.0)
}

/// An idempotency claim its owner wants completed in the write that settles the booking, if the reconciliation
/// ends with one: one store round trip fewer for a webhook that settles its booking. `result` turns the finished
/// reconciliation into what the claim's caller will answer, exactly as it would record it on its own.
pub(crate) struct Finish<'a> {
    pub key: &'a str,
    pub owner: &'a str,
    pub ttl: Duration,
    pub result: &'a (dyn Fn(&Reconciliation) -> Result<serde_json::Value, AppError> + Sync),
}

/// Whether the claim of a [`Finish`] was completed (or taken over by another owner, who completes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finished {
    InTheSettlingWrite,
    NotYet,
}

/// [`reconcile`] from a booking the caller has just read (a webhook checks the intent is the booking's first):
/// one store round trip fewer. It must be a consistent read of the booking table made just before, as
/// `reconcile`'s own would be: a round may move money on what the booking says before anything is written. The
/// sweeper's copies come from an index, which DynamoDB serves eventually consistent, so it reads afresh.
pub(crate) async fn reconcile_loaded(
    svc: &SettlePorts,
    booking: Booking,
    trigger: Trigger,
    finish: Option<&Finish<'_>>,
) -> Result<(Reconciliation, Finished), AppError> {
    let reference = booking.reference().clone();
    let (done, finished) = reconcile_rounds(svc, &reference, booking, trigger, finish).await?;
    crate::metrics::reconciled(&reference, &done.effects, done.state, trigger);
    Ok((done, finished))
}

async fn reconcile_rounds(
    svc: &SettlePorts,
    reference: &BookingRef,
    mut booking: Booking,
    trigger: Trigger,
    finish: Option<&Finish<'_>>,
) -> Result<(Reconciliation, Finished), AppError> {
    let not_yet = |done: Reconciliation| (done, Finished::NotYet);
    let mut effects = Vec::new();
    // The provider's view, reused while only our side changes (a transition does not move money).
    let mut intent = None;
    for _ in 0..MAX_ROUNDS {
        let settling = Settling { effects: &effects, finish };
        match round(svc, &booking, intent.take(), trigger, settling).await {
            Ok(Round::Done) => return Ok(not_yet(done(booking, effects, false))),
            Ok(Round::Changed { booking: next, effect, intent: seen }) => {
                effects.push(effect);
                booking = next;
                intent = seen;
            }
            Ok(Round::Moved { effect, intent: seen }) => {
                effects.extend(effect);
                intent = seen;
            }
            Ok(Round::Settled(settled, finished)) => {
                effects.push(Effect::Settled);
                return Ok((done(settled, effects, false), finished));
            }
            Ok(Round::ChangedAndSettled { booking: settled, effect, finished }) => {
                effects.extend([effect, Effect::Settled]);
                return Ok((done(settled, effects, false), finished));
            }
            Ok(Round::ChangedThenTrouble { booking: next, effect }) => {
                effects.push(effect);
                booking = next;
                if let Some(next) = schedule_retry(svc, &booking, None).await? {
                    booking = next;
                    effects.push(Effect::RetryScheduled);
                }
                return Ok(not_yet(done(booking, effects, true)));
            }
            Ok(Round::Later(delay)) => {
                if let Some(next) = schedule_retry(svc, &booking, delay).await? {
                    booking = next;
                    effects.push(Effect::RetryScheduled);
                }
                return Ok(not_yet(done(booking, effects, delay.is_none())));
            }
            // Someone else changed the booking meanwhile (a webhook, the guest, the schedule): look again.
            Err(AppError::Conflict) => booking = svc.bookings.get_booking(reference).await?.ok_or(AppError::NotFound)?,
            Err(e) => return Err(e),
        }
    }
    tracing::warn!(%reference, "reconciliation did not converge; leaving it due");
    if let Some(next) = schedule_retry(svc, &booking, Some(FIRST_RETRY)).await? {
        booking = next;
        effects.push(Effect::RetryScheduled);
    }
    Ok(not_yet(done(booking, effects, false)))
}

/// What a round needs to complete a [`Finish`] in a settling write: the effects of the rounds before it.
#[derive(Clone, Copy)]
struct Settling<'a> {
    effects: &'a [Effect],
    finish: Option<&'a Finish<'a>>,
}

impl Settling<'_> {
    /// The claim to complete with `settled`, reached after `effect` (if this round changed the booking too), and
    /// its result: the reconciliation `reconcile_rounds` will return from here.
    fn completion(&self, settled: &Booking, effect: Option<Effect>) -> Result<Option<(&Finish<'_>, serde_json::Value)>, AppError> {
        let Some(finish) = self.finish else { return Ok(None) };
        let mut effects = self.effects.to_vec();
        effects.extend(effect);
        effects.push(Effect::Settled);
        let value = (finish.result)(&done(settled.clone(), effects, false))?;
        Ok(Some((finish, value)))
    }
}

/// Stores a settling change, completing the finish's claim in the same write when there is one.
async fn save_settling(
    svc: &SettlePorts,
    previous: &Booking,
    next: &Booking,
    effect: InventoryEffect,
    event: Option<EventKind>,
    completion: Option<(&Finish<'_>, serde_json::Value)>,
) -> Result<Finished, AppError> {
    let Some((finish, result)) = completion else {
        save(svc, previous, next, effect, event).await?;
        return Ok(Finished::NotYet);
    };
    let completion = IdempotencyCompletion { key: finish.key, owner: finish.owner, result: &result, now: svc.clock.now(), ttl: finish.ttl };
    save_completing(svc, previous, next, effect, event, Some(completion)).await?;
    Ok(Finished::InTheSettlingWrite)
}

fn done(booking: Booking, effects: Vec<Effect>, provider_unavailable: bool) -> Reconciliation {
    Reconciliation {
        reference: booking.reference().clone(),
        settled: matches!(booking.settlement(), Settlement::Settled { .. }),
        state: booking.state(),
        effects,
        provider_unavailable,
    }
}

enum Round {
    /// Nothing (more) to do.
    Done,
    /// Our side changed; the provider's did not (`intent` is still its view).
    Changed { booking: Booking, effect: Effect, intent: Option<PaymentIntent> },
    /// Money moved at the provider (or it refused because it had moved on by itself); `intent` is its new view
    /// when the call returned one.
    Moved { effect: Option<Effect>, intent: Option<PaymentIntent> },
    /// The provider holds exactly what the booking keeps, and the booking says so.
    Settled(Booking, Finished),
    /// Our side changed to a state the provider already matches: settled in the same write.
    ChangedAndSettled { booking: Booking, effect: Effect, finished: Finished },
    /// Our side changed, then the provider failed: stop and retry later.
    ChangedThenTrouble { booking: Booking, effect: Effect },
    /// Try again after this delay (`None`: the usual backoff).
    Later(Option<Duration>),
}

async fn round(
    svc: &SettlePorts,
    booking: &Booking,
    known: Option<PaymentIntent>,
    trigger: Trigger,
    settling: Settling<'_>,
) -> Result<Round, AppError> {
    let now = svc.clock.now();
    let Some(payment) = booking.payment() else {
        // No payment was ever opened: only the clock or the guest can end a hold.
        let action = match booking.state() {
            BookingState::Held if booking.is_hold_expired(now) => Some((Action::Expire, Effect::Expired)),
            BookingState::Held if trigger == Trigger::GuestRelease => Some((Action::Release, Effect::Released)),
            _ => None,
        };
        return match action {
            Some((action, effect)) => Ok(Round::Changed { booking: transition(svc, booking, action, None).await?, effect, intent: None }),
            None => Ok(Round::Done),
        };
    };
    let intent_id = payment.intent_id.clone();
    let intent = match known {
        Some(intent) => intent,
        None => match svc.payments.retrieve(&intent_id).await {
            Ok(intent) => intent,
            // An intent the provider does not know holds no money.
            Err(PaymentError::NotFound(_)) => {
                tracing::error!(reference = %booking.reference(), "payment intent not found at the provider");
                closed_intent(&intent_id, booking)
            }
            Err(e) => return Ok(provider_trouble(booking, e, "retrieve")),
        },
    };
    let reference = booking.reference();
    let changed = |(booking, finished): (Booking, Option<Finished>), effect: Effect| match finished {
        Some(finished) => Round::ChangedAndSettled { booking, effect, finished },
        None => Round::Changed { booking, effect, intent: Some(intent.clone()) },
    };
    let change = |action: Action, effect: Effect| change(svc, booking, action, effect, &intent, trigger, settling);
    match next_step(booking, &intent.snapshot(), now, trigger) {
        Step::Nothing => Ok(Round::Done),
        Step::Wait => Ok(Round::Later(Some(FIRST_RETRY))),
        Step::Confirm => Ok(changed(change(Action::Confirm, Effect::Confirmed).await?, Effect::Confirmed)),
        Step::Expire => Ok(changed(change(Action::Expire, Effect::Expired).await?, Effect::Expired)),
        Step::Release => Ok(changed(change(Action::Release, Effect::Released).await?, Effect::Released)),
        Step::CancelUnpaid => {
            tracing::warn!(%reference, "confirmed booking without a payment; cancelling it");
            Ok(changed(change(Action::Cancel, Effect::CancelledUnpaid).await?, Effect::CancelledUnpaid))
        }
        Step::Reinstate => match change(Action::Reinstate, Effect::Reinstated).await {
            Ok(next) => Ok(changed(next, Effect::Reinstated)),
            Err(AppError::SoldOut { .. }) => {
                tracing::info!(%reference, "late payment for rooms sold meanwhile; cancelling");
                Ok(changed(change(Action::Void, Effect::CancelledSoldOut).await?, Effect::CancelledSoldOut))
            }
            Err(e) => Err(e),
        },
        Step::Capture(amount) => {
            let key = format!("capture-{reference}-{}", amount.minor());
            match svc.payments.capture(&intent_id, amount, &key).await {
                Ok(intent) => Ok(Round::Moved { effect: Some(Effect::Captured), intent: Some(intent) }),
                // Moved on meanwhile (captured by an earlier attempt whose reply was lost, cancelled, expired):
                // read it again and decide on what it is now.
                Err(PaymentError::InvalidState(_)) => Ok(Round::Moved { effect: None, intent: None }),
                // The card cannot be charged after all: release the authorization; the next round cancels.
                Err(PaymentError::Declined(reason)) => {
                    tracing::warn!(%reference, %reason, "capture declined; voiding the authorization");
                    void(svc, booking, &intent_id).await
                }
                Err(e) => Ok(provider_trouble(booking, e, "capture")),
            }
        }
        Step::Void => void(svc, booking, &intent_id).await,
        Step::Refund(amount) => {
            let already = match intent.snapshot().status {
                ProviderStatus::Succeeded { refunded, .. } => refunded.minor(),
                _ => 0,
            };
            let key = format!("refund-{reference}-{already}");
            match svc.payments.refund(&intent_id, amount, &key).await {
                Ok(_) => Ok(Round::Moved { effect: Some(Effect::Refunded), intent: None }),
                Err(PaymentError::InvalidState(_)) => Ok(Round::Moved { effect: None, intent: None }),
                Err(e) => Ok(provider_trouble(booking, e, "refund")),
            }
        }
        Step::Settle { charged, refunded } => {
            let settled = booking.settled(charged, refunded, now);
            // The guest hears once per change of state, when its money first settles.
            let event = match booking.settlement() {
                Settlement::Settled { .. } => None,
                _ => settled_event(&settled, charged, refunded),
            };
            let finished =
                save_settling(svc, booking, &settled, InventoryEffect::None, event, settling.completion(&settled, None)?).await?;
            Ok(Round::Settled(settled, finished))
        }
    }
}

/// Applies `action`; when the provider already holds what the new state keeps (a hold whose intent is closed
/// expiring, say), the booking is recorded settled in the same write, so it is never seen owing nothing "pending".
/// Returns the stored booking and, when it is settled now, what became of the finish's claim.
async fn change(
    svc: &SettlePorts,
    booking: &Booking,
    action: Action,
    reported: Effect,
    intent: &PaymentIntent,
    trigger: Trigger,
    settling: Settling<'_>,
) -> Result<(Booking, Option<Finished>), AppError> {
    let now = svc.clock.now();
    let (next, effect) = booking.apply(action, now)?;
    match next_step(&next, &intent.snapshot(), now, trigger) {
        Step::Settle { charged, refunded } => {
            let settled = next.settled(charged, refunded, now);
            let event = settled_event(&settled, charged, refunded);
            let completion = settling.completion(&settled, Some(reported))?;
            let finished = save_settling(svc, booking, &settled, effect, event, completion).await?;
            Ok((settled, Some(finished)))
        }
        _ => {
            save(svc, booking, &next, effect, None).await?;
            Ok((next, None))
        }
    }
}

/// Closes the intent without taking money. If the provider cannot be reached and the hold is over anyway (ran
/// out, card failed, guest gave up), the rooms go back now and the intent is closed on a later attempt: a late
/// payment then finds an expired or released booking and is reinstated or given back.
async fn void(svc: &SettlePorts, booking: &Booking, intent_id: &str) -> Result<Round, AppError> {
    match svc.payments.cancel(intent_id, &format!("void-{}", booking.reference())).await {
        Ok(intent) => Ok(Round::Moved { effect: Some(Effect::Voided), intent: Some(intent) }),
        Err(PaymentError::InvalidState(_)) => Ok(Round::Moved { effect: None, intent: None }),
        Err(e) if booking.state() == BookingState::Held => {
            tracing::warn!(reference = %booking.reference(), error = %e, "could not close the payment; giving the rooms back first");
            let now = svc.clock.now();
            let (action, effect) =
                if booking.is_hold_expired(now) { (Action::Expire, Effect::Expired) } else { (Action::Release, Effect::Released) };
            let next = transition(svc, booking, action, None).await?;
            Ok(Round::ChangedThenTrouble { booking: next, effect })
        }
        Err(e) => Ok(provider_trouble(booking, e, "cancel")),
    }
}

fn provider_trouble(booking: &Booking, error: PaymentError, call: &str) -> Round {
    match &error {
        PaymentError::Unavailable(_) => {
            tracing::warn!(reference = %booking.reference(), call, %error, "payment provider unavailable; will retry");
        }
        _ => tracing::error!(reference = %booking.reference(), call, %error, "payment provider refused; will retry"),
    }
    Round::Later(None)
}

/// Records that the next attempt is due later and returns the booking as stored. A hold that has not run out
/// needs nothing: its own expiry brings it back.
async fn schedule_retry(svc: &SettlePorts, booking: &Booking, delay: Option<Duration>) -> Result<Option<Booking>, AppError> {
    let now = svc.clock.now();
    // A hold that has not run out comes back at its expiry; a settled booking owes nothing (a read that failed
    // for it, say for a late webhook, must not make it due again).
    if (booking.state() == BookingState::Held && !booking.is_hold_expired(now))
        || matches!(booking.settlement(), Settlement::Settled { .. })
    {
        return Ok(None);
    }
    let attempts = match booking.settlement() {
        Settlement::Due { attempts, .. } => *attempts,
        _ => 0,
    };
    let next = booking.retry_later(now, delay.unwrap_or_else(|| backoff(attempts)));
    match save(svc, booking, &next, InventoryEffect::None, None).await {
        Ok(()) => Ok(Some(next)),
        // Someone else moved it on meanwhile; their write decides when it is due.
        Err(AppError::Conflict) => Ok(None),
        Err(e) => Err(e),
    }
}

fn closed_intent(intent_id: &str, booking: &Booking) -> PaymentIntent {
    PaymentIntent {
        id: intent_id.to_owned(),
        client_secret: String::new(),
        status: booking_ports::PaymentStatus::Canceled,
        amount: booking.quote().total,
        amount_capturable: 0,
        amount_received: 0,
        amount_refunded: 0,
        reference: None,
    }
}

fn backoff(attempts: u32) -> Duration {
    let factor = 1i64 << attempts.min(10);
    std::cmp::min(FIRST_RETRY * i32::try_from(factor).unwrap_or(i32::MAX), MAX_RETRY)
}

/// What the guest is told once the money is settled: only then, so a message never promises what has not happened.
fn settled_event(booking: &Booking, charged: Money, refunded: Money) -> Option<EventKind> {
    match booking.state() {
        BookingState::Confirmed => Some(EventKind::BookingConfirmed { charged }),
        BookingState::Cancelled | BookingState::Refunded => Some(EventKind::BookingCancelled {
            reason: booking.cancellation().map_or(CancellationReason::PaymentNotCompleted, |c| c.reason),
            charged,
            refunded,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let minutes: Vec<i64> = (0..9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
