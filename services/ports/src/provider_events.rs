use serde::{Deserialize, Serialize};

/// A payment provider event, already authenticated (signature checked) and parsed at the edge. Only what
/// identifies the payment is kept: what happened to it is read from the provider itself, because events arrive
/// late, twice and out of order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    pub event_id: String,
    pub kind: PaymentEventKind,
    pub intent_id: String,
    /// The booking reference from the intent's metadata.
    pub reference: Option<String>,
    /// For a failed attempt, the provider's reason (Stripe's `decline_code`, else its error `code`, e.g.
    /// `insufficient_funds`): for operators ("failed payments by reason"), never for a decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentEventKind {
    /// The card is authorized; money can be captured (`payment_intent.amount_capturable_updated`).
    Authorized,
    /// Money taken (`payment_intent.succeeded`).
    Succeeded,
    /// An attempt failed (`payment_intent.payment_failed`): the guest's hold is given back unless they have
    /// paid since.
    Failed,
    /// The intent was cancelled (`payment_intent.canceled`).
    Canceled,
}
