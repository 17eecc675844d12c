//! Stripe-shaped error responses: `{"error": {"type", "code", "message", "param", ...}}` with Stripe's statuses.
//!
//! The one place that decides the HTTP status of a failure, so the server's behaviour can be compared with
//! Stripe's documentation line by line.

use axum::http::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    message: String,
    param: Option<String>,
    /// The intent in its current state, which Stripe attaches to errors about an intent.
    payment_intent: Option<Value>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, code: Option<&'static str>, message: impl Into<String>) -> Self {
        ApiError { status, kind, code, message: message.into(), param: None, payment_intent: None }
    }

    pub(crate) fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub(crate) fn with_intent(mut self, intent: Value) -> Self {
        self.payment_intent = Some(intent);
        self
    }

    /// 400 invalid_request_error.
    pub(crate) fn invalid(code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", code, message)
    }

    pub(crate) fn missing_param(param: &str) -> Self {
        Self::invalid(Some("parameter_missing"), format!("Missing required param: {param}.")).with_param(param)
    }

    pub(crate) fn unknown_param(param: &str) -> Self {
        Self::invalid(Some("parameter_unknown"), format!("Received unknown parameter: {param}")).with_param(param)
    }

    /// 404 resource_missing, worded like Stripe ("No such payment_intent: 'pi_123'").
    pub(crate) fn no_such(object: &str, id: &str, param: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "invalid_request_error", Some("resource_missing"), format!("No such {object}: '{id}'"))
            .with_param(param)
    }

    pub(crate) fn unexpected_state(message: impl Into<String>, intent: Value) -> Self {
        Self::invalid(Some("payment_intent_unexpected_state"), message).with_intent(intent)
    }

    /// 402 card_error for card details Stripe refuses before any charge (bad number, expiry, CVC).
    pub(crate) fn card(code: &'static str, message: &str, param: &str) -> Self {
        Self::new(StatusCode::PAYMENT_REQUIRED, "card_error", Some(code), message).with_param(param)
    }

    /// 404 for a path the server does not implement.
    pub(crate) fn unrecognized_url(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "invalid_request_error", None, message)
    }

    /// 401, with no code, as Stripe answers authentication problems.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_request_error", None, message)
    }

    pub(crate) fn idempotency(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "idempotency_error", None, message)
    }

    /// 500 api_error; the detail goes to the log, not to the client.
    pub(crate) fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "api_error", None, "An unknown error occurred on the local Stripe server.")
    }

    pub(crate) fn body(&self) -> Value {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!("https://docs.stripe.com/error-codes/{}", code.replace('_', "-")));
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        if let Some(intent) = &self.payment_intent {
            error["payment_intent"] = intent.clone();
        }
        json!({ "error": error })
    }
}
