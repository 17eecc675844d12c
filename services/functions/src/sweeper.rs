//! `sweeper`: run on a schedule (EventBridge, every minute) to reconcile every due booking: holds whose time ran
//! out, and captures, refunds and voids still owed. The local stack runs the same handler from a loop.

use std::sync::Arc;

use booking_app::{SettlePorts, SweepReport, reconcile_due};
use emf::Emitter;

use crate::metrics::{EventService, event_service};

/// At most this many bookings per run, so one invocation stays well inside its timeout; the next run continues.
pub const BATCH: usize = 200;

/// The function, wired.
#[derive(Debug, Clone)]
pub struct Sweeper {
    ports: SettlePorts,
    emitter: Arc<Emitter>,
}

impl Sweeper {
    pub fn new(ports: SettlePorts, emitter: Arc<Emitter>) -> Self {
        Sweeper { ports, emitter }
    }

    /// The function as both hosts invoke it (the schedule in Lambda, the local stack's loop): each run is one
    /// metrics invocation.
    pub fn service(self: Arc<Self>) -> impl EventService<serde_json::Value, SweepReport> {
        event_service(Arc::clone(&self.emitter), self, |function, event| async move { function.handle(event).await })
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
