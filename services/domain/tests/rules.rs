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
    // Check-in 2027-03-10 15:00 at UTC+1 is 14:00Z; free until 48 h before: 2027-03-08T14:00Z.
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let policy = h.cancellation();
    let free = policy.preview(&h, &q, at("2027-03-08T14:00:00Z")).unwrap();
    assert_eq!(free.refund, q.total);
    assert_eq!(free.penalty.minor(), 0);
    assert_eq!(free.free_until, at("2027-03-08T14:00:00Z"));
    let late = policy.preview(&h, &q, at("2027-03-08T14:00:01Z")).unwrap();
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

#[test]
fn local_date_uses_the_hotel_offset() {
    let h = hotel();
    assert_eq!(h.local_date("2027-03-01T23:30:00Z".parse().unwrap()), d("2027-03-02"));
    assert_eq!(h.local_date("2027-03-01T22:59:00Z".parse().unwrap()), d("2027-03-01"));
}
