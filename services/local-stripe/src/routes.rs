//! The HTTP face: authentication, idempotency, persistence and webhook hand-off around the operations in `ops`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::LocalStripe;
use crate::api_error::ApiError;
use crate::form::Params;
use crate::ids;
use crate::model::{IdempotencyRecord, State as Data};
use crate::ops::{self, Caller, Ctx, Outcome};
use crate::store;

/// Stripe keeps idempotency records for at least 24 hours.
const IDEMPOTENCY_TTL_SECS: i64 = 24 * 60 * 60;

pub(crate) fn router(app: LocalStripe) -> Router {
    Router::new()
        .route("/v1/payment_intents", post(create_intent))
        .route("/v1/payment_intents/{id}", get(retrieve_intent))
        .route("/v1/payment_intents/{id}/confirm", post(confirm_intent))
        .route("/v1/payment_intents/{id}/capture", post(capture_intent))
        .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
        .route("/v1/refunds", post(create_refund))
        .route("/v1/refunds/{id}", get(retrieve_refund))
        .fallback(unknown_route)
        .with_state(app)
}

async fn create_intent(State(app): State<LocalStripe>, headers: HeaderMap, body: Bytes) -> Response {
    let endpoint = "POST /v1/payment_intents".to_owned();
    mutate(&app, &headers, &body, endpoint, Access::SecretKey, |data, p, _, ctx| ops::create(data, p, ctx)).await
}

async fn confirm_intent(State(app): State<LocalStripe>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let endpoint = format!("POST /v1/payment_intents/{id}/confirm");
    mutate(&app, &headers, &body, endpoint, Access::ClientSecret, |data, p, caller, ctx| ops::confirm(data, &id, p, caller, ctx)).await
}

async fn capture_intent(State(app): State<LocalStripe>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let endpoint = format!("POST /v1/payment_intents/{id}/capture");
    mutate(&app, &headers, &body, endpoint, Access::SecretKey, |data, p, _, ctx| ops::capture(data, &id, p, ctx)).await
}

async fn cancel_intent(State(app): State<LocalStripe>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let endpoint = format!("POST /v1/payment_intents/{id}/cancel");
    mutate(&app, &headers, &body, endpoint, Access::SecretKey, |data, p, _, ctx| ops::cancel(data, &id, p, ctx)).await
}

async fn create_refund(State(app): State<LocalStripe>, headers: HeaderMap, body: Bytes) -> Response {
    let endpoint = "POST /v1/refunds".to_owned();
    mutate(&app, &headers, &body, endpoint, Access::SecretKey, |data, p, _, ctx| ops::create_refund(data, p, ctx)).await
}

async fn retrieve_intent(
    State(app): State<LocalStripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&app, &headers, query, Access::ClientSecret, |data, q, caller| ops::retrieve(data, &id, q, caller)).await
}

async fn retrieve_refund(
    State(app): State<LocalStripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&app, &headers, query, Access::SecretKey, |data, q, _| ops::retrieve_refund(data, &id, q)).await
}

async fn unknown_route(method: Method, uri: Uri) -> Response {
    let error = ApiError::unrecognized_url(format!(
        "Unrecognized request URL ({method}: {}). The local Stripe server implements payment intents and refunds only.",
        uri.path()
    ));
    error_response(&error, &ids::new_id("req"))
}

/// Which keys may call an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    SecretKey,
    /// Also the publishable key, which the operation then checks against the intent's client secret.
    ClientSecret,
}

async fn read<F>(app: &LocalStripe, headers: &HeaderMap, query: Option<String>, access: Access, op: F) -> Response
where
    F: FnOnce(&Data, &Params, Caller) -> Result<serde_json::Value, ApiError>,
{
    let request_id = ids::new_id("req");
    let query = Params::parse(query.unwrap_or_default().as_bytes());
    let caller = match authorize(app, headers, query.get("key"), access) {
        Ok(caller) => caller,
        Err(error) => return error_response(&error, &request_id),
    };
    let now = app.inner.config.clock.now();
    let mut data = app.inner.state.lock().await;
    expire_authorizations(app, &mut data, now, &request_id).await;
    match op(&data, &query, caller) {
        Ok(mut body) => {
            expand(&data, &mut body, &query, now);
            json_response(StatusCode::OK, body.to_string(), &request_id, false)
        }
        Err(error) => error_response(&error, &request_id),
    }
}

/// Stripe cancels an uncaptured authorization on its own after seven days; here that happens at the next
/// request after the deadline (the clock may have been moved), with the same `payment_intent.canceled` event.
async fn expire_authorizations(app: &LocalStripe, data: &mut Data, now: i64, request_id: &str) {
    let events = ops::expire_authorizations(data, now);
    if events.is_empty() {
        return;
    }
    if let Err(error) = store::save(&app.inner.state_path, data).await {
        tracing::error!(%error, "cannot persist the local Stripe state");
    }
    for event in events {
        app.inner.webhooks.enqueue(event, request_id, None, now);
    }
}

/// `expand[]=latest_charge`: the charge object in place of its id, as Stripe renders it.
fn expand(data: &Data, body: &mut serde_json::Value, params: &Params, now: i64) {
    if body["object"] != "payment_intent" || !params.list("expand").iter().any(|e| e == "latest_charge") {
        return;
    }
    let Some(intent) = body["id"].as_str().and_then(|id| data.intents.get(id)) else { return };
    if intent.latest_charge.is_some() {
        body["latest_charge"] = intent.charge_json(now);
    }
}

/// Runs a state-changing operation under the state lock: idempotency check, operation, idempotency record,
/// persistence, then webhooks, in that order, so that a replay never acts twice and events follow the saved state.
async fn mutate<F>(app: &LocalStripe, headers: &HeaderMap, body: &[u8], endpoint: String, access: Access, op: F) -> Response
where
    F: FnOnce(&mut Data, &Params, Caller, &Ctx) -> Result<Outcome, ApiError>,
{
    let request_id = ids::new_id("req");
    let params = Params::parse(body);
    let caller = match authorize(app, headers, params.get("key"), access) {
        Ok(caller) => caller,
        Err(error) => return error_response(&error, &request_id),
    };
    let idempotency_key = match idempotency_key(headers) {
        Ok(key) => key,
        Err(error) => return error_response(&error, &request_id),
    };
    let ctx = Ctx {
        now: app.inner.config.clock.now(),
        stripe_version: headers.get("stripe-version").and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    let fingerprint = params.fingerprint();

    let mut data = app.inner.state.lock().await;
    expire_authorizations(app, &mut data, ctx.now, &request_id).await;
    // Stripe forgets a key after 24 hours: a retry after that runs again (and meets the status machine).
    if let Some(key) = &idempotency_key
        && let Some(record) = data.idempotency.get(key).filter(|r| ctx.now - r.created < IDEMPOTENCY_TTL_SECS)
    {
        return match replay(record, key, &endpoint, &fingerprint) {
            Ok(()) => json_response(StatusCode::from_u16(record.status).unwrap_or(StatusCode::OK), record.body.clone(), &request_id, true),
            Err(error) => error_response(&error, &request_id),
        };
    }
    let mut outcome = match op(&mut data, &params, caller, &ctx) {
        Ok(outcome) => outcome,
        Err(error) => return error_response(&error, &request_id),
    };
    expand(&data, &mut outcome.body, &params, ctx.now);
    let body = outcome.body.to_string();
    if let Some(key) = &idempotency_key {
        data.idempotency.retain(|_, r| ctx.now - r.created < IDEMPOTENCY_TTL_SECS);
        let record = IdempotencyRecord { endpoint, fingerprint, status: outcome.status.as_u16(), body: body.clone(), created: ctx.now };
        data.idempotency.insert(key.clone(), record);
    }
    let saved = store::save(&app.inner.state_path, &data).await;
    for event in outcome.events {
        app.inner.webhooks.enqueue(event, &request_id, idempotency_key.as_deref(), ctx.now);
    }
    drop(data);
    if let Err(error) = saved {
        // The change stands in memory and the idempotency record replays it; only the file is behind.
        tracing::error!(%error, "cannot persist the local Stripe state");
        return error_response(&ApiError::internal(), &request_id);
    }
    json_response(outcome.status, body, &request_id, false)
}

fn replay(record: &IdempotencyRecord, key: &str, endpoint: &str, fingerprint: &str) -> Result<(), ApiError> {
    if record.endpoint != endpoint {
        return Err(ApiError::idempotency(format!(
            "Keys for idempotent requests can only be used for the same endpoint they were first used for ('{}' vs '{endpoint}'). \
             Try using a key other than '{key}' if you meant to execute a different request.",
            record.endpoint
        )));
    }
    if record.fingerprint != fingerprint {
        return Err(ApiError::idempotency(format!(
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a \
             key other than '{key}' if you meant to execute a different request."
        )));
    }
    Ok(())
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key").map(HeaderValue::to_str) {
        None => Ok(None),
        Some(Ok(key)) if !key.is_empty() && key.len() <= 255 => Ok(Some(key.to_owned())),
        Some(_) => Err(ApiError::invalid(None, "Idempotency-Key must be 1 to 255 visible ASCII characters.")),
    }
}

/// `Authorization: Bearer <key>`, or for browsers a `key` parameter holding the publishable key (as Stripe.js
/// sends it).
fn authorize(app: &LocalStripe, headers: &HeaderMap, param_key: Option<&str>, access: Access) -> Result<Caller, ApiError> {
    let config = &app.inner.config;
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let caller = match bearer.or(param_key) {
        None => {
            return Err(ApiError::unauthorized(
                "You did not provide an API key. You need to provide your API key in the Authorization header, using \
                 Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            ));
        }
        Some(key) if key == config.secret_key => Caller::Secret,
        Some(key) if key == config.publishable_key => Caller::Publishable,
        Some(key) => return Err(ApiError::unauthorized(format!("Invalid API Key provided: {}", mask(key)))),
    };
    if caller == Caller::Publishable && access == Access::SecretKey {
        return Err(ApiError::unauthorized("This API call cannot be made with a publishable API key. Please use a secret API key."));
    }
    Ok(caller)
}

/// `sk_test_****************abcd`, as Stripe echoes a wrong key: enough to spot a typo, not enough to use.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 12))
}

/// Every answer allows any origin, as api.stripe.com does, so a page can read the result of its own confirm (a
/// form-encoded POST with the `key` field is a "simple" request and needs no preflight).
fn json_response(status: StatusCode, body: String, request_id: &str, replayed: bool) -> Response {
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")];
    let mut response = (status, headers, body).into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", value);
    }
    if replayed {
        response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn error_response(error: &ApiError, request_id: &str) -> Response {
    json_response(error.status, error.body().to_string(), request_id, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keys_like_stripe() {
        assert_eq!(mask("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(mask("short"), "*****");
    }
}
