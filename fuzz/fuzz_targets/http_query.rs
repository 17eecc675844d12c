//! The `query` function through the local API Gateway: the catalogue, availability and the guest's own bookings.
//! Requests routed to another function are skipped; unrouted ones test the gateway's own answers.
#![no_main]

use booking_functions::FunctionName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| booking_fuzz::fuzz_http(FunctionName::Query, data));
