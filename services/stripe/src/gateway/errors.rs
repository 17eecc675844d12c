//! How Stripe's errors become `PaymentError`s: the one place that decides what is retryable.

use booking_ports::PaymentError;
use stripe::{ApiErrorsCode, ApiErrorsType, StripeError};

/// Maps a failed call. `subject` names what the call was about (an intent id, a booking reference) for `NotFound`.
///
/// Messages are built from Stripe's `message` only: the error's `Debug` form can hold the whole payment intent,
/// client secret included, and must never reach a log.
pub(crate) fn map_error(err: StripeError, subject: &str) -> PaymentError {
    match err {
        StripeError::Stripe(api, status) => classify(status, &api.type_, api.code.as_ref(), api.message.as_deref(), subject),
        StripeError::ClientError(msg) => PaymentError::Unavailable(format!("network error: {msg}")),
        StripeError::Timeout => PaymentError::Unavailable("request to Stripe timed out".into()),
        // A 5xx from a proxy (HTML body) lands here too; the idempotency key makes a retry safe.
        StripeError::JSONDeserialize(msg) => PaymentError::Unavailable(format!("unreadable Stripe response: {msg}")),
        StripeError::ConfigError(msg) => PaymentError::Rejected(format!("client configuration: {msg}")),
    }
}

pub(crate) fn classify(
    status: u16,
    kind: &ApiErrorsType,
    code: Option<&ApiErrorsCode>,
    message: Option<&str>,
    subject: &str,
) -> PaymentError {
    let text = || {
        let message = message.unwrap_or("no message");
        match code {
            Some(code) => format!("{code}: {message}"),
            None => message.to_owned(),
        }
    };
    if matches!(kind, ApiErrorsType::CardError) {
        return PaymentError::Declined(message.unwrap_or("card declined").to_owned());
    }
    if status == 404 || matches!(code, Some(ApiErrorsCode::ResourceMissing)) {
        return PaymentError::NotFound(subject.to_owned());
    }
    if matches!(code, Some(ApiErrorsCode::PaymentIntentUnexpectedState | ApiErrorsCode::ChargeAlreadyRefunded)) {
        return PaymentError::InvalidState(text());
    }
    match status {
        // 409: a concurrent request with the same idempotency key; 429: rate limited. Both are transient.
        409 | 429 => PaymentError::Unavailable(text()),
        400..=499 => PaymentError::Rejected(text()),
        _ => PaymentError::Unavailable(text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: u16, kind: ApiErrorsType, code: Option<ApiErrorsCode>, expected: PaymentError) {
        assert_eq!(classify(status, &kind, code.as_ref(), Some("msg"), "pi_1"), expected, "{status} {kind} {code:?}");
    }

    #[test]
    fn maps_stripe_errors_onto_payment_errors() {
        use ApiErrorsCode as C;
        use ApiErrorsType as T;
        check(402, T::CardError, Some(C::CardDeclined), PaymentError::Declined("msg".into()));
        check(402, T::CardError, Some(C::ExpiredCard), PaymentError::Declined("msg".into()));
        check(404, T::InvalidRequestError, Some(C::ResourceMissing), PaymentError::NotFound("pi_1".into()));
        check(400, T::InvalidRequestError, Some(C::ResourceMissing), PaymentError::NotFound("pi_1".into()));
        check(
            400,
            T::InvalidRequestError,
            Some(C::PaymentIntentUnexpectedState),
            PaymentError::InvalidState("payment_intent_unexpected_state: msg".into()),
        );
        check(
            400,
            T::InvalidRequestError,
            Some(C::ChargeAlreadyRefunded),
            PaymentError::InvalidState("charge_already_refunded: msg".into()),
        );
        check(400, T::InvalidRequestError, Some(C::ParameterMissing), PaymentError::Rejected("parameter_missing: msg".into()));
        check(400, T::IdempotencyError, None, PaymentError::Rejected("msg".into()));
        check(401, T::InvalidRequestError, None, PaymentError::Rejected("msg".into()));
        check(409, T::InvalidRequestError, Some(C::IdempotencyKeyInUse), PaymentError::Unavailable("idempotency_key_in_use: msg".into()));
        check(429, T::InvalidRequestError, Some(C::RateLimit), PaymentError::Unavailable("rate_limit: msg".into()));
        check(500, T::ApiError, None, PaymentError::Unavailable("msg".into()));
        check(503, T::ApiError, None, PaymentError::Unavailable("msg".into()));
    }

    #[test]
    fn transport_failures_are_retryable() {
        for err in [StripeError::ClientError("connection refused".into()), StripeError::Timeout, StripeError::JSONDeserialize("x".into())] {
            assert!(matches!(map_error(err, "pi_1"), PaymentError::Unavailable(_)));
        }
        assert!(matches!(map_error(StripeError::ConfigError("bad".into()), "pi_1"), PaymentError::Rejected(_)));
    }
}
