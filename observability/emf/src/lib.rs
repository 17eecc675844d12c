//! CloudWatch Embedded Metric Format (EMF) for Rust Lambdas, complete where the published crates are not:
//! every unit under its exact name, `StorageResolution`, documents split at the specification's limits (100
//! metrics per document, 100 values per metric, 30 dimensions per set) without dropping a value, and
//! Powertools' conventions — one flush per invocation through a wrapper ([`MetricsLayer`]), default dimensions
//! `service` and `function`, ids as properties never as dimensions, `ColdStart` in its own document, a warning
//! when a handler recorded nothing, and the `POWERTOOLS_*` variables ([`Config::from_env`]).
//!
//! The crate knows no metric by name: the caller's catalog supplies [`MetricDef`]s (including the two the
//! emitter records itself, [`Builtins`]). Documents go to a [`Sink`]: standard output in Lambda, a JSON-lines
//! file locally, memory for readers in the same process. [`Document::parse`] reads one back and checks it as
//! CloudWatch would.
//!
//! *Invariants:* a written document is valid per the specification (`observability/emf.schema.json` plus the
//! cross-reference rules of [`parse`]); recording never fails the handler; nothing is written when disabled.

mod clock;
mod config;
mod document;
mod emitter;
mod layer;
mod metric;
mod name;
pub mod parse;
mod sink;
mod unit;

pub use clock::{Clock, SystemClock};
pub use config::{Config, DISABLED_VAR, FUNCTION_VAR, LAMBDA_FUNCTION_VAR, NAMESPACE_VAR, SERVICE_VAR, Target};
pub use document::{MAX_METRICS_PER_DOCUMENT, MAX_VALUES_PER_METRIC, MetricSet};
pub use emitter::{Builtins, Emitter, Invocation, Metrics, REQUEST_ID};
pub use layer::{Instrumented, MetricsLayer, RequestId, WithMetrics, metrics};
pub use metric::{Dimensions, FUNCTION, MAX_DIMENSIONS_PER_SET, MAX_EXTRA_DIMENSIONS, MetricDef, SERVICE, Scope};
pub use name::{DimensionName, DimensionValue, MAX_DIMENSION_VALUE_LEN, MAX_NAME_LEN, MetricName, Namespace, PropertyKey};
pub use parse::{Datum, Document};
pub use sink::{JsonLinesFile, Memory, Sink, Stdout};
pub use unit::{Resolution, Unit};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("a dimension value must be 1 to 1024 printable ASCII characters, not all spaces (got {length} bytes)")]
    InvalidDimensionValue { length: usize },
    #[error("`{0}` is not a CloudWatch namespace (1 to 255 of 0-9 A-Z a-z . - _ / # : and space, not starting with AWS/)")]
    InvalidNamespace(String),
    #[error("{count} dimensions in one set; EMF allows at most 30")]
    TooManyDimensions { count: usize },
    #[error("dimension `{0}` given twice (or it is one of the defaults, service and function)")]
    DuplicateDimension(&'static str),
    #[error("{0} is not set")]
    MissingVariable(&'static str),
    #[error("{name} is invalid: {reason}")]
    InvalidVariable { name: &'static str, reason: String },
    #[error("could not open the metrics file {path}: {source}")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("could not write an EMF document: {0}")]
    Write(std::io::Error),
    #[error("not a valid EMF document: {0}")]
    InvalidDocument(String),
}
