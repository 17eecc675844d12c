//! Refunds of captured payments: partial or whole, never more than was captured and not yet refunded.

use serde_json::Value;

use super::{Ctx, Event, Outcome, check_metadata};
use crate::api_error::ApiError;
use crate::form::Params;
use crate::ids;
use crate::model::{Refund, State, Status};

const REFUND_PARAMS: &[&str] = &["payment_intent", "charge", "amount", "reason", "metadata", "expand"];

pub(crate) fn create_refund(state: &mut State, p: &Params, ctx: &Ctx) -> Result<Outcome, ApiError> {
    p.check_known(REFUND_PARAMS)?;
    let intent_id = match (p.get("payment_intent"), p.get("charge")) {
        (Some(intent), _) => intent.to_owned(),
        (None, Some(charge)) => state
            .intents
            .values()
            .find(|i| i.latest_charge.as_deref() == Some(charge))
            .map(|i| i.id.clone())
            .ok_or_else(|| ApiError::no_such("charge", charge, "charge"))?,
        (None, None) => {
            return Err(ApiError::invalid(
                Some("parameter_missing"),
                "One of the following params should be provided for this request: payment_intent or charge.",
            ));
        }
    };
    let reason = p.string("reason");
    if let Some(reason) = &reason
        && !matches!(reason.as_str(), "duplicate" | "fraudulent" | "requested_by_customer")
    {
        return Err(ApiError::invalid(None, format!("Invalid reason: {reason}")).with_param("reason"));
    }
    let metadata = p.map("metadata");
    check_metadata(&metadata)?;
    let requested = p.int("amount")?;

    let intent = state.intents.get_mut(&intent_id).ok_or_else(|| ApiError::no_such("payment_intent", &intent_id, "payment_intent"))?;
    if intent.status != Status::Succeeded {
        return Err(ApiError::unexpected_state(
            format!(
                "This PaymentIntent ({}) does not have a successful charge to refund (its status is {}).",
                intent.id,
                intent.status.as_str()
            ),
            intent.to_json(),
        ));
    }
    let refundable = intent.amount_received - intent.amount_refunded;
    if refundable <= 0 {
        return Err(ApiError::invalid(
            Some("charge_already_refunded"),
            format!("Charge {} has already been refunded.", intent.latest_charge.as_deref().unwrap_or_default()),
        ));
    }
    let amount = requested.unwrap_or(refundable);
    if amount < 1 {
        return Err(
            ApiError::invalid(Some("parameter_invalid_integer"), "This value must be greater than or equal to 1.").with_param("amount")
        );
    }
    if amount > refundable {
        return Err(ApiError::invalid(
            Some("amount_too_large"),
            format!(
                "Refund amount ({amount} {currency}) is greater than unrefunded amount on charge ({refundable} {currency})",
                currency = intent.currency
            ),
        )
        .with_param("amount"));
    }

    intent.amount_refunded += amount;
    let refund = Refund {
        id: ids::new_id("re"),
        created: ctx.now,
        amount,
        currency: intent.currency.clone(),
        payment_intent: intent.id.clone(),
        charge: intent.latest_charge.clone(),
        reason,
        metadata,
    };
    let body = refund.to_json();
    let events = vec![
        Event { key: intent.id.clone(), event_type: "charge.refunded", object: intent.charge_json(ctx.now) },
        Event { key: intent.id.clone(), event_type: "refund.created", object: body.clone() },
    ];
    state.refunds.insert(refund.id.clone(), refund);
    Ok(Outcome::ok(body, events))
}

pub(crate) fn retrieve_refund(state: &State, id: &str, query: &Params) -> Result<Value, ApiError> {
    query.check_known(&["expand"])?;
    state.refunds.get(id).map(Refund::to_json).ok_or_else(|| ApiError::no_such("refund", id, "id"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ops::{Caller, capture, confirm, create};

    fn ctx() -> Ctx {
        Ctx { now: 1_795_478_400, stripe_version: None }
    }

    fn params(s: &str) -> Params {
        Params::parse(s.as_bytes())
    }

    fn captured_intent(state: &mut State, amount: i64) -> String {
        let created = create(state, &params(&format!("amount={amount}&currency=eur&capture_method=manual")), &ctx()).unwrap();
        let id = created.body["id"].as_str().unwrap().to_owned();
        confirm(state, &id, &params("payment_method=pm_card_visa"), Caller::Secret, &ctx()).unwrap();
        capture(state, &id, &params("amount_to_capture=8000"), &ctx()).unwrap();
        id
    }

    fn error_code(result: Result<Outcome, ApiError>) -> String {
        result.unwrap_err().body()["error"]["code"].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn refunds_never_exceed_what_was_captured() {
        let mut state = State::default();
        let id = captured_intent(&mut state, 10_000);
        assert_eq!(state.intents[&id].amount_received, 8000);

        let first =
            create_refund(&mut state, &params(&format!("payment_intent={id}&amount=3000&reason=requested_by_customer")), &ctx()).unwrap();
        assert_eq!((first.body["object"].as_str(), first.body["amount"].as_i64()), (Some("refund"), Some(3000)));
        let types: Vec<_> = first.events.iter().map(|e| e.event_type).collect();
        assert_eq!(types, vec!["charge.refunded", "refund.created"]);
        assert_eq!(first.events[0].object["amount_refunded"], 3000);
        assert_eq!(first.events[0].object["refunded"], false);

        assert_eq!(error_code(create_refund(&mut state, &params(&format!("payment_intent={id}&amount=5001")), &ctx())), "amount_too_large");
        let charge = state.intents[&id].latest_charge.clone().unwrap();
        // The rest, found through the charge, with no amount: refunds what is left.
        let rest = create_refund(&mut state, &params(&format!("charge={charge}")), &ctx()).unwrap();
        assert_eq!(rest.body["amount"], 5000);
        assert_eq!(rest.events[0].object["refunded"], true);
        assert_eq!(error_code(create_refund(&mut state, &params(&format!("payment_intent={id}")), &ctx())), "charge_already_refunded");

        let refund_id = rest.body["id"].as_str().unwrap();
        assert_eq!(retrieve_refund(&state, refund_id, &params("")).unwrap()["amount"], 5000);
        assert!(retrieve_refund(&state, "re_missing", &params("")).is_err());
    }

    #[test]
    fn only_succeeded_intents_can_be_refunded() {
        let mut state = State::default();
        let created = create(&mut state, &params("amount=100&currency=eur&capture_method=manual"), &ctx()).unwrap();
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(
            error_code(create_refund(&mut state, &params(&format!("payment_intent={id}")), &ctx())),
            "payment_intent_unexpected_state"
        );
        assert_eq!(error_code(create_refund(&mut state, &params("payment_intent=pi_missing"), &ctx())), "resource_missing");
        assert_eq!(error_code(create_refund(&mut state, &params(""), &ctx())), "parameter_missing");
        assert!(state.refunds.is_empty());
    }
}
