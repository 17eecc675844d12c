//! Shared by the emf tests: the JSON Schema from `observability/emf.schema.json`, a fixed clock, a small catalog.

#![allow(dead_code, reason = "each test binary uses part of the support module")]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use emf::{Clock, Config, DimensionValue, Document, MetricDef, Namespace, Resolution, Scope, Target, Unit};

pub const REQUESTED: MetricDef = MetricDef::new("BookingRequested", Unit::Count, Resolution::Standard, Scope::FunctionAndService);
pub const CONFIRMED: MetricDef = MetricDef::new("BookingConfirmed", Unit::Count, Resolution::Standard, Scope::FunctionAndService);
pub const COLD_START: MetricDef = MetricDef::new("ColdStart", Unit::Count, Resolution::Standard, Scope::Function);
pub const LATENCY: MetricDef = MetricDef::new("HandlerLatency", Unit::Milliseconds, Resolution::Standard, Scope::Function);
pub const BUILTINS: emf::Builtins = emf::Builtins { cold_start: COLD_START, latency: LATENCY };

pub fn target() -> Target {
    Target::new(
        Namespace::new("HarbourView/test").unwrap(),
        DimensionValue::new("booking").unwrap(),
        DimensionValue::new("payment").unwrap(),
    )
}

pub fn enabled() -> Config {
    Config::Enabled(target())
}

/// `observability/emf.schema.json`, compiled once per test binary.
pub fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../emf.schema.json");
        let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

/// Schema errors of one document (empty when valid).
pub fn schema_errors(document: &serde_json::Value) -> Vec<String> {
    schema().iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// Checks a document against the schema and the cross-reference rules; returns it parsed.
pub fn valid(document: &str) -> Document {
    let json: serde_json::Value = serde_json::from_str(document).unwrap();
    let errors = schema_errors(&json);
    assert!(errors.is_empty(), "schema errors {errors:?} in {document}");
    Document::parse(document).unwrap_or_else(|e| panic!("{e} in {document}"))
}

/// Wall clock fixed at `epoch_ms`; the monotonic clock advances `step` on every reading, so a handler's
/// measured latency is exactly `step`.
#[derive(Debug)]
pub struct FixedClock {
    pub epoch_ms: u64,
    pub step: Duration,
    readings: AtomicU64,
}

impl FixedClock {
    pub fn new(epoch_ms: u64, step: Duration) -> Self {
        FixedClock { epoch_ms, step, readings: AtomicU64::new(0) }
    }
}

impl Clock for FixedClock {
    fn epoch_millis(&self) -> u64 {
        self.epoch_ms
    }

    fn monotonic(&self) -> Duration {
        self.step * u32::try_from(self.readings.fetch_add(1, Ordering::Relaxed)).unwrap()
    }
}
