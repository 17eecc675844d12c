use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::{DomainError, Hotel, Money, Quote};

/// Free cancellation until `free_until_hours` (elapsed hours) before check-in, local check-in time; after that the
/// first night (with its taxes) is kept and the rest refunded. Self-service cancellation closes at check-in time
/// on the arrival day: once the stay has begun, nights slept cannot be refunded by the guest's own click.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancellationPolicy {
    pub free_until_hours: u32,
}

/// What the guest gets back if they cancel now, shown before they confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPreview {
    pub refund: Money,
    pub penalty: Money,
    pub free_until: DateTime<Utc>,
    /// The last moment the guest may cancel (check-in time on the arrival day).
    pub closes_at: DateTime<Utc>,
}

impl CancellationPolicy {
    /// The refund for cancelling at `now`, or [`DomainError::CancellationClosed`] once check-in time has come.
    pub fn preview(&self, hotel: &Hotel, quote: &Quote, now: DateTime<Utc>) -> Result<RefundPreview, DomainError> {
        let closes_at = hotel.check_in_instant(quote.request.stay.check_in());
        if now >= closes_at {
            return Err(DomainError::CancellationClosed { closed_at: closes_at });
        }
        let free_until = closes_at - Duration::hours(i64::from(self.free_until_hours));
        let penalty = if now <= free_until { Money::zero(quote.total.currency()) } else { quote.first_night_total() };
        let refund = quote.total.checked_sub(penalty)?;
        Ok(RefundPreview { refund, penalty, free_until, closes_at })
    }
}
