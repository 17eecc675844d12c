use booking_domain::DomainError;

use crate::ErrorCode;
use booking_ports::{NotifyError, PaymentError, StoreError};
use chrono::NaiveDate;

/// Every way a use case can fail. The HTTP status for each lives in one place, `booking-functions`' `http`
/// module; variants carrying infrastructure errors keep them as `source` for the log, never for the guest.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Rule(#[from] DomainError),
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    #[error("no room left on {night}")]
    SoldOut { night: NaiveDate },
    #[error("booking not found")]
    NotFound,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    InProgress,
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("the booking changed at the same time; retry")]
    Conflict,
    /// Only a confirmed booking has a confirmation to send again.
    #[error("{}", if *settling { "the confirmation is sent once the payment is settled; it is on its way" } else { "only a confirmed booking's confirmation can be sent again" })]
    NotConfirmed { settling: bool },
    #[error("this booking's confirmation was sent again {} times today; try again tomorrow", crate::resend::DAILY_LIMIT)]
    ResendLimitReached { retry_after: chrono::Duration },
    #[error("the card was declined: {0}")]
    PaymentDeclined(String),
    #[error("payment provider unavailable")]
    Payment(#[source] PaymentError),
    #[error("storage unavailable")]
    Store(#[source] StoreError),
    #[error("notification service unavailable")]
    Notify(#[from] NotifyError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::SoldOut { night } => AppError::SoldOut { night },
            StoreError::Conflict => AppError::Conflict,
            other => AppError::Store(other),
        }
    }
}

impl From<PaymentError> for AppError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Declined(message) => AppError::PaymentDeclined(message),
            other => AppError::Payment(other),
        }
    }
}
