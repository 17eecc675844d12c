//! `sweeper`: run on a schedule (EventBridge, every minute) to reconcile every due booking: holds whose time ran
//! out, and captures, refunds and voids still owed. The local stack runs the same handler from a loop.

use booking_app::{SettlePorts, SweepReport, reconcile_due};

/// At most this many bookings per run, so one invocation stays well inside its timeout; the next run continues.
pub const BATCH: usize = 200;

/// The function, wired.
#[derive(Debug, Clone)]
pub struct Sweeper {
    ports: SettlePorts,
}

impl Sweeper {
    pub fn new(ports: SettlePorts) -> Self {
        Sweeper { ports }
    }

    /// The scheduled event's content does not matter: every run looks at the clock and the store.
    pub async fn handle(&self, _event: serde_json::Value) -> Result<SweepReport, booking_app::AppError> {
        handle(&self.ports).await
    }
}

async fn handle(svc: &SettlePorts) -> Result<SweepReport, booking_app::AppError> {
    let report = reconcile_due(svc, BATCH).await?;
    if report.due > 0 {
        tracing::info!(due = report.due, failed = report.failed, effects = ?report.effects, "due bookings reconciled");
    } else {
        tracing::debug!("nothing due");
    }
    Ok(report)
}
