//! `sweeper`: run on a schedule (EventBridge, every minute) to release holds whose 15 minutes ran out and void
//! their payment intents. The local stack runs the same use case from a loop.

use booking_app::{Services, sweep_expired_holds};
use serde::Serialize;

/// At most this many holds per run, so one invocation stays well inside its timeout; the next run continues.
pub const BATCH: usize = 200;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    pub released: usize,
}

/// The scheduled event's content does not matter: every run looks at the clock and the store.
pub async fn handle(_event: serde_json::Value, svc: &Services) -> Result<SweepReport, booking_app::AppError> {
    let released = sweep_expired_holds(svc, BATCH).await?;
    if released > 0 {
        tracing::info!(released, "expired holds released");
    } else {
        tracing::debug!("sweep found nothing to release");
    }
    Ok(SweepReport { released })
}
