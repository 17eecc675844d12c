//! The `record` function through the local API Gateway: Stripe's webhook (`POST /api/webhooks/stripe`), with `$SIGN` standing for a valid signature over the fuzzed body.
//! Requests routed to another function are skipped; unrouted ones test the gateway's own answers.
#![no_main]

use booking_functions::FunctionName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| booking_fuzz::fuzz_http(FunctionName::Record, data));
