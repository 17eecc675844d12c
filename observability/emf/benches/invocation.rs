//! `cargo xtask bench emf`: what the emitter adds to one Lambda invocation — bytes written and time — against a
//! floor measured in the same run (the same handler behind the wrapper with metrics disabled), and the bare
//! handler without any wrapper. Writes the report given by `--report PATH` (default `target/bench/emf.md`).
//!
//! Documents go to a JSON-lines sink on `/dev/null`: one `write` per document, as with standard output in
//! Lambda, without a terminal's cost. A report, not a test: nothing here fails on a number.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark fails loudly")]

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use emf::{
    Builtins, Config, DimensionName, DimensionValue, Dimensions, Emitter, JsonLinesFile, MetricDef, MetricsLayer, Namespace, PropertyKey,
    Resolution, Scope, Sink, Target, Unit, metrics,
};
use lambda_runtime::{Context, LambdaEvent, service_fn};
use tower::{Layer, Service, ServiceExt};

const BUILTINS: Builtins = Builtins {
    cold_start: MetricDef::new("ColdStart", Unit::Count, Resolution::Standard, Scope::Function),
    latency: MetricDef::new("HandlerLatency", Unit::Milliseconds, Resolution::Standard, Scope::Function),
};
const REQUESTED: MetricDef = MetricDef::new("BookingRequested", Unit::Count, Resolution::Standard, Scope::FunctionAndService);
const HELD: MetricDef = MetricDef::new("HoldPlaced", Unit::Count, Resolution::Standard, Scope::FunctionAndService);
const SENT: MetricDef = MetricDef::new("NotificationSent", Unit::Count, Resolution::Standard, Scope::FunctionAndService);
const REFERENCE: PropertyKey = PropertyKey::new("bookingReference");
const CHANNEL: DimensionName = DimensionName::new("channel");

/// Counts what reaches the sink and passes it on.
#[derive(Debug)]
struct Counting {
    inner: JsonLinesFile,
    documents: AtomicU64,
    bytes: AtomicU64,
}

impl Sink for Counting {
    fn write(&self, document: &str) -> Result<(), emf::Error> {
        self.documents.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(document.len() as u64 + 1, Ordering::Relaxed);
        self.inner.write(document)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    Nothing,
    Payment,
    Notify,
    Large,
}

fn record(work: Work) {
    let m = metrics();
    match work {
        Work::Nothing => {}
        Work::Payment => {
            m.add(REQUESTED, 1.0);
            m.add(HELD, 1.0);
            m.property(REFERENCE, "HB-7K3M-Q9XD");
        }
        Work::Notify => {
            let email = Dimensions::one(CHANNEL, DimensionValue::new("email").unwrap()).unwrap();
            let sms = Dimensions::one(CHANNEL, DimensionValue::new("sms").unwrap()).unwrap();
            m.add_with(SENT, &email, 1.0);
            m.add_with(SENT, &email, 1.0);
            m.add_with(SENT, &sms, 1.0);
        }
        Work::Large => {
            static NAMES: std::sync::OnceLock<Vec<MetricDef>> = std::sync::OnceLock::new();
            let defs = NAMES.get_or_init(|| {
                (0..150)
                    .map(|i| {
                        let name: &'static str = Box::leak(format!("Metric{i:03}").into_boxed_str());
                        MetricDef::new(name, Unit::Count, Resolution::Standard, Scope::Function)
                    })
                    .collect()
            });
            for def in defs {
                m.add(*def, 1.0);
                m.add(*def, 2.0);
            }
        }
    }
}

fn sink() -> Arc<Counting> {
    Arc::new(Counting { inner: JsonLinesFile::open("/dev/null").unwrap(), documents: AtomicU64::new(0), bytes: AtomicU64::new(0) })
}

fn config(enabled: bool) -> Config {
    if !enabled {
        return Config::Disabled;
    }
    Config::Enabled(Target::new(
        Namespace::new("HarbourView/bench").unwrap(),
        DimensionValue::new("booking").unwrap(),
        DimensionValue::new("harbour-bench-payment").unwrap(),
    ))
}

struct Row {
    scenario: &'static str,
    documents: f64,
    bytes: f64,
    mean: Duration,
    p50: Duration,
    p99: Duration,
}

/// Times `iterations` invocations (after a warm-up) of `work` behind the wrapper (or bare), with a fresh emitter
/// per invocation when `cold`.
fn measure(
    runtime: &tokio::runtime::Runtime,
    scenario: &'static str,
    wrapped: bool,
    enabled: bool,
    cold: bool,
    work: Work,
    iterations: usize,
) -> Row {
    let sink = sink();
    let mut context = Context::default();
    context.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd".to_owned();
    let handler = move |_: LambdaEvent<()>| async move {
        record(work);
        Ok::<(), Infallible>(())
    };
    let mut samples = Vec::with_capacity(iterations);
    runtime.block_on(async {
        let mut emitter = Arc::new(Emitter::new(config(enabled), BUILTINS, Arc::clone(&sink)));
        let mut wrapped_service = MetricsLayer::new(Arc::clone(&emitter)).layer(service_fn(handler));
        let mut bare_service = service_fn(handler);
        for i in 0..(iterations + iterations / 10) {
            if cold {
                emitter = Arc::new(Emitter::new(config(enabled), BUILTINS, Arc::clone(&sink)));
                wrapped_service = MetricsLayer::new(Arc::clone(&emitter)).layer(service_fn(handler));
            }
            let event = LambdaEvent::new((), context.clone());
            let started = Instant::now();
            if wrapped {
                wrapped_service.ready().await.unwrap().call(event).await.unwrap();
            } else {
                bare_service.ready().await.unwrap().call(event).await.unwrap();
            }
            let elapsed = started.elapsed();
            if i == iterations / 10 {
                sink.documents.store(0, Ordering::Relaxed);
                sink.bytes.store(0, Ordering::Relaxed);
            }
            if i >= iterations / 10 {
                samples.push(elapsed);
            }
        }
    });
    samples.sort();
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<Duration>() / u32::try_from(samples.len()).unwrap();
    Row {
        scenario,
        documents: sink.documents.load(Ordering::Relaxed) as f64 / n,
        bytes: sink.bytes.load(Ordering::Relaxed) as f64 / n,
        mean,
        p50: samples[samples.len() / 2],
        p99: samples[samples.len() * 99 / 100],
    }
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok()))
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{}, {cores} cores, {}", cpu.unwrap_or_else(|| "unknown CPU".into()), memory.unwrap_or_else(|| "unknown memory".into()))
}

fn micros(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e6)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let report = args
        .iter()
        .position(|a| a == "--report")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench/emf.md"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let n = 20_000;
    let rows = [
        measure(&runtime, "bare handler, no wrapper", false, false, false, Work::Payment, n),
        measure(&runtime, "wrapper, metrics disabled (floor)", true, false, false, Work::Payment, n),
        measure(&runtime, "handler records nothing (latency only, plus a warning log)", true, true, false, Work::Nothing, n),
        measure(&runtime, "payment: 2 counters + booking reference", true, true, false, Work::Payment, n),
        measure(&runtime, "notify: 3 notifications on 2 channels", true, true, false, Work::Notify, n),
        measure(&runtime, "first invocation of a process (+ ColdStart document)", true, true, true, Work::Payment, n),
        measure(&runtime, "150 metrics x 2 values (split in 2 documents)", true, true, false, Work::Large, n / 10),
    ];
    let floor = rows[1].mean;
    let mut md = String::new();
    let _ = writeln!(md, "# EMF emitter: what it adds to one invocation\n");
    let _ =
        writeln!(md, "Machine: {}. Release build (`cargo bench -p emf --bench invocation`), one current-thread tokio runtime,", machine());
    let _ =
        writeln!(md, "{n} timed invocations per row after a 10 % warm-up (2 000 for the last row). Documents go to a JSON-lines sink on");
    let _ = writeln!(md, "`/dev/null` (one `write` per document, like standard output in Lambda). Floor: the same handler behind the");
    let _ = writeln!(md, "wrapper with `POWERTOOLS_METRICS_DISABLED=true`, measured in this run.\n");
    let _ = writeln!(md, "| scenario | documents | bytes | mean µs | p50 µs | p99 µs | mean over floor µs |");
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        let over = row.mean.as_secs_f64() - floor.as_secs_f64();
        let _ = writeln!(
            md,
            "| {} | {:.1} | {:.0} | {} | {} | {} | {:+.2} |",
            row.scenario,
            row.documents,
            row.bytes,
            micros(row.mean),
            micros(row.p50),
            micros(row.p99),
            over * 1e6
        );
    }
    let _ = writeln!(
        md,
        "\nThe warning of the \"records nothing\" row goes to the default (no-op) tracing subscriber here, so its cost is not included."
    );
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    std::fs::write(&report, &md).unwrap();
    eprint!("{md}");
    eprintln!("\nwritten to {}", report.display());
}
