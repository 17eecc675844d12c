//! One flush per invocation, as Powertools does it: an [`Invocation`] collects what the handler records through
//! its [`Metrics`] handle and writes every document when it ends — when [`Invocation::finish`] is called or, if
//! the handler panicked or was cancelled, when it is dropped. The handler's own latency is added to every
//! invocation, the first invocation of a process also writes a `ColdStart` document of its own (so cold starts
//! never split the business metrics into a second series), and an invocation whose handler recorded nothing
//! logs a warning, because a handler that should count something and did not is the bug this catches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Target};
use crate::document::MetricSet;
use crate::metric::{Dimensions, MetricDef};
use crate::name::PropertyKey;
use crate::sink::Sink;

/// The Lambda request id, on every document: the link from a metric to the invocation's logs.
pub const REQUEST_ID: PropertyKey = PropertyKey::new("requestId");

/// The two metrics the emitter records by itself; they come from the caller's catalog like every other metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtins {
    /// Written once per process, value 1, in a document of its own.
    pub cold_start: MetricDef,
    /// Written once per invocation: the handler's wall time in milliseconds.
    pub latency: MetricDef,
}

/// Turns recorded metrics into documents for a sink. One per process, shared by every invocation.
#[derive(Debug)]
pub struct Emitter {
    config: Config,
    builtins: Builtins,
    sink: Box<dyn Sink>,
    clock: Box<dyn Clock>,
    cold: AtomicBool,
}

impl Emitter {
    pub fn new(config: Config, builtins: Builtins, sink: impl Sink + 'static) -> Self {
        Emitter { config, builtins, sink: Box::new(sink), clock: Box::new(SystemClock::new()), cold: AtomicBool::new(true) }
    }

    /// Replaces the system clock (fixed timestamps and latencies in snapshots and benchmarks).
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Starts an invocation. Its documents are written when it finishes or is dropped.
    pub fn start(self: &Arc<Self>, request_id: Option<&str>) -> Invocation {
        Invocation {
            emitter: Arc::clone(self),
            metrics: Metrics::attached(),
            request_id: request_id.map(str::to_owned),
            timestamp_ms: self.clock.epoch_millis(),
            started: self.clock.monotonic(),
            finished: false,
        }
    }

    /// Runs `future` as one invocation: [`metrics()`](crate::metrics) inside it records into this invocation,
    /// and its documents are written when it completes. For hosts that call a handler directly (the local stack)
    /// rather than through [`MetricsLayer`](crate::MetricsLayer).
    pub async fn instrument<F: Future>(self: &Arc<Self>, request_id: Option<&str>, future: F) -> F::Output {
        let invocation = self.start(request_id);
        let output = crate::layer::CURRENT.scope(invocation.metrics(), future).await;
        invocation.finish();
        output
    }

    fn flush(&self, set: MetricSet, request_id: Option<&str>, timestamp_ms: u64, elapsed: Duration) -> usize {
        let Config::Enabled(target) = &self.config else {
            return 0;
        };
        if set.is_empty() {
            tracing::warn!(request_id, "invocation recorded no application metrics");
        }
        let mut set = set;
        let mut documents = Vec::new();
        if self.cold.swap(false, Ordering::Relaxed) {
            let mut cold = MetricSet::new();
            cold.add(self.builtins.cold_start, &Dimensions::none(), 1.0);
            with_request_id(&mut cold, request_id);
            documents.extend(cold.documents(target, timestamp_ms));
        }
        set.add(self.builtins.latency, &Dimensions::none(), elapsed.as_secs_f64() * 1000.0);
        with_request_id(&mut set, request_id);
        documents.extend(set.documents(target, timestamp_ms));
        self.write(target, &documents);
        documents.len()
    }

    fn write(&self, target: &Target, documents: &[String]) {
        for document in documents {
            if let Err(error) = self.sink.write(document) {
                tracing::error!(%error, namespace = %target.namespace(), "could not write an EMF document");
            }
        }
    }
}

fn with_request_id(set: &mut MetricSet, request_id: Option<&str>) {
    if let Some(id) = request_id {
        set.set_property(REQUEST_ID, Value::String(id.to_owned()));
    }
}

/// One handler invocation in progress.
#[derive(Debug)]
pub struct Invocation {
    emitter: Arc<Emitter>,
    metrics: Metrics,
    request_id: Option<String>,
    timestamp_ms: u64,
    started: Duration,
    finished: bool,
}

impl Invocation {
    /// The handle the handler records through (cheap to clone; all clones record into this invocation).
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Writes this invocation's documents; returns how many.
    pub fn finish(mut self) -> usize {
        self.flush()
    }

    fn flush(&mut self) -> usize {
        if std::mem::replace(&mut self.finished, true) {
            return 0;
        }
        let elapsed = self.emitter.clock.monotonic().saturating_sub(self.started);
        let set = self.metrics.take();
        self.emitter.flush(set, self.request_id.as_deref(), self.timestamp_ms, elapsed)
    }
}

impl Drop for Invocation {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Records metrics and properties into the current invocation. Outside any invocation (a detached handle)
/// it records nothing.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    set: Option<Arc<Mutex<MetricSet>>>,
}

impl Metrics {
    fn attached() -> Self {
        Metrics { set: Some(Arc::new(Mutex::new(MetricSet::new()))) }
    }

    /// A handle that records nothing (what [`metrics()`](crate::metrics) returns outside an invocation).
    pub fn detached() -> Self {
        Metrics { set: None }
    }

    pub fn is_detached(&self) -> bool {
        self.set.is_none()
    }

    /// Adds one value under the default dimensions.
    pub fn add(&self, metric: impl Into<MetricDef>, value: f64) {
        self.add_with(metric, &Dimensions::none(), value);
    }

    /// Adds one value under the default dimensions plus `dimensions`. A NaN or infinite value is not recorded
    /// (JSON cannot carry it) and is logged.
    pub fn add_with(&self, metric: impl Into<MetricDef>, dimensions: &Dimensions, value: f64) {
        let metric = metric.into();
        if let Some(mut set) = self.lock()
            && !set.add(metric, dimensions, value)
        {
            tracing::warn!(metric = metric.name(), "a metric value that is not a finite number was not recorded");
        }
    }

    /// Sets a property (searchable in Logs Insights, never a dimension) on every document of the invocation.
    pub fn property(&self, key: PropertyKey, value: impl Into<Value>) {
        if let Some(mut set) = self.lock() {
            set.set_property(key, value.into());
        }
    }

    fn take(&self) -> MetricSet {
        self.lock().map(|mut set| std::mem::take(&mut *set)).unwrap_or_default()
    }

    fn lock(&self) -> Option<MutexGuard<'_, MetricSet>> {
        self.set.as_ref().map(|set| set.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}
