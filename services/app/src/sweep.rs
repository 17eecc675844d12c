use std::collections::BTreeMap;

use booking_domain::{BookingState, Trigger};
use serde::{Deserialize, Serialize};

use crate::settle::{Effect, reconcile};
use crate::{AppError, SettlePorts};

/// What one scheduled pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Due bookings looked at.
    pub due: usize,
    /// How often each effect happened.
    pub effects: BTreeMap<Effect, usize>,
    /// Bookings that could not be reconciled (store trouble); they stay due.
    pub failed: usize,
}

impl SweepReport {
    pub fn count(&self, effect: Effect) -> usize {
        self.effects.get(&effect).copied().unwrap_or(0)
    }
}

/// The scheduled reconciliation: every booking the store lists as due (holds that ran out, captures, refunds
/// and voids still owed) is reconciled against the provider's current view. Safe to run concurrently and
/// repeatedly: each step re-reads and writes with the booking's version.
pub async fn reconcile_due(svc: &SettlePorts, limit: usize) -> Result<SweepReport, AppError> {
    let due = svc.bookings.due_bookings(svc.clock.now(), limit).await?;
    let now = svc.clock.now();
    let mut report = SweepReport { due: due.len(), ..SweepReport::default() };
    let mut refunds_pending = 0;
    let mut oldest_refund_pending = chrono::Duration::zero();
    for booking in due {
        match reconcile(svc, booking.reference(), Trigger::Routine).await {
            Ok(done) => {
                crate::metrics::reconciliation_actions(&done.effects);
                if let (false, BookingState::Cancelled | BookingState::Refunded, Some(cancellation)) =
                    (done.settled, done.state, booking.cancellation())
                {
                    refunds_pending += 1;
                    oldest_refund_pending = oldest_refund_pending.max(now - cancellation.at);
                }
                for effect in done.effects {
                    *report.effects.entry(effect).or_default() += 1;
                }
            }
            Err(AppError::NotFound) => {}
            Err(e) => {
                tracing::error!(reference = %booking.reference(), error = %e, "reconciliation failed; it stays due");
                report.failed += 1;
            }
        }
    }
    crate::metrics::refunds_pending(refunds_pending, oldest_refund_pending.num_seconds());
    Ok(report)
}
