//! What the server stores, and how it is rendered as Stripe JSON.
//!
//! Stored records hold only what Stripe itself would return later: a card is its brand, last four digits and
//! expiry, never the number or the CVC. Rendering is explicit (`json!`) rather than `Serialize`, so the persisted
//! layout and the wire shape can evolve separately, and every field async-stripe requires is visibly present.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The Stripe API version whose shapes this server speaks (the one async-stripe 1.0.0-rc.10 pins).
pub(crate) const API_VERSION: &str = "2026-09-30.endive";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::RequiresPaymentMethod => "requires_payment_method",
            Status::RequiresConfirmation => "requires_confirmation",
            Status::RequiresAction => "requires_action",
            Status::Processing => "processing",
            Status::RequiresCapture => "requires_capture",
            Status::Canceled => "canceled",
            Status::Succeeded => "succeeded",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CaptureMethod {
    Automatic,
    AutomaticAsync,
    Manual,
}

impl CaptureMethod {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        match value {
            "automatic" => Some(CaptureMethod::Automatic),
            "automatic_async" => Some(CaptureMethod::AutomaticAsync),
            "manual" => Some(CaptureMethod::Manual),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            CaptureMethod::Automatic => "automatic",
            CaptureMethod::AutomaticAsync => "automatic_async",
            CaptureMethod::Manual => "manual",
        }
    }
}

/// Why a test card declines, as Stripe reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Decline {
    pub code: String,
    pub decline_code: String,
    pub message: String,
}

/// A card as Stripe keeps it after tokenization: no number, no CVC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub funding: String,
    pub country: String,
    /// How a payment with this test card ends; `None` approves.
    pub decline: Option<Decline>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PaymentMethod {
    pub id: String,
    pub created: i64,
    pub card: Card,
}

impl PaymentMethod {
    pub(crate) fn to_json(&self) -> Value {
        let card = &self.card;
        json!({
            "id": self.id,
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {"address": null, "email": null, "name": null, "phone": null, "tax_id": null},
            "card": {
                "brand": card.brand,
                "checks": null,
                "country": card.country,
                "display_brand": card.brand,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "funding": card.funding,
                "generated_from": null,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": null},
                "three_d_secure_usage": {"supported": true},
                "wallet": null
            },
            "created": self.created,
            "customer": null,
            "livemode": false,
            "metadata": {},
            "type": "card"
        })
    }
}

/// `last_payment_error`: the failed attempt, kept on the intent until the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PaymentFailure {
    pub decline: Decline,
    pub charge: String,
    pub payment_method: PaymentMethod,
}

impl PaymentFailure {
    /// The `error` object of a card_error response, and the intent's `last_payment_error`.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "type": "card_error",
            "code": self.decline.code,
            "decline_code": self.decline.decline_code,
            "message": self.decline.message,
            "charge": self.charge,
            "doc_url": format!("https://docs.stripe.com/error-codes/{}", self.decline.code.replace('_', "-")),
            "payment_method": self.payment_method.to_json(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Intent {
    pub id: String,
    pub client_secret: String,
    pub created: i64,
    pub amount: i64,
    /// Lower case, as Stripe stores it.
    pub currency: String,
    pub status: Status,
    pub capture_method: CaptureMethod,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub payment_method_types: Vec<String>,
    pub payment_method: Option<PaymentMethod>,
    pub latest_charge: Option<String>,
    pub last_payment_error: Option<PaymentFailure>,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    pub receipt_email: Option<String>,
    /// When the card was authorized (manual capture): Stripe cancels an uncaptured authorization 7 days later.
    #[serde(default)]
    pub authorized_at: Option<i64>,
}

impl Intent {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_details": {"tip": {}},
            "amount_received": self.amount_received,
            "application": null,
            "application_fee_amount": null,
            "automatic_payment_methods": null,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method.as_str(),
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "customer": null,
            "description": self.description,
            "last_payment_error": self.last_payment_error.as_ref().map(PaymentFailure::to_json),
            "latest_charge": self.latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "next_action": null,
            "on_behalf_of": null,
            "payment_method": self.payment_method.as_ref().map(|pm| pm.id.clone()),
            "payment_method_configuration_details": null,
            "payment_method_options": null,
            "payment_method_types": self.payment_method_types,
            "processing": null,
            "receipt_email": self.receipt_email,
            "review": null,
            "setup_future_usage": null,
            "shipping": null,
            "source": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": self.status.as_str(),
            "transfer_data": null,
            "transfer_group": null
        })
    }

    /// The latest charge behind the intent, rendered on demand (for `charge.refunded` and `expand[]=latest_charge`)
    /// rather than stored twice. Every field Stripe's Charge object has is present, as async-stripe expects.
    pub(crate) fn charge_json(&self, now: i64) -> Value {
        let failed = self.last_payment_error.is_some() && self.status == Status::RequiresPaymentMethod;
        let captured = self.amount_received > 0;
        let failure = self.last_payment_error.as_ref().filter(|_| failed);
        json!({
            "id": self.latest_charge,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_received,
            "amount_refunded": self.amount_refunded,
            "application": null,
            "application_fee": null,
            "application_fee_amount": null,
            "authorization_code": null,
            "balance_transaction": null,
            "billing_details": {"address": null, "email": null, "name": null, "phone": null, "tax_id": null},
            "calculated_statement_descriptor": null,
            "captured": captured,
            "created": now,
            "currency": self.currency,
            "customer": null,
            "description": self.description,
            "disputed": false,
            "failure_balance_transaction": null,
            "failure_code": failure.map(|f| f.decline.code.clone()),
            "failure_message": failure.map(|f| f.decline.message.clone()),
            "fraud_details": null,
            "livemode": false,
            "metadata": self.metadata,
            "on_behalf_of": null,
            "outcome": null,
            "paid": !failed,
            "payment_intent": self.id,
            "payment_method": self.payment_method.as_ref().map(|pm| pm.id.clone()),
            "payment_method_details": null,
            "presentment_details": null,
            "radar_options": null,
            "receipt_email": self.receipt_email,
            "receipt_number": null,
            "receipt_url": null,
            "refunded": captured && self.amount_refunded >= self.amount_received,
            "refunds": null,
            "review": null,
            "shipping": null,
            "source": null,
            "source_transfer": null,
            "statement_descriptor": null,
            "statement_descriptor_suffix": null,
            "status": if failed { "failed" } else { "succeeded" },
            "transfer": null,
            "transfer_data": null,
            "transfer_group": null
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    pub created: i64,
    pub amount: i64,
    pub currency: String,
    pub payment_intent: String,
    pub charge: Option<String>,
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

impl Refund {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "balance_transaction": null,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "destination_details": null,
            "metadata": self.metadata,
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": "succeeded",
            "transfer_reversal": null
        })
    }
}

/// A stored response for an `Idempotency-Key`, replayed verbatim on a matching retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IdempotencyRecord {
    /// "POST /v1/payment_intents": a key belongs to one endpoint.
    pub endpoint: String,
    /// SHA-256 of the canonical, card-redacted parameters.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    pub created: i64,
}

/// Everything the server knows; persisted whole after each change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub intents: BTreeMap<String, Intent>,
    pub refunds: BTreeMap<String, Refund>,
    pub idempotency: BTreeMap<String, IdempotencyRecord>,
}
