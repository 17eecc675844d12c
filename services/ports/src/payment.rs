use async_trait::async_trait;
use booking_domain::{BookingRef, Money, ProviderPayment, ProviderStatus};
use serde::{Deserialize, Serialize};

/// Ask the provider to authorize `amount` for a booking. Capture is manual: the money is only taken once the
/// booking is confirmed, so a guest is never charged without a booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateIntent {
    pub amount: Money,
    pub reference: BookingRef,
    /// Derived from the hold, so a retried request cannot create a second intent.
    pub idempotency_key: String,
    pub description: String,
}

/// Stripe's PaymentIntent statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    /// Handed to the guest's browser only; never logged.
    pub client_secret: String,
    pub status: PaymentStatus,
    pub amount: Money,
    /// Amount authorized and not yet captured.
    pub amount_capturable: i64,
    /// Amount taken.
    pub amount_received: i64,
    /// Amount of what was taken that went back (refunds).
    pub amount_refunded: i64,
    /// The booking reference we put in the intent's metadata.
    pub reference: Option<String>,
}

impl PaymentIntent {
    /// The provider's view in the booking rules' terms.
    pub fn snapshot(&self) -> ProviderPayment {
        let currency = self.amount.currency();
        let m = |minor: i64| Money::new(minor, currency);
        let status = match self.status {
            PaymentStatus::RequiresPaymentMethod | PaymentStatus::RequiresConfirmation | PaymentStatus::RequiresAction => {
                ProviderStatus::AwaitingGuest
            }
            PaymentStatus::Processing => ProviderStatus::Processing,
            PaymentStatus::RequiresCapture => ProviderStatus::Authorized { capturable: m(self.amount_capturable) },
            PaymentStatus::Succeeded => ProviderStatus::Succeeded { received: m(self.amount_received), refunded: m(self.amount_refunded) },
            PaymentStatus::Canceled => ProviderStatus::Canceled,
        };
        ProviderPayment { amount: self.amount, status }
    }
}

impl std::fmt::Debug for PaymentIntent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentIntent")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("amount", &self.amount)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: Money,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("card declined: {0}")]
    Declined(String),
    #[error("payment {0} not found")]
    NotFound(String),
    /// The intent is in a state that does not allow the call (capture of a cancelled intent, ...).
    #[error("payment in the wrong state: {0}")]
    InvalidState(String),
    /// The provider refused the request itself (bad parameters, auth): not retryable.
    #[error("payment request refused: {0}")]
    Rejected(String),
    /// Network trouble, rate limits, 5xx: safe to retry with the same idempotency key.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync {
    async fn create_intent(&self, request: &CreateIntent) -> Result<PaymentIntent, PaymentError>;
    async fn retrieve(&self, intent_id: &str) -> Result<PaymentIntent, PaymentError>;
    /// Takes `amount` of the authorization (all of it, or less: the rest is released to the guest).
    async fn capture(&self, intent_id: &str, amount: Money, idempotency_key: &str) -> Result<PaymentIntent, PaymentError>;
    /// Voids an uncaptured authorization: the guest is not charged.
    async fn cancel(&self, intent_id: &str, idempotency_key: &str) -> Result<PaymentIntent, PaymentError>;
    async fn refund(&self, intent_id: &str, amount: Money, idempotency_key: &str) -> Result<Refund, PaymentError>;
}
