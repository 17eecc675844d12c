//! The local stack's clock: the system clock plus an offset a developer (or an end-to-end test) can move, so
//! hold expiry, late payments and cancellation deadlines can be walked through over HTTP in minutes.
//!
//! It exists only here. The Lambda binaries build their services through `booking_functions::wiring`, which
//! takes no clock and always uses the system clock, and `booking-functions` does not depend on this crate
//! (`xtask/tests/tidy.rs` keeps it so).
//!
//! `GET /dev/clock` shows it; `POST /dev/clock` with `{"advance": "PT20M"}` (an ISO 8601 duration: days, hours,
//! minutes, seconds), `{"set": "2027-03-10T14:00:00Z"}` or `{"reset": true}` moves it. Everything in the
//! stack reads it: the API, the sweeper loop, the local Stripe server (timestamps, webhook signatures,
//! authorization expiry) and the local identity provider (token times).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use booking_ports::Clock;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;

/// System time plus an adjustable offset (milliseconds).
#[derive(Debug, Default)]
pub struct DevClock {
    offset_ms: AtomicI64,
}

impl DevClock {
    pub fn with_offset(offset: Duration) -> Self {
        DevClock { offset_ms: AtomicI64::new(offset.num_milliseconds()) }
    }

    pub fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Makes "now" read `at` (and move on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        self.offset_ms.store((at - Utc::now()).num_milliseconds(), Ordering::SeqCst);
    }

    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }

    /// Unix seconds, for the local Stripe server and identity provider.
    pub fn unix_now(&self) -> i64 {
        self.now().timestamp()
    }
}

impl Clock for DevClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

/// Parses the ISO 8601 durations a developer types: `PT20M`, `P2D`, `P1DT2H30M`, `PT90S`, with an optional
/// leading `-` to go back.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total = Duration::zero();
    let mut any = false;
    for (part, units) in [(date, &[('D', 86_400)][..]), (time.unwrap_or(""), &[('H', 3_600), ('M', 60), ('S', 1)][..])] {
        let mut number = String::new();
        let mut allowed = units.iter();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            // Units in order, each at most once.
            let seconds = allowed.by_ref().find(|(u, _)| *u == c).map(|(_, s)| *s)?;
            let value: i64 = number.parse().ok()?;
            total += Duration::try_seconds(value.checked_mul(seconds)?)?;
            number.clear();
            any = true;
        }
        if !number.is_empty() {
            return None;
        }
    }
    any.then_some(if negative { -total } else { total })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    #[serde(default)]
    advance: Option<String>,
    #[serde(default)]
    set: Option<DateTime<Utc>>,
    #[serde(default)]
    reset: bool,
}

pub async fn show(State(clock): State<Arc<DevClock>>) -> Response {
    Json(view(&clock)).into_response()
}

pub async fn change(State(clock): State<Arc<DevClock>>, Json(change): Json<ClockChange>) -> Response {
    match (change.advance, change.set, change.reset) {
        (Some(text), None, false) => match parse_duration(&text) {
            Some(by) => clock.advance(by),
            None => return bad(format!("advance must be an ISO 8601 duration such as PT20M or P2DT3H, got {text:?}")),
        },
        (None, Some(at), false) => clock.set(at),
        (None, None, true) => clock.reset(),
        _ => return bad("send exactly one of advance, set or reset".into()),
    }
    tracing::info!(offset_seconds = clock.offset().num_seconds(), "dev clock moved");
    Json(view(&clock)).into_response()
}

fn view(clock: &DevClock) -> serde_json::Value {
    json!({ "now": clock.now(), "offset_seconds": clock.offset().num_seconds() })
}

fn bad(message: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": { "code": "invalid_clock_change", "message": message } }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_durations_people_type() {
        let check = |text: &str, seconds: Option<i64>| assert_eq!(parse_duration(text).map(|d| d.num_seconds()), seconds, "{text}");
        check("PT20M", Some(1_200));
        check("P2D", Some(172_800));
        check("P1DT2H30M", Some(95_400));
        check("PT90S", Some(90));
        check("-PT1H", Some(-3_600));
        check("P", None);
        check("PT", None);
        check("20M", None);
        check("PT20", None);
        check("PT1M2H", None);
        check("P1H", None);
        check("PT1.5H", None);
    }

    #[test]
    fn the_clock_moves_by_offset() {
        let clock = DevClock::default();
        let before = clock.now();
        clock.advance(Duration::minutes(20));
        assert!(clock.now() - before >= Duration::minutes(20));
        let target: DateTime<Utc> = "2031-01-01T00:00:00Z".parse().unwrap_or_default();
        clock.set(target);
        assert!((clock.now() - target).num_seconds().abs() <= 1);
        clock.reset();
        assert!((clock.now() - Utc::now()).num_seconds().abs() <= 1);
    }
}
