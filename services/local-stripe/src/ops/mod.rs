//! The API's operations as plain functions over `State`: no HTTP, no I/O, so the state machine is testable
//! directly and the HTTP layer stays a thin adapter.
//!
//! An operation either fails without touching the state (`Err(ApiError)`), or changes it and says what to answer
//! and which events to send (`Outcome`). A card decline is an `Outcome` with status 402: the intent does change.

mod intents;
mod refunds;

use axum::http::StatusCode;
use serde_json::Value;

pub(crate) use intents::{cancel, capture, confirm, create, expire_authorizations, retrieve};
pub(crate) use refunds::{create_refund, retrieve_refund};

/// Who is calling: the secret key can do everything; the publishable key (a browser) can only confirm and read an
/// intent whose client secret it presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    Secret,
    Publishable,
}

/// Request-wide facts an operation may need.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub now: i64,
    /// The `Stripe-Version` header, when the client sent one.
    pub stripe_version: Option<String>,
}

/// A webhook to send. `key` orders delivery: events with the same key arrive in the order they were produced.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub key: String,
    pub event_type: &'static str,
    pub object: Value,
}

#[derive(Debug)]
pub(crate) struct Outcome {
    pub status: StatusCode,
    pub body: Value,
    pub events: Vec<Event>,
}

impl Outcome {
    fn ok(body: Value, events: Vec<Event>) -> Self {
        Outcome { status: StatusCode::OK, body, events }
    }
}

/// Metadata limits from Stripe's documentation; checked so code that works here does not fail in production.
fn check_metadata(metadata: &std::collections::BTreeMap<String, String>) -> Result<(), crate::api_error::ApiError> {
    use crate::api_error::ApiError;
    if metadata.len() > 50 {
        return Err(ApiError::invalid(None, "You can specify up to 50 keys in metadata.").with_param("metadata"));
    }
    for (key, value) in metadata {
        if key.chars().count() > 40 {
            return Err(ApiError::invalid(None, "Metadata keys can be up to 40 characters long.").with_param(format!("metadata[{key}]")));
        }
        if value.chars().count() > 500 {
            return Err(ApiError::invalid(None, "Metadata values can be up to 500 characters long.").with_param(format!("metadata[{key}]")));
        }
    }
    Ok(())
}
