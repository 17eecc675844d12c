//! The settlement rule, case by case: for every booking state and every provider status, the next step.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use booking_domain::*;
use chrono::{DateTime, Duration, Utc};

fn hotel() -> Hotel {
    Hotel::from_json(DEMO_CATALOG_JSON).unwrap()
}

fn t0() -> DateTime<Utc> {
    "2027-02-01T10:00:00Z".parse().unwrap()
}

/// A two-night classic double, with a payment attached, moved to `state`.
fn booking(state: BookingState) -> Booking {
    let h = hotel();
    let request = StayRequest {
        room_type: RoomTypeId::parse("classic-double").unwrap(),
        stay: StayDates::new("2027-03-01".parse().unwrap(), "2027-03-03".parse().unwrap()).unwrap(),
        guests: 2,
        rooms: 1,
    };
    let q = quote(&h, &request, "2027-02-01".parse().unwrap()).unwrap();
    let held = Booking::hold(NewBooking {
        reference: BookingRef::from_entropy(7),
        guest: GuestId::new("g").unwrap(),
        contact: GuestContact::new("Ada", "ada@example.com", None, ContactPreference::Email).unwrap(),
        quote: q,
        now: t0(),
        hold_minutes: 15,
    })
    .with_payment(PaymentRef { intent_id: "pi_1".into() }, t0());
    let apply = |b: &Booking, a: Action| b.apply(a, t0()).unwrap().0;
    match state {
        BookingState::Held => held,
        BookingState::Confirmed => apply(&held, Action::Confirm),
        BookingState::Expired => apply(&held, Action::Expire),
        BookingState::Released => apply(&held, Action::Release),
        BookingState::Cancelled => apply(&apply(&held, Action::Expire), Action::Void),
        BookingState::Refunded => {
            let confirmed = apply(&held, Action::Confirm);
            let preview = RefundPreview {
                refund: Money::new(total(&confirmed).minor() - 5000, Currency::EUR),
                penalty: Money::new(5000, Currency::EUR),
                free_until: t0(),
                closes_at: t0() + Duration::days(30),
            };
            confirmed.cancel_by_guest(&preview, t0()).unwrap().0
        }
    }
}

fn total(b: &Booking) -> Money {
    b.quote().total
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

#[derive(Debug, Clone, Copy)]
enum P {
    Awaiting,
    Processing,
    /// Authorized for the full total.
    Authorized,
    /// Authorized for one cent less than the quote.
    AuthorizedShort,
    /// Captured the full total, `n` refunded.
    Captured(i64),
    Canceled,
}

fn provider(b: &Booking, p: P) -> ProviderPayment {
    let t = total(b);
    let status = match p {
        P::Awaiting => ProviderStatus::AwaitingGuest,
        P::Processing => ProviderStatus::Processing,
        P::Authorized => ProviderStatus::Authorized { capturable: t },
        P::AuthorizedShort => ProviderStatus::Authorized { capturable: eur(t.minor() - 1) },
        P::Captured(refunded) => ProviderStatus::Succeeded { received: t, refunded: eur(refunded) },
        P::Canceled => ProviderStatus::Canceled,
    };
    let amount = if matches!(p, P::AuthorizedShort) { eur(t.minor() - 1) } else { t };
    ProviderPayment { amount, status }
}

#[test]
fn every_state_and_status_has_one_next_step() {
    use BookingState as S;
    let check = |state: S, p: P, expired: bool, trigger: Trigger, want: &dyn Fn(&Booking) -> Step| {
        let b = booking(state);
        let now = if expired { t0() + Duration::minutes(15) } else { t0() + Duration::minutes(14) };
        let got = next_step(&b, &provider(&b, p), now, trigger);
        assert_eq!(got, want(&b), "{state:?} + {p:?} (expired: {expired}, {trigger:?})");
    };
    let r = Trigger::Routine;
    let nothing = |_: &Booking| Step::Nothing;
    let settle = |charged: i64, refunded: i64| move |_: &Booking| Step::Settle { charged: eur(charged), refunded: eur(refunded) };

    // A hold: paid means confirm, even after its time ran out (the payment beat the sweeper); unpaid means wait,
    // or close the intent first once it ran out or the guest's card failed; a closed intent gives the rooms back.
    check(S::Held, P::Authorized, false, r, &|_| Step::Confirm);
    check(S::Held, P::Authorized, true, r, &|_| Step::Confirm);
    check(S::Held, P::Authorized, false, Trigger::PaymentFailed, &|_| Step::Confirm);
    check(S::Held, P::Authorized, false, Trigger::GuestRelease, &|_| Step::Release);
    check(S::Held, P::Captured(0), false, r, &|_| Step::Confirm);
    check(S::Held, P::Awaiting, false, r, &nothing);
    check(S::Held, P::Awaiting, true, r, &|_| Step::Void);
    check(S::Held, P::Awaiting, false, Trigger::PaymentFailed, &|_| Step::Void);
    check(S::Held, P::Awaiting, false, Trigger::GuestRelease, &|_| Step::Void);
    check(S::Held, P::Processing, true, r, &|_| Step::Wait);
    check(S::Held, P::Canceled, false, r, &|_| Step::Release);
    check(S::Held, P::Canceled, true, r, &|_| Step::Expire);
    check(S::Held, P::AuthorizedShort, false, r, &|_| Step::Void);

    // Confirmed: the whole total is taken, once; a payment that vanished cancels the booking.
    check(S::Confirmed, P::Authorized, false, r, &|b| Step::Capture(total(b)));
    check(S::Confirmed, P::Captured(0), false, r, &|b| settle(total(b).minor(), 0)(b));
    check(S::Confirmed, P::Processing, false, r, &|_| Step::Wait);
    check(S::Confirmed, P::Canceled, false, r, &|_| Step::CancelUnpaid);
    check(S::Confirmed, P::Awaiting, false, r, &|_| Step::CancelUnpaid);
    check(S::Confirmed, P::AuthorizedShort, false, r, &|_| Step::CancelUnpaid);

    // Expired: a late payment reinstates; otherwise the intent is closed so nothing can be paid.
    check(S::Expired, P::Authorized, true, r, &|_| Step::Reinstate);
    check(S::Expired, P::Captured(0), true, r, &|_| Step::Reinstate);
    check(S::Expired, P::Awaiting, true, r, &|_| Step::Void);
    check(S::Expired, P::Canceled, true, r, &settle(0, 0));
    check(S::Expired, P::AuthorizedShort, true, r, &|_| Step::Void);

    // Released / cancelled after a late payment: nothing is kept.
    for state in [S::Released, S::Cancelled] {
        check(state, P::Authorized, true, r, &|_| Step::Void);
        check(state, P::Captured(0), true, r, &|b| Step::Refund(total(b)));
        check(state, P::Captured(100), true, r, &|b| Step::Refund(eur(total(b).minor() - 100)));
        check(state, P::Awaiting, true, r, &|_| Step::Void);
        check(state, P::Processing, true, r, &|_| Step::Wait);
        check(state, P::Canceled, true, r, &settle(0, 0));
    }

    // Cancelled by the guest keeping a 50.00 penalty: refund the rest of a capture, or capture just the penalty
    // of an authorization (the rest of it is released to the guest).
    check(S::Refunded, P::Captured(0), false, r, &|b| Step::Refund(eur(total(b).minor() - 5000)));
    check(S::Refunded, P::Captured(1000), false, r, &|b| Step::Refund(eur(total(b).minor() - 5000 - 1000)));
    check(S::Refunded, P::Authorized, false, r, &|_| Step::Capture(eur(5000)));
    check(S::Refunded, P::Canceled, false, r, &settle(0, 0));
    check(S::Refunded, P::Awaiting, false, r, &|_| Step::Void);
}

#[test]
fn a_settled_refund_settles_at_the_penalty() {
    let b = booking(BookingState::Refunded);
    let refunded = total(&b).minor() - 5000;
    let p = provider(&b, P::Captured(refunded));
    assert_eq!(next_step(&b, &p, t0(), Trigger::Routine), Step::Settle { charged: total(&b), refunded: eur(refunded) });
    // Once recorded, there is nothing more to do.
    let settled = b.settled(total(&b), eur(refunded), t0());
    assert_eq!(next_step(&settled, &p, t0(), Trigger::Routine), Step::Nothing);
}

#[test]
fn money_moving_transitions_make_the_booking_due_and_only_settling_clears_it() {
    let held = booking(BookingState::Held);
    assert_eq!(held.due_at(), Some(held.hold_expires_at()), "a hold is due when it runs out");
    let (confirmed, _) = held.apply(Action::Confirm, t0()).unwrap();
    assert!(matches!(confirmed.settlement(), Settlement::Due { attempts: 0, .. }));
    assert_eq!(confirmed.due_at(), Some(t0() + SETTLEMENT_GRACE));
    let retried = confirmed.retry_later(t0(), Duration::minutes(5));
    assert!(matches!(retried.settlement(), Settlement::Due { attempts: 1, .. }));
    assert_eq!(retried.due_at(), Some(t0() + Duration::minutes(5)));
    let settled = retried.settled(total(&held), eur(0), t0());
    assert_eq!(settled.due_at(), None);
    assert_eq!(settled.kept_target(), Some(total(&held)));
    assert_eq!(settled.version(), held.version() + 3);
}

#[test]
fn what_the_hotel_keeps_follows_the_state() {
    use BookingState as S;
    let keep = |s: S| booking(s).kept_target().map(|m| m.minor());
    let t = total(&booking(S::Held)).minor();
    assert_eq!(
        [keep(S::Held), keep(S::Confirmed), keep(S::Expired), keep(S::Released), keep(S::Cancelled), keep(S::Refunded)],
        [None, Some(t), Some(0), Some(0), Some(0), Some(5000)]
    );
    assert_eq!(booking(S::Refunded).refund_due().map(|m| m.minor()), Some(t - 5000));
    assert_eq!(booking(S::Cancelled).cancellation().map(|c| c.reason), Some(CancellationReason::SoldOutAfterHoldExpired));
}
