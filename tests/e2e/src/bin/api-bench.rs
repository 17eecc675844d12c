//! `cargo xtask bench api`: throughput and latency of the API on this machine, round trips per request, and the
//! domain's hot paths (criterion's estimates, run just before by xtask), against the previous report.
//!
//! `api-bench <out-dir> <criterion-dir> [--quick]`. The stack runs in a process of its own (`soak-stack`, release
//! build) and this process is the load: both share the machine's cores, as the report says. The floor is
//! `GET /api/rooms` on the same stack at the same concurrency (the same function, router and HTTP path, no store
//! call), so a route's distance from its floor is what the store and the use case cost.
//!
//! Writes `api.json` (after moving the last one to `api.previous.json`) and `api.md`, whose ratio columns compare
//! with the previous run: a regression shows as a throughput ratio below 1 or a latency ratio above 1.
#![allow(clippy::print_stdout, reason = "progress for the person running the benchmark")]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use booking_e2e::round_trips::{Adapter, walk};
use booking_e2e::soak::start_stack_process;
use reqwest::StatusCode;
use serde_json::{Value, json};

const LEVELS: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
/// Moto serves one request at a time: a few levels show where it stops, which is moto's limit, not DynamoDB's.
const AWS_LEVELS: [usize; 3] = [1, 4, 16];
const ACCOUNTS: usize = 8;
const PASSWORD: &str = "bench-password";
const CRITERION: [&str; 3] = ["quote_30_nights", "availability_30_nights_20_room_types", "floor_night_counts_20_room_types"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// `GET /api/rooms`: the catalogue, no store call.
    Floor,
    /// `GET /api/availability`, 30 nights, every room type.
    Availability,
    /// `POST /api/bookings`, a fresh key, night and room each time (the success path; sold-out counted apart).
    Booking,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Floor => "floor GET /api/rooms",
            Route::Availability => "GET /api/availability (30 nights)",
            Route::Booking => "POST /api/bookings",
        }
    }
}

/// How long each level runs, and how many bookings it may make at most (the hotel's nights are finite).
#[derive(Debug, Clone, Copy)]
struct Plan {
    seconds: f64,
    max_bookings: u64,
}

struct Load {
    http: reqwest::Client,
    base: String,
    tokens: Vec<String>,
    /// Bookings made so far: each takes the next (room, night).
    booked: AtomicU64,
}

#[derive(Debug, Default)]
struct Level {
    latencies: Vec<Duration>,
    ok: u64,
    sold_out: u64,
    errors: BTreeMap<u16, u64>,
    /// Response body bytes, summed (the payload sizes the cost estimate uses).
    bytes: u64,
    seconds: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, criterion, rest @ ..] = args.as_slice() else {
        bail!("usage: api-bench <out-dir> <criterion-dir> [--quick]");
    };
    let quick = rest.iter().any(|a| a == "--quick");
    let plan = if quick { Plan { seconds: 0.5, max_bookings: 40 } } else { Plan { seconds: 2.0, max_bookings: 250 } };
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out)?;
    let stack_binary = std::env::current_exe()?.with_file_name("soak-stack");

    let machine = machine();
    println!("bench api on {}", machine["cpu"]);
    let mut round_trips = Vec::new();
    for adapter in [Adapter::Embedded, Adapter::Aws] {
        for s in walk(adapter).await {
            round_trips.push(json!({
                "adapter": adapter_name(adapter),
                "step": format!("{:?}", s.step),
                "store": s.calls.store_total(),
                "store_writes": s.calls.store_writes(),
                "provider": s.calls.provider_total(),
                "dynamodb": s.dynamodb_total(),
                "dynamodb_operations": s.dynamodb,
                "dynamodb_bytes": s.dynamodb_wire.bytes,
                "dynamodb_transact_items": s.dynamodb_wire.transact_items,
                "dynamodb_batch_keys": s.dynamodb_wire.batch_keys,
                "events": s.events,
                "messages": s.messages,
                "calls": s.calls.describe(),
            }));
        }
    }

    let mut throughput = Vec::new();
    for adapter in [Adapter::Embedded, Adapter::Aws] {
        let dir = tempfile::tempdir()?;
        let moto = match adapter {
            Adapter::Aws => Some(booking_local_aws::moto::MotoServer::start().await.context("moto")?),
            Adapter::Embedded => None,
        };
        let stack = start_stack_process(stack_binary.clone(), dir.path().to_owned(), moto.as_ref().map(|m| m.endpoint.clone()))
            .await
            .map_err(anyhow::Error::msg)?;
        let load = Arc::new(sign_in(stack.base.clone()).await);
        let levels: &[usize] = if adapter == Adapter::Aws { &AWS_LEVELS } else { &LEVELS };
        for &concurrency in levels {
            for route in [Route::Floor, Route::Availability, Route::Booking] {
                let level = run_level(&load, route, concurrency, plan).await;
                println!("{} {} c={concurrency}: {:.0} req/s", adapter_name(adapter), route.name(), rate(&level));
                throughput.push(row(adapter, route, concurrency, &level));
            }
        }
        stack.stop().await;
        drop(moto);
    }

    let criterion = criterion_estimates(Path::new(criterion));
    let report =
        json!({ "machine": machine, "quick": quick, "throughput": throughput, "round_trips": round_trips, "criterion": criterion });
    let json_path = out.join("api.json");
    let previous_path = out.join("api.previous.json");
    if json_path.exists() {
        std::fs::rename(&json_path, &previous_path)?;
    }
    let previous: Option<Value> = std::fs::read_to_string(&previous_path).ok().and_then(|t| serde_json::from_str(&t).ok());
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)?)?;
    let markdown = markdown(&report, previous.as_ref());
    std::fs::write(out.join("api.md"), &markdown)?;
    println!("{markdown}");
    Ok(())
}

fn adapter_name(adapter: Adapter) -> &'static str {
    match adapter {
        Adapter::Embedded => "embedded",
        Adapter::Aws => "aws-moto",
    }
}

/// Cores and CPU model, as the report must name them.
fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|m| m.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    // Other work on a shared machine skews every number: the 1-minute load average when the run started says how much.
    let load =
        std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| l.split_whitespace().next().map(str::to_owned)).unwrap_or_default();
    json!({ "cores": cores, "cpu": cpu, "os": std::env::consts::OS, "arch": std::env::consts::ARCH, "load_average": load })
}

async fn sign_in(base: String) -> Load {
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(30)).build().unwrap_or_default();
    let mut tokens = Vec::new();
    for a in 0..ACCOUNTS {
        let email = format!("bench{a}@example.com");
        let fields = [("name", format!("Bench {a}")), ("email", email), ("password", PASSWORD.to_owned())];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        tokens.push(booking_e2e::id_token(booking_e2e::authorize_flow(&http, &base, "signup", &fields).await));
    }
    Load { http, base, tokens, booked: AtomicU64::new(0) }
}

/// `concurrency` workers send `route` back to back for the plan's time.
async fn run_level(load: &Arc<Load>, route: Route, concurrency: usize, plan: Plan) -> Level {
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(plan.seconds);
    let cap = load.booked.load(Ordering::SeqCst) + plan.max_bookings;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let load = load.clone();
        workers.push(tokio::spawn(async move {
            let mut level = Level::default();
            while Instant::now() < until {
                let request = match route {
                    Route::Floor => load.http.get(format!("{}/api/rooms", load.base)),
                    Route::Availability => load.http.get(format!(
                        "{}/api/availability?check_in={}&check_out={}&guests=2",
                        load.base,
                        booking_e2e::day(40),
                        booking_e2e::day(70)
                    )),
                    Route::Booking => {
                        let n = load.booked.fetch_add(1, Ordering::SeqCst);
                        if n >= cap {
                            break;
                        }
                        booking(&load, n)
                    }
                };
                let sent = Instant::now();
                let answer = request.send().await;
                let status = match answer {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await.unwrap_or_default();
                        level.bytes += body.len() as u64;
                        if status == StatusCode::CONFLICT && String::from_utf8_lossy(&body).contains("sold_out") {
                            level.sold_out += 1;
                        }
                        status
                    }
                    Err(_) => StatusCode::from_u16(599).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                };
                level.latencies.push(sent.elapsed());
                if status.is_success() {
                    level.ok += 1;
                } else if status != StatusCode::CONFLICT {
                    *level.errors.entry(status.as_u16()).or_default() += 1;
                }
            }
            level
        }));
    }
    let mut all = Level::default();
    for worker in workers {
        if let Ok(level) = worker.await {
            all.latencies.extend(level.latencies);
            all.ok += level.ok;
            all.sold_out += level.sold_out;
            all.bytes += level.bytes;
            for (status, n) in level.errors {
                *all.errors.entry(status).or_default() += n;
            }
        }
    }
    all.seconds = started.elapsed().as_secs_f64();
    all
}

/// The `n`th booking of the run: one night of the classic double (10 rooms) or the deluxe king (6), each night
/// filled in turn, so the requests succeed until the hotel's year is full.
fn booking(load: &Load, n: u64) -> reqwest::RequestBuilder {
    let (room, night) = if n % 16 < 10 { ("classic-double", n / 16) } else { ("deluxe-king", n / 16) };
    let body = json!({
        "room_type": room,
        "check_in": booking_e2e::day(10 + night),
        "check_out": booking_e2e::day(11 + night),
        "guests": 1,
        "guest": { "name": "Bench Guest", "email": "bench@example.com", "notify_by": "email" }
    });
    let token = &load.tokens[(n as usize) % load.tokens.len()];
    load.http
        .post(format!("{}/api/bookings", load.base))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("bench-{n:08}-{}", std::process::id()))
        .json(&body)
}

fn rate(level: &Level) -> f64 {
    if level.seconds > 0.0 { level.latencies.len() as f64 / level.seconds } else { 0.0 }
}

fn percentile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1000.0
}

fn row(adapter: Adapter, route: Route, concurrency: usize, level: &Level) -> Value {
    let mut sorted = level.latencies.clone();
    sorted.sort();
    json!({
        "adapter": adapter_name(adapter),
        "route": route.name(),
        "concurrency": concurrency,
        "requests": sorted.len(),
        "rps": rate(level),
        "p50_ms": percentile_ms(&sorted, 0.50),
        "p99_ms": percentile_ms(&sorted, 0.99),
        "max_ms": percentile_ms(&sorted, 1.0),
        "ok": level.ok,
        "sold_out": level.sold_out,
        "response_bytes": if sorted.is_empty() { 0 } else { level.bytes / sorted.len() as u64 },
        "errors": level.errors.iter().map(|(s, n)| (s.to_string(), *n)).collect::<BTreeMap<_, _>>(),
    })
}

/// Criterion's median estimate (ns) of each domain bench, from its last run.
fn criterion_estimates(dir: &Path) -> Vec<Value> {
    CRITERION
        .iter()
        .map(|name| {
            let path = dir.join(name).join("new").join("estimates.json");
            let ns = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .and_then(|v| v["median"]["point_estimate"].as_f64());
            json!({ "name": name, "median_ns": ns })
        })
        .collect()
}

/// `now / before` as `×1.03`, or `–` without a previous value.
fn ratio(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(n), Some(b)) if b > 0.0 => format!("×{:.2}", n / b),
        _ => "–".into(),
    }
}

fn find(rows: Option<&Value>, matches: impl Fn(&Value) -> bool) -> Option<&Value> {
    rows?.as_array()?.iter().find(|r| matches(r))
}

fn markdown(report: &Value, previous: Option<&Value>) -> String {
    let mut md = String::new();
    let m = &report["machine"];
    let _ = writeln!(md, "# API benchmark\n");
    let _ = writeln!(
        md,
        "Machine: {} cores, {} ({}/{}), 1-minute load average {} at the start. The stack (`soak-stack`, release) and the load generator share these cores.{}\n",
        m["cores"],
        m["cpu"].as_str().unwrap_or("?"),
        m["os"].as_str().unwrap_or("?"),
        m["arch"].as_str().unwrap_or("?"),
        m["load_average"].as_str().unwrap_or("?"),
        if report["quick"] == true { " **Quick run: short levels, numbers are rough.**" } else { "" }
    );
    if let Some(p) = previous {
        let _ = writeln!(
            md,
            "Ratios compare with the previous run (`api.previous.json`, on {}).\n",
            p["machine"]["cpu"].as_str().unwrap_or("?")
        );
    } else {
        let _ = writeln!(md, "No previous run: ratio columns are empty.\n");
    }

    let _ = writeln!(md, "## Round trips per request, counted through the ports\n");
    let _ = writeln!(md, "Goal (issue 15): a hold in ≤ 2 store round trips and 1 Stripe call, a confirmation in ≤ 2, a read in 1.\n");
    let _ = writeln!(
        md,
        "| adapter | step | store calls | of which writes | Stripe calls | DynamoDB requests | events | messages sent | calls | store calls before |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
    for r in report["round_trips"].as_array().into_iter().flatten() {
        let before = find(previous.map(|p| &p["round_trips"]), |p| p["adapter"] == r["adapter"] && p["step"] == r["step"]);
        let dynamodb =
            if r["adapter"] == "embedded" { "–".to_owned() } else { format!("{} {}", r["dynamodb"], r["dynamodb_operations"]) };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r["adapter"].as_str().unwrap_or("?"),
            r["step"].as_str().unwrap_or("?"),
            r["store"],
            r["store_writes"],
            r["provider"],
            dynamodb,
            r["events"],
            r["messages"],
            r["calls"].as_str().unwrap_or(""),
            before.map_or("–".into(), |b| b["store"].to_string()),
        );
    }

    let _ = writeln!(md, "\n## Throughput and latency\n");
    let _ = writeln!(
        md,
        "Each level runs its workers back to back; the floor row is the same stack's `GET /api/rooms` at the same concurrency.\n"
    );
    let _ = writeln!(
        md,
        "| adapter | route | concurrency | requests | req/s | vs floor | p50 ms | p99 ms | max ms | ok | sold out | errors | body bytes | req/s ratio | p99 ratio |"
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let rows = report["throughput"].as_array().cloned().unwrap_or_default();
    for r in &rows {
        let floor =
            rows.iter().find(|f| f["adapter"] == r["adapter"] && f["concurrency"] == r["concurrency"] && f["route"] == Route::Floor.name());
        let before = find(previous.map(|p| &p["throughput"]), |p| {
            p["adapter"] == r["adapter"] && p["route"] == r["route"] && p["concurrency"] == r["concurrency"]
        });
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} | {} |",
            r["adapter"].as_str().unwrap_or("?"),
            r["route"].as_str().unwrap_or("?"),
            r["concurrency"],
            r["requests"],
            r["rps"].as_f64().unwrap_or(0.0),
            ratio(r["rps"].as_f64(), floor.and_then(|f| f["rps"].as_f64())),
            r["p50_ms"].as_f64().unwrap_or(0.0),
            r["p99_ms"].as_f64().unwrap_or(0.0),
            r["max_ms"].as_f64().unwrap_or(0.0),
            r["ok"],
            r["sold_out"],
            r["errors"],
            r["response_bytes"],
            ratio(r["rps"].as_f64(), before.and_then(|b| b["rps"].as_f64())),
            ratio(r["p99_ms"].as_f64(), before.and_then(|b| b["p99_ms"].as_f64())),
        );
    }
    let _ = writeln!(md, "\n### Saturation\n");
    for adapter in ["embedded", "aws-moto"] {
        for route in [Route::Floor, Route::Availability, Route::Booking] {
            let series: Vec<&Value> = rows.iter().filter(|r| r["adapter"] == adapter && r["route"] == route.name()).collect();
            let best = series.iter().max_by(|a, b| a["rps"].as_f64().unwrap_or(0.0).total_cmp(&b["rps"].as_f64().unwrap_or(0.0)));
            if let Some(best) = best {
                let _ = writeln!(
                    md,
                    "- {adapter}, {}: peak {:.0} req/s at concurrency {} (p99 {:.1} ms there)",
                    route.name(),
                    best["rps"].as_f64().unwrap_or(0.0),
                    best["concurrency"],
                    best["p99_ms"].as_f64().unwrap_or(0.0)
                );
            }
        }
    }

    let _ = writeln!(md, "\n## Domain hot paths (criterion, median)\n");
    let _ = writeln!(md, "| bench | median µs | ratio |");
    let _ = writeln!(md, "|---|---|---|");
    for c in report["criterion"].as_array().into_iter().flatten() {
        let before = find(previous.map(|p| &p["criterion"]), |p| p["name"] == c["name"]);
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            c["name"].as_str().unwrap_or("?"),
            c["median_ns"].as_f64().map_or("not run".into(), |ns| format!("{:.2}", ns / 1000.0)),
            ratio(c["median_ns"].as_f64(), before.and_then(|b| b["median_ns"].as_f64())),
        );
    }
    md
}
