use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::{DomainError, Hotel, Money, Quote};

/// Free cancellation until `free_until_hours` before check-in (local check-in hour); after that the first night
/// (with its taxes) is kept and the rest refunded.
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
}

impl CancellationPolicy {
    pub fn preview(&self, hotel: &Hotel, quote: &Quote, now: DateTime<Utc>) -> Result<RefundPreview, DomainError> {
        let free_until = self.free_until(hotel, quote)?;
        let penalty = if now <= free_until { Money::zero(quote.total.currency()) } else { quote.first_night_total() };
        let refund = quote.total.checked_sub(penalty)?;
        Ok(RefundPreview { refund, penalty, free_until })
    }

    fn free_until(&self, hotel: &Hotel, quote: &Quote) -> Result<DateTime<Utc>, DomainError> {
        let local = quote.request.stay.check_in().and_time(NaiveTime::from_hms_opt(hotel.check_in_hour(), 0, 0).unwrap_or_default());
        let offset = chrono::FixedOffset::east_opt(hotel.utc_offset_minutes() * 60).ok_or(DomainError::AmountOverflow)?;
        let check_in = offset.from_local_datetime(&local).single().ok_or(DomainError::AmountOverflow)?.with_timezone(&Utc);
        Ok(check_in - Duration::hours(i64::from(self.free_until_hours)))
    }
}
