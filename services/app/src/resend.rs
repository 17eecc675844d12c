//! "Re-send confirmation" in My bookings: the guest's own confirmed booking, told again through the same outbox
//! and notify path as the first confirmation (so each channel's delivery state follows the new message), at most
//! once per booking and hour and at most [`DAILY_LIMIT`] times per booking and day.

use booking_domain::{BookingRef, BookingState, GuestId, Settlement};
use booking_ports::{BookingEvent, Resend, ResendQueued};
use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::catalog::owned_booking;
use crate::{AppError, ResendPorts};

/// Re-sends per booking and (UTC) day: enough for a guest who lost the mail or changed inbox, too few to turn
/// the hotel's sending identity into a way to flood an address (SES reputation is the hotel's).
pub const DAILY_LIMIT: u32 = 3;

/// What the guest is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResendStatus {
    /// Queued now: the messages go out through the outbox.
    Sent,
    /// Already re-sent this hour: the same answer, nothing new sent.
    AlreadySent,
}

/// The answer to a re-send request; the same `event_id` and `hour` for every request in the same hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResendView {
    pub reference: String,
    pub status: ResendStatus,
    /// The outbox event the messages are about (the booking view's `notifications[].event_id` once sent).
    pub event_id: String,
    /// The start of the hour the re-send belongs to.
    pub hour: DateTime<Utc>,
}

/// Queues the confirmation of the guest's own booking again. Someone else's booking is `NotFound` (as every
/// other route answers), a booking that is not confirmed, or whose money is not settled yet (its first
/// confirmation is still to go out), is `NotConfirmed`; over the day's limit is `ResendLimitReached` with the
/// time until the next day.
pub async fn resend_confirmation(svc: &ResendPorts, guest: &GuestId, reference: &BookingRef) -> Result<ResendView, AppError> {
    let booking = owned_booking(svc.bookings.as_ref(), guest, reference).await?;
    let charged = match (booking.state(), booking.settlement()) {
        (BookingState::Confirmed, Settlement::Settled { charged, .. }) => *charged,
        (BookingState::Confirmed, _) => return Err(AppError::NotConfirmed { settling: true }),
        _ => return Err(AppError::NotConfirmed { settling: false }),
    };
    let now = svc.clock.now();
    let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
    let event = BookingEvent::resend(reference, charged, hour);
    let queued = svc.changes.queue_resend(Resend { event: &event, day: hour.date_naive(), daily_limit: DAILY_LIMIT }).await?;
    crate::metrics::about(reference);
    let status = match queued {
        ResendQueued::Queued => {
            tracing::info!(%reference, event = %event.id, "confirmation re-send queued");
            ResendStatus::Sent
        }
        ResendQueued::AlreadyQueued => ResendStatus::AlreadySent,
        ResendQueued::LimitReached => return Err(AppError::ResendLimitReached { retry_after: until_next_day(now) }),
    };
    Ok(ResendView { reference: reference.to_string(), status, event_id: event.id, hour })
}

/// From `now` to the next UTC midnight, when the day's count starts again (at least a second).
fn until_next_day(now: DateTime<Utc>) -> Duration {
    let midnight = now.date_naive().succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
    midnight.map_or(Duration::days(1), |m| m - now).max(Duration::seconds(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_runs_to_the_next_utc_midnight() {
        let check = |now: &str, seconds: i64| {
            let now: DateTime<Utc> = now.parse().unwrap();
            assert_eq!(until_next_day(now).num_seconds(), seconds, "{now}");
        };
        check("2030-06-01T23:00:00Z", 3600);
        check("2030-06-01T00:00:00Z", 86_400);
        check("2030-06-01T23:59:59.900Z", 1);
    }
}
