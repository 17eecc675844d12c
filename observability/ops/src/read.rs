//! Reading a report from CloudWatch.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
use aws_sdk_cloudwatch::types::{MetricDataQuery, StateValue};
use booking_metrics::{Metric, SERVICE};

use crate::Error;
use crate::query::{self, CONVERSION_ID, Count, FAILURE_RATIO_ID};
use crate::report::{AlarmStatus, Figure, Funnel, Latency, Payments, Refunds, Report};
use crate::window::Window;

/// Which environment to read: its metrics live in `HarbourView/<environment>`, its alarms are named
/// `harbour-<environment>-*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub environment: String,
}

impl Target {
    pub fn namespace(&self) -> String {
        booking_metrics::namespace(&self.environment)
    }

    fn alarm_prefix(&self) -> String {
        format!("harbour-{}-", self.environment)
    }
}

fn timestamp(seconds: u64) -> DateTime {
    DateTime::from_secs(i64::try_from(seconds).unwrap_or(i64::MAX))
}

fn rfc3339(time: &DateTime) -> String {
    time.fmt(DateTimeFormat::DateTime).unwrap_or_else(|_| time.secs().to_string())
}

/// Reads every figure of the report. A failing call makes its sections unavailable, not the whole report.
pub async fn read(client: &Client, target: &Target, window: Window) -> Report {
    let namespace = target.namespace();
    let counts = metric_data(client, &query::counts(&namespace, &window), &window).await;
    let latency = match functions(client, &namespace).await {
        Ok(functions) => metric_data(client, &query::latency(&namespace, &functions, &window), &window).await.map(|values| {
            functions
                .iter()
                .enumerate()
                .map(|(i, function)| Latency { function: function.clone(), p99_ms: single(&values, &format!("p99_{i}")) })
                .collect::<Vec<_>>()
        }),
        Err(error) => Err(error),
    };
    let count = |values: &BTreeMap<String, Vec<f64>>, c: Count| values.get(c.id()).map(|v| v.iter().sum()).unwrap_or(0.0);
    let funnel = counts.as_ref().map(|v| Funnel {
        requested: count(v, Count::Requested),
        held: count(v, Count::Held),
        authorized: count(v, Count::Authorized),
        confirmed: count(v, Count::Confirmed),
        conversion_percent: single(v, CONVERSION_ID),
    });
    let payments = counts.as_ref().map(|v| Payments {
        authorized: count(v, Count::Authorized),
        failed: count(v, Count::Failed),
        failure_ratio_percent: single(v, FAILURE_RATIO_ID),
    });
    let refunds = counts.as_ref().map(|v| Refunds {
        pending: single(v, Count::RefundsPending.id()),
        oldest_pending_seconds: single(v, Count::OldestPendingRefund.id()),
    });
    Report {
        environment: target.environment.clone(),
        namespace,
        start: rfc3339(&timestamp(window.start())),
        end: rfc3339(&timestamp(window.end())),
        funnel: Figure::from(funnel),
        payments: Figure::from(payments),
        refunds: Figure::from(refunds),
        latency_p99_ms: Figure::from(latency),
        alarms_not_ok: Figure::from(alarms(client, target).await),
    }
}

/// The one value of a query over the window (the highest if CloudWatch split the window), if it has one.
fn single(values: &BTreeMap<String, Vec<f64>>, id: &str) -> Option<f64> {
    values.get(id)?.iter().copied().reduce(f64::max)
}

/// Every page of one GetMetricData call: query id -> values.
async fn metric_data(client: &Client, queries: &[MetricDataQuery], window: &Window) -> Result<BTreeMap<String, Vec<f64>>, Error> {
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    if queries.is_empty() {
        return Ok(values);
    }
    let mut next = None;
    loop {
        let page = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries.to_vec()))
            .start_time(timestamp(window.start()))
            .end_time(timestamp(window.end()))
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| Error::cloudwatch("GetMetricData", e))?;
        for result in page.metric_data_results() {
            if let Some(id) = result.id() {
                values.entry(id.to_owned()).or_default().extend_from_slice(result.values());
            }
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            return Ok(values);
        }
    }
}

/// The functions that have reported a handler latency (`function` values of `HandlerLatency{service, function}`).
async fn functions(client: &Client, namespace: &str) -> Result<Vec<String>, Error> {
    let mut functions = Vec::new();
    let mut next = None;
    loop {
        let page = client
            .list_metrics()
            .namespace(namespace)
            .metric_name(Metric::HandlerLatency.name())
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| Error::cloudwatch("ListMetrics", e))?;
        for metric in page.metrics() {
            let dims: BTreeMap<&str, &str> = metric.dimensions().iter().filter_map(|d| Some((d.name()?, d.value()?))).collect();
            if dims.len() == 2
                && dims.get("service") == Some(&SERVICE)
                && let Some(function) = dims.get("function")
            {
                functions.push((*function).to_owned());
            }
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            functions.sort();
            functions.dedup();
            return Ok(functions);
        }
    }
}

/// Every alarm of the environment that is not OK, metric and composite.
async fn alarms(client: &Client, target: &Target) -> Result<Vec<AlarmStatus>, Error> {
    let mut out = Vec::new();
    let mut next = None;
    loop {
        let page = client
            .describe_alarms()
            .alarm_name_prefix(target.alarm_prefix())
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| Error::cloudwatch("DescribeAlarms", e))?;
        let metric = page.metric_alarms().iter().map(|a| (a.alarm_name(), a.state_value(), a.state_reason(), a.state_updated_timestamp()));
        let composite =
            page.composite_alarms().iter().map(|a| (a.alarm_name(), a.state_value(), a.state_reason(), a.state_updated_timestamp()));
        for (name, state, reason, since) in metric.chain(composite) {
            let state = state.cloned().unwrap_or(StateValue::InsufficientData);
            if state != StateValue::Ok {
                out.push(AlarmStatus {
                    name: name.unwrap_or_default().to_owned(),
                    state: state.as_str().to_owned(),
                    reason: reason.unwrap_or_default().to_owned(),
                    since: since.map(rfc3339),
                });
            }
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            out.sort_by(|a, b| (a.state != "ALARM", &a.name).cmp(&(b.state != "ALARM", &b.name)));
            return Ok(out);
        }
    }
}
