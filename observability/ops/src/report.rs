//! What `cargo xtask ops` prints, as a table or as JSON, and the exit code an operator's script reads.

use std::fmt::Write as _;

use serde::Serialize;

/// A figure, or why it could not be read (never a zero standing in for an error).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Figure<T> {
    Value(T),
    Unavailable { unavailable: String },
}

/// From the result of reading it (the error, owned or borrowed, becomes the reason).
impl<T, E: std::fmt::Display> From<Result<T, E>> for Figure<T> {
    fn from(result: Result<T, E>) -> Self {
        match result {
            Ok(value) => Figure::Value(value),
            Err(error) => Figure::Unavailable { unavailable: error.to_string() },
        }
    }
}

impl<T> Figure<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Figure::Value(value) => Some(value),
            Figure::Unavailable { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Funnel {
    pub requested: f64,
    pub held: f64,
    pub authorized: f64,
    pub confirmed: f64,
    /// `None` when CloudWatch returned no value for the expression.
    pub conversion_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payments {
    pub authorized: f64,
    pub failed: f64,
    pub failure_ratio_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refunds {
    /// The highest count of pending refunds reported in the window; `None` if nothing reported it.
    pub pending: Option<f64>,
    pub oldest_pending_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latency {
    pub function: String,
    pub p99_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmStatus {
    pub name: String,
    /// `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub reason: String,
    pub since: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub environment: String,
    pub namespace: String,
    pub start: String,
    pub end: String,
    pub funnel: Figure<Funnel>,
    pub payments: Figure<Payments>,
    pub refunds: Figure<Refunds>,
    pub latency_p99_ms: Figure<Vec<Latency>>,
    pub alarms_not_ok: Figure<Vec<AlarmStatus>>,
}

impl Report {
    /// 1 while an alarm is in ALARM; else 2 if a figure could not be read; else 0.
    pub fn exit_code(&self) -> u8 {
        let in_alarm = self.alarms_not_ok.value().is_some_and(|alarms| alarms.iter().any(|a| a.state == "ALARM"));
        let unavailable = [
            self.funnel.value().is_none(),
            self.payments.value().is_none(),
            self.refunds.value().is_none(),
            self.latency_p99_ms.value().is_none(),
            self.alarms_not_ok.value().is_none(),
        ];
        if in_alarm {
            1
        } else if unavailable.contains(&true) {
            2
        } else {
            0
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A plain-text table for a terminal.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Harbour View {} ({}), {} to {}", self.environment, self.namespace, self.start, self.end);
        section(&mut out, "Bookings funnel", &self.funnel, |out, f| {
            row(out, "requested", &count(f.requested));
            row(out, "held", &count(f.held));
            row(out, "authorised", &count(f.authorized));
            row(out, "confirmed", &count(f.confirmed));
            row(out, "conversion", &percent(f.conversion_percent));
        });
        section(&mut out, "Payments", &self.payments, |out, p| {
            row(out, "authorised", &count(p.authorized));
            row(out, "failed", &count(p.failed));
            row(out, "failure ratio", &percent(p.failure_ratio_percent));
        });
        section(&mut out, "Refunds", &self.refunds, |out, r| {
            row(out, "pending (highest)", &r.pending.map_or_else(|| "none reported".to_owned(), count));
            row(out, "oldest pending", &r.oldest_pending_seconds.map_or_else(|| "none reported".to_owned(), |s| format!("{s:.0} s")));
        });
        section(&mut out, "Handler latency p99", &self.latency_p99_ms, |out, functions| {
            if functions.is_empty() {
                row(out, "(no function reported)", "");
            }
            for f in functions {
                row(out, &f.function, &f.p99_ms.map_or_else(|| "n/a".to_owned(), |ms| format!("{ms:.1} ms")));
            }
        });
        section(&mut out, "Alarms not OK", &self.alarms_not_ok, |out, alarms| {
            if alarms.is_empty() {
                row(out, "(all OK)", "");
            }
            for a in alarms {
                let _ = writeln!(out, "  {:<18} {}  since {}", a.state, a.name, a.since.as_deref().unwrap_or("?"));
                if !a.reason.is_empty() {
                    let _ = writeln!(out, "  {:<18} {}", "", a.reason);
                }
            }
        });
        out
    }
}

fn section<T>(out: &mut String, title: &str, figure: &Figure<T>, body: impl FnOnce(&mut String, &T)) {
    let _ = writeln!(out, "\n{title}");
    match figure {
        Figure::Value(value) => body(out, value),
        Figure::Unavailable { unavailable } => {
            let _ = writeln!(out, "  unavailable: {unavailable}");
        }
    }
}

fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {label:<32} {value:>14}");
}

fn count(value: f64) -> String {
    format!("{value:.0}")
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.1} %"))
}
