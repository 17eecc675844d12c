//! The catalogue JSON loader (`Hotel::from_json`, what `HOTEL_CATALOG_PATH` is read with), and the room list
//! the API serves from what it loaded. Asserts, beyond not panicking: a loaded catalogue lists as valid JSON.
#![no_main]

use booking_domain::Hotel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(hotel) = Hotel::from_json(text) {
        let rooms = booking_app::list_rooms(&hotel);
        let listed = serde_json::to_value(&rooms);
        assert!(listed.is_ok(), "a loaded catalogue does not list: {listed:?}");
    }
});
