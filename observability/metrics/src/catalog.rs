//! The metrics of a booking's life and of the functions' health.

use emf::{Builtins, MetricDef, Resolution, Scope, Unit};

/// A catalogued metric without extra dimensions. Record with `emf::metrics().add(Metric::HoldPlaced, 1.0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// The funnel, in order.
    BookingRequested,
    HoldPlaced,
    HoldRejectedSoldOut,
    PaymentAuthorized,
    PaymentFailed,
    BookingConfirmed,
    /// After confirmation.
    BookingCancelled,
    RefundIssued,
    RefundPending,
    RefundPendingOldestAge,
    HoldExpired,
    ReconciliationAction,
    /// The webhook's guard rails.
    WebhookSignatureRejected,
    DuplicateWebhookIgnored,
    /// Health, per function.
    ColdStart,
    HandlerLatency,
}

const fn business(name: &'static str, unit: Unit) -> MetricDef {
    MetricDef::new(name, unit, Resolution::Standard, Scope::FunctionAndService)
}

const fn health(name: &'static str, unit: Unit) -> MetricDef {
    MetricDef::new(name, unit, Resolution::Standard, Scope::Function)
}

/// What the emitter records by itself: `ColdStart` once per process, `HandlerLatency` once per invocation.
pub const BUILTINS: Builtins = Builtins { cold_start: Metric::ColdStart.def(), latency: Metric::HandlerLatency.def() };

impl Metric {
    pub const ALL: [Metric; 16] = [
        Metric::BookingRequested,
        Metric::HoldPlaced,
        Metric::HoldRejectedSoldOut,
        Metric::PaymentAuthorized,
        Metric::PaymentFailed,
        Metric::BookingConfirmed,
        Metric::BookingCancelled,
        Metric::RefundIssued,
        Metric::RefundPending,
        Metric::RefundPendingOldestAge,
        Metric::HoldExpired,
        Metric::ReconciliationAction,
        Metric::WebhookSignatureRejected,
        Metric::DuplicateWebhookIgnored,
        Metric::ColdStart,
        Metric::HandlerLatency,
    ];

    pub const fn def(self) -> MetricDef {
        match self {
            Metric::BookingRequested => business("BookingRequested", Unit::Count),
            Metric::HoldPlaced => business("HoldPlaced", Unit::Count),
            Metric::HoldRejectedSoldOut => business("HoldRejectedSoldOut", Unit::Count),
            Metric::PaymentAuthorized => business("PaymentAuthorized", Unit::Count),
            Metric::PaymentFailed => business("PaymentFailed", Unit::Count),
            Metric::BookingConfirmed => business("BookingConfirmed", Unit::Count),
            Metric::BookingCancelled => business("BookingCancelled", Unit::Count),
            Metric::RefundIssued => business("RefundIssued", Unit::Count),
            Metric::RefundPending => business("RefundPending", Unit::Count),
            Metric::RefundPendingOldestAge => business("RefundPendingOldestAge", Unit::Seconds),
            Metric::HoldExpired => business("HoldExpired", Unit::Count),
            Metric::ReconciliationAction => business("ReconciliationAction", Unit::Count),
            Metric::WebhookSignatureRejected => business("WebhookSignatureRejected", Unit::Count),
            Metric::DuplicateWebhookIgnored => business("DuplicateWebhookIgnored", Unit::Count),
            Metric::ColdStart => health("ColdStart", Unit::Count),
            Metric::HandlerLatency => health("HandlerLatency", Unit::Milliseconds),
        }
    }

    pub const fn name(self) -> &'static str {
        self.def().name()
    }

    /// What one value means (shown by `cargo xtask ops` and kept true by the people who record it).
    pub const fn meaning(self) -> &'static str {
        match self {
            Metric::BookingRequested => "a guest asked to hold rooms (POST /api/bookings reached the use case)",
            Metric::HoldPlaced => "rooms were held for every night of a stay",
            Metric::HoldRejectedSoldOut => "a hold was refused because a night had no room left",
            Metric::PaymentAuthorized => "the provider authorised a held booking's card payment",
            Metric::PaymentFailed => "a payment attempt failed (declined, insufficient funds, ...); reason in the failureReason property",
            Metric::BookingConfirmed => "a booking was confirmed (payment authorised, rooms still held)",
            Metric::BookingCancelled => "a confirmed or held booking was cancelled",
            Metric::RefundIssued => "the provider confirmed a refund or a void of an authorisation",
            Metric::RefundPending => "refunds owed but not yet confirmed, counted by the pass that retries them (a gauge: use Maximum)",
            Metric::RefundPendingOldestAge => {
                "age in seconds of the oldest refund still pending, from the same pass (a gauge: use Maximum; 0 when none)"
            }
            Metric::HoldExpired => "a hold ran out before payment and its rooms were released",
            Metric::ReconciliationAction => "the reconciliation pass captured or cancelled a booking whose payment was left unsettled",
            Metric::WebhookSignatureRejected => "a webhook call with a missing or wrong Stripe signature was refused",
            Metric::DuplicateWebhookIgnored => "a webhook event already processed was acknowledged and ignored",
            Metric::ColdStart => "a function process started (first invocation of an execution environment)",
            Metric::HandlerLatency => "wall time of one handler invocation, in milliseconds",
        }
    }
}

impl From<Metric> for MetricDef {
    fn from(metric: Metric) -> Self {
        metric.def()
    }
}
