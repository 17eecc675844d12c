//! Table-driven checks of pricing, booking rules and the cancellation policy against the demo catalog.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use booking_domain::*;
use chrono::{DateTime, NaiveDate, Utc};

fn hotel() -> Hotel {
    Hotel::from_json(DEMO_CATALOG_JSON).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn request(room: &str, ci: &str, co: &str, guests: u8, rooms: u8) -> StayRequest {
    StayRequest { room_type: RoomTypeId::parse(room).unwrap(), stay: StayDates::new(d(ci), d(co)).unwrap(), guests, rooms }
}

/// One night from `ci`, for tests that only care about check-in.
fn one_night(room: &str, ci: &str) -> StayRequest {
    let check_in = d(ci);
    StayRequest {
        room_type: RoomTypeId::parse(room).unwrap(),
        stay: StayDates::new(check_in, check_in.succ_opt().unwrap()).unwrap(),
        guests: 1,
        rooms: 1,
    }
}

#[test]
fn prices_each_night_with_weekend_season_and_taxes() {
    // 2027-06-30 Wed (base 120.00), 07-01 Thu (summer 175.00), 07-02 Fri (summer beats weekend).
    let q = quote(&hotel(), &request("classic-double", "2027-06-30", "2027-07-03", 2, 1), d("2027-06-01")).unwrap();
    let rooms: Vec<i64> = q.nights.iter().map(|n| n.room.minor()).collect();
    assert_eq!(rooms, [12000, 17500, 17500]);
    let n0 = &q.nights[0];
    assert_eq!((n0.tax.minor(), n0.tourist_tax.minor(), n0.total.minor()), (1200, 500, 13700));
    assert_eq!(q.total.minor(), 13700 + 19750 + 19750);
    assert_eq!(q.total.currency(), Currency::EUR);

    // Friday and Saturday outside the season use the weekend rate; two rooms double the room price.
    let q = quote(&hotel(), &request("classic-double", "2027-03-05", "2027-03-08", 3, 2), d("2027-03-01")).unwrap();
    let rooms: Vec<i64> = q.nights.iter().map(|n| n.room.minor()).collect();
    assert_eq!(rooms, [29000, 29000, 24000]);
    assert_eq!(q.nights[0].tourist_tax.minor(), 750);
}

#[test]
fn booking_rules_refuse_with_a_code() {
    let check = |req: StayRequest, today: &str, code: &str| {
        let got = quote(&hotel(), &req, d(today)).map(|_| "ok").unwrap_or_else(|e| e.code());
        assert_eq!(got, code, "{req:?}");
    };
    check(request("classic-double", "2027-03-01", "2027-03-02", 2, 1), "2027-03-01", "ok");
    check(request("classic-double", "2027-03-01", "2027-03-02", 2, 1), "2027-03-02", "stay_in_past");
    check(request("classic-double", "2027-03-01", "2027-03-02", 3, 1), "2027-02-01", "over_occupancy");
    check(request("classic-double", "2027-03-01", "2027-03-02", 1, 2), "2027-02-01", "invalid_party");
    check(request("classic-double", "2027-03-01", "2027-03-02", 6, 6), "2027-02-01", "invalid_party");
    check(request("classic-double", "2027-03-01", "2027-03-02", 0, 0), "2027-02-01", "invalid_party");
    check(request("classic-double", "2027-03-01", "2027-03-20", 2, 1), "2027-02-01", "above_maximum_stay");
    check(request("family-suite", "2027-03-01", "2027-03-02", 4, 1), "2027-02-01", "below_minimum_stay");
    check(request("family-suite", "2027-03-01", "2027-03-03", 4, 1), "2027-03-01", "lead_time_too_short");
    check(request("deluxe-king", "2028-03-02", "2028-03-03", 2, 1), "2027-03-01", "beyond_booking_horizon");
    check(request("no-such-room", "2027-03-01", "2027-03-02", 1, 1), "2027-02-01", "unknown_room_type");
}

#[test]
fn refund_preview_follows_the_48_hour_rule() {
    let h = hotel();
    let q = quote(&h, &request("deluxe-king", "2027-03-10", "2027-03-12", 2, 1), d("2027-03-01")).unwrap();
    // Check-in 2027-03-10 15:00 in Lisbon (UTC in winter) is 15:00Z; free until 48 h before: 2027-03-08T15:00Z.
    let policy = h.cancellation();
    let free = policy.preview(&h, &q, at("2027-03-08T15:00:00Z")).unwrap();
    assert_eq!(free.refund, q.total);
    assert_eq!(free.penalty.minor(), 0);
    assert_eq!(free.free_until, at("2027-03-08T15:00:00Z"));
    let late = policy.preview(&h, &q, at("2027-03-08T15:00:01Z")).unwrap();
    assert_eq!(late.penalty, q.nights[0].total);
    assert_eq!(late.refund.minor(), q.total.minor() - q.nights[0].total.minor());
}

#[test]
fn catalog_validation_refuses_nonsense() {
    let mut spec: serde_json::Value = serde_json::from_str(DEMO_CATALOG_JSON).unwrap();
    spec["room_types"][0]["rate"]["base_nightly_minor"] = 0.into();
    assert!(matches!(Hotel::from_json(&spec.to_string()), Err(DomainError::InvalidCatalog(_))));
    let mut spec: serde_json::Value = serde_json::from_str(DEMO_CATALOG_JSON).unwrap();
    spec["room_types"][1]["id"] = "classic-double".into();
    assert!(Hotel::from_json(&spec.to_string()).is_err());
    let mut spec: serde_json::Value = serde_json::from_str(DEMO_CATALOG_JSON).unwrap();
    spec["surprise"] = true.into();
    assert!(Hotel::from_json(&spec.to_string()).is_err());
}

/// A hotel in Lisbon (WET in winter, WEST in summer), as the catalogue says it.
fn lisbon() -> Hotel {
    let mut spec: serde_json::Value = serde_json::from_str(DEMO_CATALOG_JSON).unwrap();
    let spec = spec.as_object_mut().unwrap();
    spec.remove("utc_offset_minutes");
    spec.insert("time_zone".into(), "Europe/Lisbon".into());
    Hotel::from_json(&serde_json::Value::Object(spec.clone()).to_string()).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn local_date_follows_the_hotels_time_zone() {
    let h = lisbon();
    // Winter: Lisbon is on UTC.
    assert_eq!(h.local_date(at("2027-01-10T23:30:00Z")), d("2027-01-10"));
    assert_eq!(h.local_date(at("2027-01-11T00:00:00Z")), d("2027-01-11"));
    // Summer: UTC+1, so 23:30Z is already tomorrow.
    assert_eq!(h.local_date(at("2027-07-10T23:30:00Z")), d("2027-07-11"));
    assert_eq!(h.local_date(at("2027-07-10T22:59:00Z")), d("2027-07-10"));
}

#[test]
fn free_cancellation_deadlines_follow_daylight_saving() {
    // Check-in is 15:00 local; free cancellation ends 48 elapsed hours before it. Clocks go forward on
    // 2027-03-28 at 01:00Z and back on 2027-10-31 at 01:00Z.
    let h = lisbon();
    let check = |check_in: &str, check_in_utc: &str, free_until_utc: &str| {
        let q = quote(&h, &one_night("classic-double", check_in), d("2027-01-01")).unwrap();
        let preview = h.cancellation().preview(&h, &q, at("2027-01-01T00:00:00Z")).unwrap();
        assert_eq!(preview.free_until, at(free_until_utc), "check-in {check_in}");
        assert_eq!(preview.closes_at, at(check_in_utc), "check-in {check_in}");
    };
    check("2027-03-20", "2027-03-20T15:00:00Z", "2027-03-18T15:00:00Z"); // winter
    check("2027-03-28", "2027-03-28T14:00:00Z", "2027-03-26T14:00:00Z"); // the day clocks go forward
    check("2027-03-29", "2027-03-29T14:00:00Z", "2027-03-27T14:00:00Z"); // deadline before the change, check-in after
    check("2027-07-10", "2027-07-10T14:00:00Z", "2027-07-08T14:00:00Z"); // summer
    // The day clocks go back, and the day after: 48 real hours before 15:00 WET is 16:00 WEST, local.
    check("2027-10-31", "2027-10-31T15:00:00Z", "2027-10-29T15:00:00Z");
    check("2027-11-01", "2027-11-01T15:00:00Z", "2027-10-30T15:00:00Z");
}

#[test]
fn cancellation_closes_at_check_in_time_on_the_arrival_day() {
    let h = hotel();
    let q = quote(&h, &request("deluxe-king", "2027-03-10", "2027-03-20", 2, 1), d("2027-03-01")).unwrap();
    let policy = h.cancellation();
    // 10 nights; the last moment to cancel is just before 15:00 local on arrival day (Lisbon, winter: 15:00Z).
    let last = policy.preview(&h, &q, at("2027-03-10T14:59:59Z")).unwrap();
    assert_eq!(last.penalty, q.nights[0].total);
    for after in ["2027-03-10T15:00:00Z", "2027-03-15T09:00:00Z", "2027-03-21T09:00:00Z"] {
        match policy.preview(&h, &q, at(after)) {
            Err(e @ DomainError::CancellationClosed { .. }) => assert_eq!(e.code(), "cancellation_closed", "{after}"),
            other => panic!("{after}: a stay that has begun cannot be cancelled for a refund, got {other:?}"),
        }
    }
}

#[test]
fn more_rooms_than_the_hotel_has_are_refused() {
    // The garden single is the hotel's only single room.
    let check = |room: &str, guests: u8, rooms: u8, code: &str| {
        let stay = request(room, "2027-03-01", "2027-03-03", guests, rooms);
        let got = quote(&hotel(), &stay, d("2027-02-01")).map(|_| "ok").unwrap_or_else(|e| e.code());
        assert_eq!(got, code, "{rooms} x {room}");
    };
    check("garden-single", 1, 1, "ok");
    check("garden-single", 2, 2, "too_many_rooms");
    check("family-suite", 5, 3, "ok");
    check("family-suite", 5, 4, "too_many_rooms");
}
