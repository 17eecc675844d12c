//! Stripe's webhook, below HTTP: the `Stripe-Signature` header's parser and check, then the event parser and
//! what the record function makes of an event. Input: the header on the first line, the payload after it.
//! A header of `$SIGN` (or `$SIGN-400`: seconds from now) is replaced by a genuine signature over the payload.
//!
//! Asserts, beyond not panicking: only a genuine signature within the tolerance verifies; a forged header never
//! does.
#![no_main]

use booking_stripe::signature::{DEFAULT_TOLERANCE_SECS, SignatureError, sign, verify};
use booking_stripe::webhook::{heard, parse_event};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz_endpoint_secret";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let (header, payload) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(header) = std::str::from_utf8(header) else { return };
    let genuine = header
        .strip_prefix("$SIGN")
        .map(|offset| if offset.is_empty() { Some(0) } else { offset.trim_start_matches('+').parse::<i64>().ok() });
    let result = match genuine {
        Some(Some(offset)) => {
            let header = sign(payload, SECRET, NOW.saturating_add(offset));
            let result = verify(payload, &header, SECRET, NOW, DEFAULT_TOLERANCE_SECS);
            let fresh = offset.unsigned_abs() <= DEFAULT_TOLERANCE_SECS.unsigned_abs();
            assert_eq!(result, if fresh { Ok(()) } else { Err(SignatureError::OutsideTolerance) }, "genuine signature, offset {offset}");
            result
        }
        Some(None) => return,
        None => {
            let result = verify(payload, header, SECRET, NOW, DEFAULT_TOLERANCE_SECS);
            assert!(result.is_err(), "a forged header verified: {header:?}");
            result
        }
    };
    let _ = result;
    if let Ok(event) = parse_event(payload) {
        let _ = heard(&event);
    }
});
