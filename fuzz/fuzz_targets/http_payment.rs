//! The `payment` function through the local API Gateway: creating and cancelling a booking (`POST /api/bookings`, `POST /api/bookings/{reference}/cancel`).
//! Requests routed to another function are skipped; unrouted ones test the gateway's own answers.
#![no_main]

use booking_functions::FunctionName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| booking_fuzz::fuzz_http(FunctionName::Payment, data));
