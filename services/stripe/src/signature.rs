//! Stripe's webhook signature scheme (`Stripe-Signature: t=<unix>,v1=<hex hmac>[,v1=...]`).
//!
//! Implemented here rather than through `stripe_webhook` so that the local Stripe server can produce exactly the
//! headers that production verification accepts, and so that verification does not depend on deserializing the
//! whole event with async-stripe's strict generated types.

use aws_lc_rs::hmac;

/// Stripe's own libraries refuse events older than five minutes: long enough for clock skew and slow delivery,
/// short enough that a captured request cannot be replayed later.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("malformed Stripe-Signature header")]
    Malformed,
    #[error("Stripe-Signature header has no v1 signature")]
    NoV1Signature,
    #[error("webhook timestamp is outside the tolerance window")]
    OutsideTolerance,
    #[error("no webhook signature matches the payload")]
    Mismatch,
}

/// The parts of the header we use; anything else (`v0`, future schemes) is ignored, as Stripe's libraries do.
struct ParsedHeader<'a> {
    timestamp_raw: &'a str,
    timestamp: i64,
    v1: Vec<&'a str>,
}

fn parse_header(header: &str) -> Result<ParsedHeader<'_>, SignatureError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let (key, value) = item.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                let parsed = value.parse::<i64>().map_err(|_| SignatureError::Malformed)?;
                if timestamp.replace((value, parsed)).is_some() {
                    return Err(SignatureError::Malformed);
                }
            }
            "v1" => v1.push(value),
            _ => {}
        }
    }
    let (timestamp_raw, timestamp) = timestamp.ok_or(SignatureError::Malformed)?;
    Ok(ParsedHeader { timestamp_raw, timestamp, v1 })
}

fn signed_payload(timestamp: &str, payload: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + 1 + payload.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(payload);
    message
}

/// Checks a `Stripe-Signature` header against the raw request body.
///
/// Every `v1` entry is tried because Stripe sends one per active endpoint secret while a secret is being rolled.
/// The comparison is constant-time (`hmac::verify`) so the response time leaks nothing about the expected value.
/// The signature is checked before the timestamp, so an attacker learns nothing about our clock from a forgery.
pub fn verify(payload: &[u8], header: &str, secret: &str, now_unix: i64, tolerance_secs: i64) -> Result<(), SignatureError> {
    let parsed = parse_header(header)?;
    if parsed.v1.is_empty() {
        return Err(SignatureError::NoV1Signature);
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let message = signed_payload(parsed.timestamp_raw, payload);
    let matches =
        parsed.v1.iter().filter_map(|candidate| hex::decode(candidate).ok()).any(|tag| hmac::verify(&key, &message, &tag).is_ok());
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if now_unix.abs_diff(parsed.timestamp) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

/// Builds a header value `t={timestamp},v1={hex}`, as Stripe sends it. Used by the local Stripe server and tests.
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, &signed_payload(&timestamp.to_string(), payload));
    format!("t={timestamp},v1={}", hex::encode(tag.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","object":"event"}"#;
    const NOW: i64 = 1_700_000_000;

    fn check(header: &str, payload: &[u8], secret: &str, expected: Result<(), SignatureError>) {
        assert_eq!(verify(payload, header, secret, NOW, DEFAULT_TOLERANCE_SECS), expected, "header {header:?}");
    }

    fn v1_of(header: &str) -> &str {
        header.split_once("v1=").map(|(_, v)| v).unwrap_or_default()
    }

    #[test]
    fn accepts_what_sign_produces() {
        check(&sign(PAYLOAD, SECRET, NOW), PAYLOAD, SECRET, Ok(()));
        // Within tolerance on both sides.
        check(&sign(PAYLOAD, SECRET, NOW - 300), PAYLOAD, SECRET, Ok(()));
        check(&sign(PAYLOAD, SECRET, NOW + 300), PAYLOAD, SECRET, Ok(()));
    }

    #[test]
    fn matches_stripes_published_construction() {
        // HMAC-SHA256("whsec_test_secret", "1700000000.{payload}"), computed independently with openssl.
        assert_eq!(sign(PAYLOAD, SECRET, NOW), "t=1700000000,v1=0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd");
    }

    #[test]
    fn rejects_bad_input_with_the_right_reason() {
        let good = sign(PAYLOAD, SECRET, NOW);
        check(&good, br#"{"id":"evt_2","object":"event"}"#, SECRET, Err(SignatureError::Mismatch));
        check(&good, PAYLOAD, "whsec_other", Err(SignatureError::Mismatch));
        check(&sign(PAYLOAD, SECRET, NOW - 301), PAYLOAD, SECRET, Err(SignatureError::OutsideTolerance));
        check(&sign(PAYLOAD, SECRET, NOW + 301), PAYLOAD, SECRET, Err(SignatureError::OutsideTolerance));
        check(&format!("t={NOW},v0={}", v1_of(&good)), PAYLOAD, SECRET, Err(SignatureError::NoV1Signature));
        check(&format!("t={NOW}"), PAYLOAD, SECRET, Err(SignatureError::NoV1Signature));
        check(&format!("v1={}", v1_of(&good)), PAYLOAD, SECRET, Err(SignatureError::Malformed));
        check(&format!("t=yesterday,v1={}", v1_of(&good)), PAYLOAD, SECRET, Err(SignatureError::Malformed));
        check(&format!("t={NOW},t={NOW},v1={}", v1_of(&good)), PAYLOAD, SECRET, Err(SignatureError::Malformed));
        check("garbage", PAYLOAD, SECRET, Err(SignatureError::Malformed));
        check("", PAYLOAD, SECRET, Err(SignatureError::Malformed));
        check(&format!("t={NOW},v1=not-hex"), PAYLOAD, SECRET, Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_v1_entry_may_match_during_secret_rotation() {
        let old = sign(PAYLOAD, "whsec_old", NOW);
        let new = sign(PAYLOAD, SECRET, NOW);
        let header = format!("t={NOW},v1={},v1={}", v1_of(&old), v1_of(&new));
        check(&header, PAYLOAD, SECRET, Ok(()));
        check(&header, PAYLOAD, "whsec_old", Ok(()));
        check(&header, PAYLOAD, "whsec_neither", Err(SignatureError::Mismatch));
        // Spaces after commas, as some proxies rewrite headers.
        check(&format!("t={NOW}, v1={}", v1_of(&new)), PAYLOAD, SECRET, Ok(()));
    }
}
