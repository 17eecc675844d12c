//! The `GetMetricData` queries of a report. The ratio expressions are the dashboard's own (a test holds them
//! equal), so `cargo xtask ops` and the dashboard never disagree on what a figure means.

use aws_sdk_cloudwatch::types::{Dimension, Metric as CwMetric, MetricDataQuery, MetricStat};
use booking_metrics::{Metric, SERVICE};

use crate::window::Window;

/// Confirmed bookings as a percentage of requested ones (the dashboard's funnel widgets).
pub const CONVERSION_EXPRESSION: &str = "IF(requested > 0, 100 * confirmed / requested, 0)";
/// Failed payments as a percentage of payment attempts (the dashboard's and the alarm's ratio).
pub const FAILURE_RATIO_EXPRESSION: &str =
    "IF(FILL(failed, 0) + FILL(authorized, 0) > 0, 100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(authorized, 0)), 0)";

/// A query id and what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Requested,
    Held,
    Authorized,
    Confirmed,
    Failed,
    RefundsPending,
    OldestPendingRefund,
}

impl Count {
    pub(crate) const ALL: [Count; 7] = [
        Count::Requested,
        Count::Held,
        Count::Authorized,
        Count::Confirmed,
        Count::Failed,
        Count::RefundsPending,
        Count::OldestPendingRefund,
    ];

    /// The id, as the expressions name it.
    pub(crate) const fn id(self) -> &'static str {
        match self {
            Count::Requested => "requested",
            Count::Held => "held",
            Count::Authorized => "authorized",
            Count::Confirmed => "confirmed",
            Count::Failed => "failed",
            Count::RefundsPending => "refunds_pending",
            Count::OldestPendingRefund => "oldest_pending_refund",
        }
    }

    const fn metric(self) -> Metric {
        match self {
            Count::Requested => Metric::BookingRequested,
            Count::Held => Metric::HoldPlaced,
            Count::Authorized => Metric::PaymentAuthorized,
            Count::Confirmed => Metric::BookingConfirmed,
            Count::Failed => Metric::PaymentFailed,
            Count::RefundsPending => Metric::RefundPending,
            Count::OldestPendingRefund => Metric::RefundPendingOldestAge,
        }
    }

    /// Counters add up over the window; the refund gauges are read at their highest.
    const fn statistic(self) -> &'static str {
        match self {
            Count::RefundsPending | Count::OldestPendingRefund => "Maximum",
            _ => "Sum",
        }
    }
}

pub(crate) const CONVERSION_ID: &str = "conversion";
pub(crate) const FAILURE_RATIO_ID: &str = "failure_ratio";

fn dimension(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

fn stat(id: &str, namespace: &str, metric: &str, dimensions: Vec<Dimension>, statistic: &str, window: &Window) -> MetricDataQuery {
    let metric = CwMetric::builder().namespace(namespace).metric_name(metric).set_dimensions(Some(dimensions)).build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(MetricStat::builder().metric(metric).period(window.period()).stat(statistic).build())
        .return_data(true)
        .build()
}

/// Counters, gauges and the two ratios, service-wide.
pub(crate) fn counts(namespace: &str, window: &Window) -> Vec<MetricDataQuery> {
    let mut queries: Vec<MetricDataQuery> = Count::ALL
        .iter()
        .map(|c| stat(c.id(), namespace, c.metric().name(), vec![dimension("service", SERVICE)], c.statistic(), window))
        .collect();
    for (id, expression) in [(CONVERSION_ID, CONVERSION_EXPRESSION), (FAILURE_RATIO_ID, FAILURE_RATIO_EXPRESSION)] {
        queries.push(MetricDataQuery::builder().id(id).expression(expression).period(window.period()).return_data(true).build());
    }
    queries
}

/// The p99 of the handler latency of each function (query id `p99_<index>`).
pub(crate) fn latency(namespace: &str, functions: &[String], window: &Window) -> Vec<MetricDataQuery> {
    functions
        .iter()
        .enumerate()
        .map(|(i, function)| {
            let dimensions = vec![dimension("service", SERVICE), dimension("function", function)];
            stat(&format!("p99_{i}"), namespace, Metric::HandlerLatency.name(), dimensions, "p99", window)
        })
        .collect()
}
