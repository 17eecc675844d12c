//! The metric catalog: every metric the booking service emits, with its unit, its dimensions and what it means.
//! It is the single source of truth — the functions record [`Metric`]s and [`Notification`]s (nothing else
//! is in scope for them), and the checks in `tests/` hold the dashboard (`observability/dashboards/`), the alarms
//! (`infra/cloudformation/`) and the runbook (`observability/runbook.md`) to it.
//!
//! *Conventions:* namespace `HarbourView/<environment>` ([`namespace`]); dimension `service` = `booking`
//! (`POWERTOOLS_SERVICE_NAME`) and `function` = the Lambda function's name; business metrics are also published
//! per service ([`emf::Scope::FunctionAndService`]) so that the dashboard and the alarms read them whichever
//! function emits them; per-channel notification metrics add the `channel` dimension. Booking references and
//! failure reasons are properties, never dimensions.

mod catalog;
mod notification;

pub use catalog::{BUILTINS, Metric};
pub use notification::{CHANNEL, Channel, Notification};

use emf::PropertyKey;

/// Every metric of an environment lives in `HarbourView/<environment>`.
pub const NAMESPACE_PREFIX: &str = "HarbourView";
/// The `service` dimension's value (`POWERTOOLS_SERVICE_NAME`).
pub const SERVICE: &str = "booking";

/// The CloudWatch namespace of an environment (`prod`, `staging`, `dev`, `local`).
pub fn namespace(environment: &str) -> String {
    format!("{NAMESPACE_PREFIX}/{environment}")
}

/// The booking a document is about (`HB-XXXX-XXXX`): a property, so that one booking's trail can be found in
/// Logs Insights without making a metric per booking.
pub const BOOKING_REFERENCE: PropertyKey = PropertyKey::new("bookingReference");
/// Why a payment failed (the provider's decline code, e.g. `card_declined`): a property, for the "failed
/// payments by reason" query.
pub const FAILURE_REASON: PropertyKey = PropertyKey::new("failureReason");

/// One line of the catalog, for the checks and for readers (`cargo xtask ops`, the dashboard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub def: emf::MetricDef,
    /// Recorded once per notification channel, with the `channel` dimension.
    pub per_channel: bool,
    /// What one count (or one value) means, for the operator.
    pub meaning: &'static str,
}

/// The whole catalog: every [`Metric`] and every [`Notification`] outcome.
pub fn catalog() -> Vec<Entry> {
    let metrics = Metric::ALL.iter().map(|m| Entry { def: m.def(), per_channel: false, meaning: m.meaning() });
    let notifications = Notification::ALL.iter().map(|n| Entry { def: n.def(), per_channel: true, meaning: n.meaning() });
    metrics.chain(notifications).collect()
}
