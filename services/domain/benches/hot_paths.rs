//! The domain's hot paths under criterion (`cargo xtask bench api` runs them and copies the estimates into its
//! report): a 30-night quote, and the availability page's domain work for 30 nights × 20 room types (each room
//! type's tightest night and its quote). The floor is the same loop reading the night counts without pricing.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::hint::black_box;

use booking_domain::{DEMO_CATALOG_JSON, Hotel, NightCount, RoomTypeId, StayDates, StayRequest, available_rooms, quote};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

const NIGHTS: u64 = 30;
const ROOM_TYPES: usize = 20;

/// The demo hotel with 20 room types (copies of its four) that each allow a 30-night stay.
fn hotel() -> Hotel {
    let mut catalog: serde_json::Value = serde_json::from_str(DEMO_CATALOG_JSON).unwrap();
    let originals = catalog["room_types"].as_array().unwrap().clone();
    let room_types: Vec<serde_json::Value> = (0..ROOM_TYPES)
        .map(|i| {
            let mut room = originals[i % originals.len()].clone();
            room["id"] = format!("room-type-{i}").into();
            room["rate"]["max_nights"] = NIGHTS.into();
            room["rate"]["min_nights"] = 1.into();
            room
        })
        .collect();
    catalog["room_types"] = room_types.into();
    Hotel::from_json(&catalog.to_string()).unwrap()
}

fn today() -> NaiveDate {
    "2030-01-01".parse().unwrap()
}

fn stay() -> StayDates {
    let check_in: NaiveDate = "2030-06-15".parse().unwrap();
    StayDates::new(check_in, check_in + chrono::Days::new(NIGHTS)).unwrap()
}

fn counts(stay: StayDates, capacity: u32) -> Vec<NightCount> {
    stay.each_night().enumerate().map(|(i, date)| NightCount { date, capacity, taken: (i as u32) % (capacity + 1) }).collect()
}

fn hot_paths(c: &mut Criterion) {
    let hotel = hotel();
    let stay = stay();
    let request = StayRequest { room_type: RoomTypeId::parse("room-type-0").unwrap(), stay, guests: 2, rooms: 1 };
    c.bench_function("quote_30_nights", |b| b.iter(|| quote(black_box(&hotel), black_box(&request), today()).unwrap()));

    let per_room: Vec<(StayRequest, Vec<NightCount>)> = hotel
        .room_types()
        .iter()
        .map(|room| (StayRequest { room_type: room.id.clone(), stay, guests: 2, rooms: 1 }, counts(stay, room.inventory)))
        .collect();
    c.bench_function("availability_30_nights_20_room_types", |b| {
        b.iter(|| {
            per_room
                .iter()
                .map(|(request, counts)| {
                    let free = available_rooms(black_box(counts));
                    let sold_out = counts.iter().filter(|c| c.available() < u32::from(request.rooms)).count();
                    (free, sold_out, quote(&hotel, request, today()).map(|q| q.total))
                })
                .collect::<Vec<_>>()
        })
    });
    c.bench_function("floor_night_counts_20_room_types", |b| {
        b.iter(|| per_room.iter().map(|(_, counts)| available_rooms(black_box(counts))).collect::<Vec<_>>())
    });
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
