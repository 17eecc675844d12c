//! Properties that must hold for every input, not just the examples.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::HashMap;

use booking_domain::*;
use chrono::{Days, NaiveDate};
use proptest::prelude::*;

fn hotel() -> Hotel {
    Hotel::from_json(DEMO_CATALOG_JSON).unwrap()
}

fn today() -> NaiveDate {
    "2027-01-01".parse().unwrap()
}

prop_compose! {
    fn any_request()(room in 0usize..4, start in 0u64..300, nights in 1u64..=30, guests in 1u8..=8, rooms in 1u8..=5) -> StayRequest {
        let h = hotel();
        let ci = today().checked_add_days(Days::new(start)).unwrap();
        StayRequest {
            room_type: h.room_types()[room].id.clone(),
            stay: StayDates::new(ci, ci.checked_add_days(Days::new(nights)).unwrap()).unwrap(),
            guests,
            rooms,
        }
    }
}

proptest! {
    #[test]
    fn price_equals_sum_of_breakdown(req in any_request()) {
        if let Ok(q) = quote(&hotel(), &req, today()) {
            let sum: i64 = q.nights.iter().map(|n| n.total.minor()).sum();
            prop_assert_eq!(q.total.minor(), sum);
            prop_assert_eq!(q.nights.len() as u32, req.stay.nights());
            for n in &q.nights {
                prop_assert_eq!(n.total.minor(), n.room.minor() + n.tax.minor() + n.tourist_tax.minor());
                prop_assert!(n.room.minor() > 0);
            }
        }
    }

    #[test]
    fn availability_is_within_zero_and_capacity(counts in proptest::collection::vec((0u32..20, 0u32..40), 1..30)) {
        let nights: Vec<NightCount> = counts.iter().enumerate()
            .map(|(i, (cap, taken))| NightCount { date: today().checked_add_days(Days::new(i as u64)).unwrap(), capacity: *cap, taken: *taken })
            .collect();
        let avail = available_rooms(&nights);
        let min_cap = nights.iter().map(|n| n.capacity).min().unwrap();
        prop_assert!(avail <= min_cap);
        for n in &nights { prop_assert!(n.available() <= n.capacity); }
    }

    /// A model of the store: random interleavings of hold / confirm / release / expire / cancel / reinstate
    /// applied through the domain's state machine and inventory effects. After every step, each night's taken
    /// count equals the rooms of bookings in room-occupying states, and never exceeds capacity.
    #[test]
    fn interleavings_keep_counts_consistent(ops in proptest::collection::vec((0u8..7, 0usize..6, 1u8..=3), 1..80)) {
        const CAPACITY: u32 = 4;
        let nights = 3usize;
        let mut taken = vec![0u32; nights];
        let mut bookings: HashMap<usize, (BookingState, u8)> = HashMap::new();
        for (op, id, rooms) in ops {
            let action = match op {
                0 => None, // new hold
                1 => Some(Action::Confirm),
                2 => Some(Action::Release),
                3 => Some(Action::Expire),
                4 => Some(Action::Cancel),
                5 => Some(Action::Reinstate),
                _ => Some(Action::Void),
            };
            match action {
                None => {
                    if bookings.contains_key(&id) { continue; }
                    if taken.iter().all(|t| t + u32::from(rooms) <= CAPACITY) {
                        taken.iter_mut().for_each(|t| *t += u32::from(rooms));
                        bookings.insert(id, (BookingState::Held, rooms));
                    }
                }
                Some(action) => {
                    let Some((state, rooms)) = bookings.get(&id).copied() else { continue };
                    let Ok(next) = state.next(action) else {
                        // Refused transitions change nothing.
                        continue;
                    };
                    match InventoryEffect::between(state, next) {
                        InventoryEffect::Take => {
                            if !taken.iter().all(|t| t + u32::from(rooms) <= CAPACITY) { continue; }
                            taken.iter_mut().for_each(|t| *t += u32::from(rooms));
                        }
                        InventoryEffect::Release => taken.iter_mut().for_each(|t| *t -= u32::from(rooms)),
                        InventoryEffect::None => {}
                    }
                    bookings.insert(id, (next, rooms));
                }
            }
            let occupying: u32 = bookings.values().filter(|(s, _)| s.occupies_rooms()).map(|(_, r)| u32::from(*r)).sum();
            for t in &taken {
                prop_assert_eq!(*t, occupying);
                prop_assert!(*t <= CAPACITY);
            }
        }
    }

    #[test]
    fn refused_transitions_are_refused(from in 0usize..6, action in 0usize..7) {
        let from = BookingState::ALL[from];
        let action = Action::ALL[action];
        match from.next(action) {
            Ok(to) => prop_assert_ne!(to, from),
            Err(e) => prop_assert_eq!(e.code(), "invalid_state"),
        }
        // Terminal states accept nothing.
        if matches!(from, BookingState::Cancelled | BookingState::Refunded | BookingState::Released) {
            prop_assert!(from.next(action).is_err());
        }
    }

    #[test]
    fn references_parse_back(bits in any::<u64>()) {
        let r = BookingRef::from_entropy(bits);
        prop_assert_eq!(BookingRef::parse(r.as_str()).unwrap(), r);
    }

    #[test]
    fn refund_never_exceeds_total(req in any_request(), minutes in 0i64..(400 * 24 * 60)) {
        let h = hotel();
        if let Ok(q) = quote(&h, &req, today()) {
            let now = today().and_hms_opt(0, 0, 0).unwrap().and_utc() + chrono::Duration::minutes(minutes);
            match h.cancellation().preview(&h, &q, now) {
                Ok(p) => {
                    prop_assert!(p.refund.minor() >= 0 && p.refund.minor() <= q.total.minor());
                    prop_assert_eq!(p.refund.minor() + p.penalty.minor(), q.total.minor());
                    prop_assert!(now < p.closes_at && p.free_until < p.closes_at);
                }
                // Once the stay has begun nothing is refunded by self-service.
                Err(DomainError::CancellationClosed { closed_at }) => prop_assert!(now >= closed_at),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
