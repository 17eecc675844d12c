//! Payment intents: create, confirm, capture, cancel, retrieve, with Stripe's status machine:
//!
//! ```text
//! requires_payment_method ──confirm ok, manual──▶ requires_capture ──capture──▶ succeeded
//!        ▲   │                └─confirm ok, automatic──────────────────────────▶ succeeded
//!        └───┘ confirm declined (last_payment_error set)
//! requires_* ──cancel──▶ canceled
//! ```

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{Caller, Ctx, Event, Outcome, check_metadata};
use crate::api_error::ApiError;
use crate::cards;
use crate::form::Params;
use crate::ids;
use crate::model::{CaptureMethod, Intent, PaymentFailure, PaymentMethod, State, Status};

const CREATE_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "capture_method",
    "confirmation_method",
    "metadata",
    "description",
    "allowed_payment_method_types",
    "payment_method_types",
    "confirm",
    "payment_method",
    "payment_method_data",
    "receipt_email",
    "statement_descriptor_suffix",
    "expand",
    "return_url",
];
const CONFIRM_PARAMS: &[&str] = &[
    "payment_method",
    "payment_method_data",
    "client_secret",
    "key",
    "return_url",
    "expand",
    "use_stripe_sdk",
    "receipt_email",
    "capture_method",
];
const CAPTURE_PARAMS: &[&str] = &["amount_to_capture", "expand", "metadata", "statement_descriptor_suffix", "final_capture"];
const CANCEL_PARAMS: &[&str] = &["cancellation_reason", "expand"];
const RETRIEVE_PARAMS: &[&str] = &["client_secret", "key", "expand"];

/// From this API version on, Stripe refuses `payment_method_types` as an input.
const PAYMENT_METHOD_TYPES_REMOVED_IN: &str = "2026-08-26";
/// Stripe's per-charge ceiling (eight digits).
const MAX_AMOUNT: i64 = 99_999_999;

pub(crate) fn create(state: &mut State, p: &Params, ctx: &Ctx) -> Result<Outcome, ApiError> {
    p.check_known(CREATE_PARAMS)?;
    let amount = p.int("amount")?.ok_or_else(|| ApiError::missing_param("amount"))?;
    check_amount(amount, "amount")?;
    let currency = parse_currency(p.get("currency").ok_or_else(|| ApiError::missing_param("currency"))?)?;
    let capture_method = match p.get("capture_method") {
        None => CaptureMethod::AutomaticAsync,
        Some(value) => parse_capture_method(value)?,
    };
    if let Some(method) = p.get("confirmation_method")
        && !matches!(method, "automatic" | "manual")
    {
        return Err(ApiError::invalid(None, format!("Invalid confirmation_method: {method}")).with_param("confirmation_method"));
    }
    let payment_method_types = payment_method_types(p, ctx)?;
    let metadata = p.map("metadata");
    check_metadata(&metadata)?;
    let confirm = p.bool("confirm")?.unwrap_or(false);
    let payment_method = resolve_payment_method(p, None, ctx.now)?;

    let id = ids::new_id("pi");
    let mut intent = Intent {
        client_secret: ids::client_secret(&id),
        id,
        created: ctx.now,
        amount,
        currency,
        status: if payment_method.is_some() { Status::RequiresConfirmation } else { Status::RequiresPaymentMethod },
        capture_method,
        amount_capturable: 0,
        amount_received: 0,
        amount_refunded: 0,
        description: p.string("description"),
        metadata,
        payment_method_types,
        payment_method,
        latest_charge: None,
        last_payment_error: None,
        canceled_at: None,
        cancellation_reason: None,
        receipt_email: p.string("receipt_email"),
        authorized_at: None,
    };
    let mut events = vec![event(&intent, "payment_intent.created")];
    let (status, body) = if confirm {
        let payment_method = intent.payment_method.clone().ok_or_else(|| missing_payment_method(&intent))?;
        attempt_payment(&mut intent, payment_method, ctx.now, &mut events)
    } else {
        (StatusCode::OK, intent.to_json())
    };
    state.intents.insert(intent.id.clone(), intent);
    Ok(Outcome { status, body, events })
}

pub(crate) fn confirm(state: &mut State, id: &str, p: &Params, caller: Caller, ctx: &Ctx) -> Result<Outcome, ApiError> {
    p.check_known(CONFIRM_PARAMS)?;
    let intent = state.intents.get_mut(id).ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))?;
    check_client_secret(intent, p, caller)?;
    if !matches!(intent.status, Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction) {
        return Err(ApiError::unexpected_state(
            format!(
                "You cannot confirm this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the \
                 following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.",
                intent.status.as_str()
            ),
            intent.to_json(),
        ));
    }
    let capture_method = p.get("capture_method").map(parse_capture_method).transpose()?;
    let payment_method =
        resolve_payment_method(p, intent.payment_method.as_ref(), ctx.now)?.ok_or_else(|| missing_payment_method(intent))?;
    if let Some(capture_method) = capture_method {
        intent.capture_method = capture_method;
    }
    if let Some(email) = p.string("receipt_email") {
        intent.receipt_email = Some(email);
    }
    let mut events = Vec::new();
    let (status, body) = attempt_payment(intent, payment_method, ctx.now, &mut events);
    Ok(Outcome { status, body, events })
}

pub(crate) fn capture(state: &mut State, id: &str, p: &Params, _ctx: &Ctx) -> Result<Outcome, ApiError> {
    p.check_known(CAPTURE_PARAMS)?;
    let intent = state.intents.get_mut(id).ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))?;
    if intent.status != Status::RequiresCapture {
        return Err(ApiError::unexpected_state(
            format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of \
                 the following statuses may be captured: requires_capture.",
                intent.status.as_str()
            ),
            intent.to_json(),
        ));
    }
    let amount = p.int("amount_to_capture")?.unwrap_or(intent.amount_capturable);
    if amount < 1 {
        return Err(at_least_one("amount_to_capture"));
    }
    if amount > intent.amount_capturable {
        return Err(ApiError::invalid(
            Some("amount_too_large"),
            format!("The amount to capture ({amount}) is greater than the amount capturable ({}).", intent.amount_capturable),
        )
        .with_param("amount_to_capture"));
    }
    let metadata = merged_metadata(intent, p)?;
    intent.metadata = metadata;
    intent.status = Status::Succeeded;
    intent.amount_received = amount;
    intent.amount_capturable = 0;
    let events = vec![event(intent, "payment_intent.succeeded")];
    Ok(Outcome::ok(intent.to_json(), events))
}

pub(crate) fn cancel(state: &mut State, id: &str, p: &Params, ctx: &Ctx) -> Result<Outcome, ApiError> {
    p.check_known(CANCEL_PARAMS)?;
    let intent = state.intents.get_mut(id).ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))?;
    let cancellable = matches!(
        intent.status,
        Status::RequiresPaymentMethod
            | Status::RequiresCapture
            | Status::RequiresConfirmation
            | Status::RequiresAction
            | Status::Processing
    );
    if !cancellable {
        return Err(ApiError::unexpected_state(
            format!(
                "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the \
                 following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, \
                 requires_action, processing.",
                intent.status.as_str()
            ),
            intent.to_json(),
        ));
    }
    let reason = p.string("cancellation_reason");
    if let Some(reason) = &reason
        && !matches!(reason.as_str(), "duplicate" | "fraudulent" | "requested_by_customer" | "abandoned")
    {
        return Err(ApiError::invalid(None, format!("Invalid cancellation_reason: {reason}")).with_param("cancellation_reason"));
    }
    intent.status = Status::Canceled;
    intent.canceled_at = Some(ctx.now);
    intent.cancellation_reason = reason;
    intent.amount_capturable = 0;
    let events = vec![event(intent, "payment_intent.canceled")];
    Ok(Outcome::ok(intent.to_json(), events))
}

/// How long an uncaptured card authorization lasts before Stripe cancels it.
pub(crate) const AUTHORIZATION_LIFETIME_SECS: i64 = 7 * 24 * 60 * 60;

/// Cancels every authorization older than [`AUTHORIZATION_LIFETIME_SECS`], as Stripe does
/// (`cancellation_reason: automatic`), and returns the `payment_intent.canceled` events.
pub(crate) fn expire_authorizations(state: &mut State, now: i64) -> Vec<Event> {
    let mut events = Vec::new();
    for intent in state.intents.values_mut() {
        let expired = intent.authorized_at.is_some_and(|at| now >= at + AUTHORIZATION_LIFETIME_SECS);
        if intent.status == Status::RequiresCapture && expired {
            intent.status = Status::Canceled;
            intent.canceled_at = Some(now);
            intent.cancellation_reason = Some("automatic".into());
            intent.amount_capturable = 0;
            events.push(event(intent, "payment_intent.canceled"));
        }
    }
    events
}

pub(crate) fn retrieve(state: &State, id: &str, query: &Params, caller: Caller) -> Result<Value, ApiError> {
    query.check_known(RETRIEVE_PARAMS)?;
    let intent = state.intents.get(id).ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))?;
    check_client_secret(intent, query, caller)?;
    Ok(intent.to_json())
}

/// Charges the card: on approval the intent moves on (to requires_capture or succeeded); on a decline it goes
/// back to requires_payment_method with `last_payment_error`, and the answer is Stripe's 402 card_error.
fn attempt_payment(intent: &mut Intent, payment_method: PaymentMethod, now: i64, events: &mut Vec<Event>) -> (StatusCode, Value) {
    let charge = ids::new_id("ch");
    intent.latest_charge = Some(charge.clone());
    match payment_method.card.decline.clone() {
        None => {
            intent.payment_method = Some(payment_method);
            intent.last_payment_error = None;
            if intent.capture_method == CaptureMethod::Manual {
                intent.status = Status::RequiresCapture;
                intent.amount_capturable = intent.amount;
                intent.authorized_at = Some(now);
                events.push(event(intent, "payment_intent.amount_capturable_updated"));
            } else {
                intent.status = Status::Succeeded;
                intent.amount_received = intent.amount;
                events.push(event(intent, "payment_intent.succeeded"));
            }
            (StatusCode::OK, intent.to_json())
        }
        Some(decline) => {
            let failure = PaymentFailure { decline, charge, payment_method };
            let mut error = failure.to_json();
            intent.status = Status::RequiresPaymentMethod;
            intent.payment_method = None;
            intent.last_payment_error = Some(failure);
            events.push(event(intent, "payment_intent.payment_failed"));
            error["payment_intent"] = intent.to_json();
            (StatusCode::PAYMENT_REQUIRED, json!({ "error": error }))
        }
    }
}

/// `payment_method` (a test token such as `pm_card_visa`, or the intent's own) or `payment_method_data` (raw
/// card details); `None` when neither is given and the intent has none.
fn resolve_payment_method(p: &Params, existing: Option<&PaymentMethod>, now: i64) -> Result<Option<PaymentMethod>, ApiError> {
    let new = |card| PaymentMethod { id: ids::new_id("pm"), created: now, card };
    match (p.get("payment_method"), p.has("payment_method_data")) {
        (Some(_), true) => {
            Err(ApiError::invalid(None, "You may only specify one of these parameters: payment_method, payment_method_data."))
        }
        (Some(token), false) => match (cards::from_token(token, now), existing) {
            (Some(card), _) => Ok(Some(new(card))),
            (None, Some(existing)) if existing.id == token => Ok(Some(existing.clone())),
            (None, _) => Err(ApiError::no_such("PaymentMethod", token, "payment_method")),
        },
        (None, true) => match p.get("payment_method_data[type]") {
            Some("card") => Ok(Some(new(cards::from_params(p, now)?))),
            Some(other) => {
                Err(ApiError::invalid(None, format!("The payment method type {other:?} is not supported by the local Stripe server."))
                    .with_param("payment_method_data[type]"))
            }
            None => Err(ApiError::missing_param("payment_method_data[type]")),
        },
        (None, false) => Ok(existing.cloned()),
    }
}

/// The browser path: with the publishable key, the intent's client secret is the proof of access.
fn check_client_secret(intent: &Intent, p: &Params, caller: Caller) -> Result<(), ApiError> {
    match (p.get("client_secret"), caller) {
        (None, Caller::Secret) => Ok(()),
        (None, Caller::Publishable) => Err(ApiError::missing_param("client_secret")),
        (Some(given), _) if given == intent.client_secret => Ok(()),
        (Some(_), _) => Err(ApiError::invalid(
            None,
            "The client_secret provided does not match any associated PaymentIntent on this account. Ensure the publishable \
             key used belongs to the same account that created the PaymentIntent.",
        )
        .with_param("client_secret")),
    }
}

fn payment_method_types(p: &Params, ctx: &Ctx) -> Result<Vec<String>, ApiError> {
    if p.has("payment_method_types") {
        if let Some(version) = ctx.stripe_version.as_deref()
            && version >= PAYMENT_METHOD_TYPES_REMOVED_IN
        {
            return Err(ApiError::invalid(
                Some("payment_method_types_no_longer_supported"),
                format!("payment_method_types is not supported on API version {version}; use allowed_payment_method_types."),
            )
            .with_param("payment_method_types"));
        }
        if p.has("allowed_payment_method_types") {
            return Err(ApiError::invalid(None, "allowed_payment_method_types cannot be used together with payment_method_types.")
                .with_param("allowed_payment_method_types"));
        }
        if let Some(other) = p.list("payment_method_types").into_iter().find(|t| t != "card") {
            return Err(ApiError::invalid(
                Some("payment_intent_invalid_parameter"),
                format!("The payment method type {other:?} is invalid or not supported by the local Stripe server."),
            )
            .with_param("payment_method_types"));
        }
    } else if p.has("allowed_payment_method_types") && !p.list("allowed_payment_method_types").iter().any(|t| t == "card") {
        // Incompatible types are filtered out silently; only an empty result is an error.
        return Err(ApiError::invalid(None, "None of the allowed_payment_method_types can be used with this PaymentIntent.")
            .with_param("allowed_payment_method_types"));
    }
    Ok(vec!["card".to_owned()])
}

/// Stripe merges metadata on update; an empty value deletes the key.
fn merged_metadata(intent: &Intent, p: &Params) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    let mut metadata = intent.metadata.clone();
    for (key, value) in p.map("metadata") {
        if value.is_empty() {
            metadata.remove(&key);
        } else {
            metadata.insert(key, value);
        }
    }
    check_metadata(&metadata)?;
    Ok(metadata)
}

fn check_amount(amount: i64, param: &str) -> Result<(), ApiError> {
    if amount < 1 {
        return Err(ApiError::invalid(Some("amount_too_small"), "Amount must be at least 1 minor unit.").with_param(param));
    }
    if amount > MAX_AMOUNT {
        return Err(ApiError::invalid(Some("amount_too_large"), format!("Amount must be no more than {MAX_AMOUNT}.")).with_param(param));
    }
    Ok(())
}

fn at_least_one(param: &str) -> ApiError {
    ApiError::invalid(Some("parameter_invalid_integer"), "This value must be greater than or equal to 1.").with_param(param)
}

fn parse_currency(value: &str) -> Result<String, ApiError> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid(None, format!("Invalid currency: {value}.")).with_param("currency"))
    }
}

fn parse_capture_method(value: &str) -> Result<CaptureMethod, ApiError> {
    CaptureMethod::parse(value).ok_or_else(|| {
        ApiError::invalid(None, format!("Invalid capture_method: must be one of automatic, automatic_async, or manual (got {value})."))
            .with_param("capture_method")
    })
}

fn missing_payment_method(intent: &Intent) -> ApiError {
    ApiError::unexpected_state(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the \
         PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        intent.to_json(),
    )
}

pub(super) fn event(intent: &Intent, event_type: &'static str) -> Event {
    Event { key: intent.id.clone(), event_type, object: intent.to_json() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_478_400;

    fn ctx() -> Ctx {
        Ctx { now: NOW, stripe_version: Some("2026-09-30.endive".into()) }
    }

    fn params(s: &str) -> Params {
        Params::parse(s.as_bytes())
    }

    fn new_intent(state: &mut State, capture: &str) -> String {
        let outcome = create(state, &params(&format!("amount=5000&currency=EUR&capture_method={capture}")), &ctx()).unwrap();
        assert_eq!(outcome.body["currency"], "eur");
        outcome.body["id"].as_str().unwrap().to_owned()
    }

    fn status(state: &State, id: &str) -> Status {
        state.intents[id].status
    }

    fn event_types(outcome: &Outcome) -> Vec<&str> {
        outcome.events.iter().map(|e| e.event_type).collect()
    }

    #[test]
    fn manual_capture_walks_the_status_machine() {
        let mut state = State::default();
        let id = new_intent(&mut state, "manual");
        assert_eq!(status(&state, &id), Status::RequiresPaymentMethod);

        let confirmed = confirm(&mut state, &id, &params("payment_method=pm_card_visa"), Caller::Secret, &ctx()).unwrap();
        assert_eq!((confirmed.status, event_types(&confirmed)), (StatusCode::OK, vec!["payment_intent.amount_capturable_updated"]));
        assert_eq!(status(&state, &id), Status::RequiresCapture);
        assert_eq!(state.intents[&id].amount_capturable, 5000);

        let again = confirm(&mut state, &id, &params("payment_method=pm_card_visa"), Caller::Secret, &ctx()).unwrap_err();
        assert_eq!(again.body()["error"]["code"], "payment_intent_unexpected_state");

        let captured = capture(&mut state, &id, &params(""), &ctx()).unwrap();
        assert_eq!(event_types(&captured), vec!["payment_intent.succeeded"]);
        assert_eq!(
            (status(&state, &id), state.intents[&id].amount_received, state.intents[&id].amount_capturable),
            (Status::Succeeded, 5000, 0)
        );

        let err = capture(&mut state, &id, &params(""), &ctx()).unwrap_err();
        assert_eq!((err.status, err.body()["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("payment_intent_unexpected_state")));
        let err = cancel(&mut state, &id, &params(""), &ctx()).unwrap_err();
        assert_eq!(err.body()["error"]["code"], "payment_intent_unexpected_state");
    }

    #[test]
    fn automatic_capture_succeeds_at_once() {
        let mut state = State::default();
        let id = new_intent(&mut state, "automatic");
        let outcome = confirm(&mut state, &id, &params("payment_method=pm_card_mastercard"), Caller::Secret, &ctx()).unwrap();
        assert_eq!(event_types(&outcome), vec!["payment_intent.succeeded"]);
        assert_eq!(status(&state, &id), Status::Succeeded);
    }

    #[test]
    fn a_decline_returns_to_requires_payment_method() {
        let mut state = State::default();
        let id = new_intent(&mut state, "manual");
        let outcome =
            confirm(&mut state, &id, &params("payment_method=pm_card_chargeDeclinedInsufficientFunds"), Caller::Secret, &ctx()).unwrap();
        assert_eq!(outcome.status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(event_types(&outcome), vec!["payment_intent.payment_failed"]);
        let error = &outcome.body["error"];
        assert_eq!((error["type"].as_str(), error["decline_code"].as_str()), (Some("card_error"), Some("insufficient_funds")));
        assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
        assert_eq!(error["payment_intent"]["last_payment_error"]["message"], "Your card has insufficient funds.");
        assert_eq!(status(&state, &id), Status::RequiresPaymentMethod);
        // A second attempt with a good card works, and clears the error.
        confirm(&mut state, &id, &params("payment_method=pm_card_visa"), Caller::Secret, &ctx()).unwrap();
        assert_eq!(status(&state, &id), Status::RequiresCapture);
        assert!(state.intents[&id].last_payment_error.is_none());
        let cancelled = cancel(&mut state, &id, &params("cancellation_reason=abandoned"), &ctx()).unwrap();
        assert_eq!(event_types(&cancelled), vec!["payment_intent.canceled"]);
        assert_eq!((status(&state, &id), state.intents[&id].amount_capturable), (Status::Canceled, 0));
    }

    #[test]
    fn publishable_callers_need_the_client_secret() {
        let mut state = State::default();
        let id = new_intent(&mut state, "manual");
        let secret = state.intents[&id].client_secret.clone();
        let card = "payment_method_data[type]=card&payment_method_data[card][number]=4242424242424242\
                    &payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2030";
        let err = confirm(&mut state, &id, &params(card), Caller::Publishable, &ctx()).unwrap_err();
        assert_eq!(err.body()["error"]["param"], "client_secret");
        let err =
            confirm(&mut state, &id, &params(&format!("{card}&client_secret={id}_secret_wrong")), Caller::Publishable, &ctx()).unwrap_err();
        assert_eq!(err.body()["error"]["param"], "client_secret");
        assert_eq!(status(&state, &id), Status::RequiresPaymentMethod);
        confirm(&mut state, &id, &params(&format!("{card}&client_secret={secret}")), Caller::Publishable, &ctx()).unwrap();
        assert_eq!(status(&state, &id), Status::RequiresCapture);
        assert_eq!(state.intents[&id].payment_method.as_ref().unwrap().card.last4, "4242");
        assert!(retrieve(&state, &id, &params(""), Caller::Publishable).is_err());
        assert!(retrieve(&state, &id, &params(&format!("client_secret={secret}")), Caller::Publishable).is_ok());
    }

    #[test]
    fn create_validates_like_stripe() {
        let mut state = State::default();
        let check = |input: &str, code: Option<&str>, param: &str| {
            let err = create(&mut State::default(), &params(input), &ctx()).unwrap_err();
            assert_eq!(err.body()["error"]["code"].as_str(), code, "{input}");
            assert_eq!(err.body()["error"]["param"], param, "{input}");
        };
        check("currency=eur", Some("parameter_missing"), "amount");
        check("amount=100", Some("parameter_missing"), "currency");
        check("amount=0&currency=eur", Some("amount_too_small"), "amount");
        check("amount=100000000&currency=eur", Some("amount_too_large"), "amount");
        check("amount=ten&currency=eur", Some("parameter_invalid_integer"), "amount");
        check("amount=100&currency=euro", None, "currency");
        check("amount=100&currency=eur&capture_method=later", None, "capture_method");
        check("amount=100&currency=eur&colour=blue", Some("parameter_unknown"), "colour");
        check(
            "amount=100&currency=eur&payment_method_types[0]=card",
            Some("payment_method_types_no_longer_supported"),
            "payment_method_types",
        );
        check("amount=100&currency=eur&allowed_payment_method_types[0]=ideal", None, "allowed_payment_method_types");
        // Without a Stripe-Version header (an older client), the legacy parameter still works.
        let legacy = Ctx { now: NOW, stripe_version: None };
        assert!(create(&mut state, &params("amount=100&currency=eur&payment_method_types[0]=card"), &legacy).is_ok());
        let outcome = create(
            &mut state,
            &params("amount=100&currency=eur&allowed_payment_method_types[0]=card&allowed_payment_method_types[1]=ideal&metadata[booking_ref]=HB-1"),
            &ctx(),
        )
        .unwrap();
        assert_eq!(outcome.body["payment_method_types"], json!(["card"]));
        assert_eq!(outcome.body["metadata"], json!({"booking_ref": "HB-1"}));
        assert_eq!(outcome.body["capture_method"], "automatic_async");
        assert_eq!(state.intents.len(), 2, "failed creates must not store anything");
    }

    #[test]
    fn create_with_confirm_charges_immediately() {
        let mut state = State::default();
        let outcome = create(&mut state, &params("amount=100&currency=usd&confirm=true&payment_method=pm_card_visa"), &ctx()).unwrap();
        assert_eq!(event_types(&outcome), vec!["payment_intent.created", "payment_intent.succeeded"]);
        assert_eq!(outcome.body["status"], "succeeded");
        let err = create(&mut state, &params("amount=100&currency=usd&confirm=true"), &ctx()).unwrap_err();
        assert_eq!(err.body()["error"]["code"], "payment_intent_unexpected_state");
    }
}
