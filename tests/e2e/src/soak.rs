//! The load and crash soak: a few hundred guests racing for a few rooms on the whole stack, running as a process
//! of its own (`soak-stack`) that is SIGKILLed and started again on the same data directory in the middle, while
//! the dev clock moves on and the sweeper expires unpaid holds. Afterwards it checks what the product promises
//! per night and room type, per guest, per payment and per message (see [`Report::violations`]).
//!
//! Guests keep their side of every conversation: a request cut off by a kill is retried with the same
//! idempotency key once the stack is back, as a browser would. A 5xx or a refused connection counts as a
//! violation only when the stack was up for the whole request.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::{CARD_DECLINED, CARD_NO_FUNDS, CARD_OK};

/// The room types the guests race for: few rooms each, so they sell out.
const ROOMS: [&str; 3] = ["garden-single", "family-suite", "deluxe-king"];
/// Stays start this many days ahead (within the free-cancellation window), over a few overlapping nights.
const FIRST_DAY: u64 = 20;
const START_DAYS: u64 = 5;
/// Stays are 2 or 3 nights (some room types have a two-night minimum).
const MIN_NIGHTS: u64 = 2;
const MAX_NIGHTS: u64 = 3;
/// Far enough ahead that nobody books it: what the hotel has of each room type.
const UNTOUCHED_DAY: u64 = 300;
const PASSWORD: &str = "soak-password";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The embedded store and outbox file in the data directory.
    Embedded,
    /// DynamoDB and SNS on moto (which outlives the stack's kills, as AWS would).
    Aws,
}

#[derive(Debug, Clone)]
pub struct SoakConfig {
    pub mode: Mode,
    pub guests: usize,
    /// Guests share accounts (signing up hashes a password, which is slow on purpose).
    pub accounts: usize,
    /// How long new guests keep arriving; the kills fall inside this window.
    pub arrivals: Duration,
    pub kills: usize,
    /// How often a guest looks at a held booking (moto needs it gentler than the embedded store).
    pub poll_every: Duration,
    /// The `soak-stack` binary.
    pub stack_binary: PathBuf,
}

/// One night of one room type after the run.
#[derive(Debug, Clone)]
pub struct NightRow {
    pub room_type: String,
    pub night: NaiveDate,
    pub inventory: u64,
    pub confirmed: u64,
    pub held: u64,
    /// What `GET /api/availability` says is free: must be inventory − confirmed − held.
    pub available: u64,
}

#[derive(Debug, Default)]
pub struct Report {
    pub guests: usize,
    pub requests: u64,
    pub kills: usize,
    pub five_xx_while_up: u64,
    pub refused_while_up: u64,
    /// Requests cut off or refused while the stack was down (each retried).
    pub failed_while_down: u64,
    /// Guests by how their attempt ended (`confirmed`, `sold_out`, `declined`, …).
    pub outcomes: BTreeMap<String, usize>,
    pub refunds: usize,
    pub messages: usize,
    /// Copies of a message already sent, each from a notification a kill cut off between send and record.
    pub duplicates: usize,
    pub nights: Vec<NightRow>,
    pub violations: Vec<String>,
    pub seconds: f64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "soak: {} guests, {} requests, {} kills, 5xx while up {}, refused while up {}, failed while down {}, {:.1} s",
            self.guests, self.requests, self.kills, self.five_xx_while_up, self.refused_while_up, self.failed_while_down, self.seconds
        )?;
        writeln!(
            f,
            "outcomes: {:?}; refunds {}; messages {} ({} of them copies resent after a kill)",
            self.outcomes, self.refunds, self.messages, self.duplicates
        )?;
        writeln!(f, "| room type | night | inventory | confirmed | held | available | ok |")?;
        writeln!(f, "|---|---|---|---|---|---|---|")?;
        for n in &self.nights {
            let ok = n.confirmed + n.held <= n.inventory && n.available + n.confirmed + n.held == n.inventory;
            writeln!(
                f,
                "| {} | {} | {} | {} | {} | {} | {} |",
                n.room_type,
                n.night,
                n.inventory,
                n.confirmed,
                n.held,
                n.available,
                if ok { "yes" } else { "NO" }
            )?;
        }
        for v in &self.violations {
            writeln!(f, "VIOLATION: {v}")?;
        }
        Ok(())
    }
}

/// The stack's process, and whether it is up. `epoch` is even while it is up and odd while it is down, so a
/// request can tell whether the stack went down while it was in flight.
struct Supervisor {
    binary: PathBuf,
    data_dir: PathBuf,
    port: u16,
    aws_endpoint: Option<String>,
    clock_offset_ms: AtomicI64,
    epoch: AtomicU64,
    child: Mutex<Option<Killed>>,
}

/// A child process that is SIGKILLed when dropped (a failing test leaves no stack behind).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Supervisor {
    async fn start(&self) -> Result<(), String> {
        let mut command = std::process::Command::new(&self.binary);
        command
            .arg(&self.data_dir)
            .arg(self.port.to_string())
            .arg(self.clock_offset_ms.load(Ordering::SeqCst).to_string())
            .args(self.aws_endpoint.iter())
            .stdout(std::process::Stdio::piped());
        let mut child = Killed(command.spawn().map_err(|e| format!("spawn {}: {e}", self.binary.display()))?);
        let stdout = child.0.stdout.take().ok_or("no stdout")?;
        let ready = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
        });
        let ready = tokio::time::timeout(Duration::from_secs(60), ready).await;
        if !matches!(ready, Ok(Ok(Ok(ref line))) if line.trim() == "ready") {
            return Err(format!("the stack did not start: {ready:?}"));
        }
        *self.child.lock().await = Some(child);
        self.epoch.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// SIGKILL: no graceful shutdown, no last outbox pass, no webhook drain.
    async fn kill(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        // Dropping it sends SIGKILL and reaps it.
        drop(self.child.lock().await.take());
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    five_xx_while_up: AtomicU64,
    refused_while_up: AtomicU64,
    failed_while_down: AtomicU64,
    problems: std::sync::Mutex<Vec<String>>,
}

struct Ctx {
    http: reqwest::Client,
    /// For the dev outbox page only. On the AWS adapters it reads moto's whole state (`/moto-api/data.json`), and
    /// moto keeps every model instance it ever made (each DynamoDB write makes a new item): after a 200-guest run
    /// one dump outlasted the 30 s every product request gets (three "no answer while up" on `outbox`, every
    /// booking and money invariant held). An emulator's cost, not the product's: this read gets 5 minutes, and a
    /// slow one is reported.
    dump_http: reqwest::Client,
    base: String,
    sup: Supervisor,
    counters: Counters,
    publishable_key: String,
    secret_key: String,
    accounts: Vec<Account>,
    poll_every: Duration,
    /// Guests stop waiting for their booking's outcome after this.
    give_up_at: Mutex<Instant>,
}

struct Account {
    email: String,
    token: Mutex<String>,
}

impl Ctx {
    fn problem(&self, text: String) {
        self.counters.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(text);
    }

    /// Sends until an answer comes from a stack that stayed up, retrying what a kill cut off.
    async fn send(&self, what: &str, make: impl Fn() -> reqwest::RequestBuilder) -> (StatusCode, Value) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let before = self.sup.epoch();
            let result = async {
                let response = make().send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
            }
            .await;
            let after = self.sup.epoch();
            let up = before == after && before.is_multiple_of(2);
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            match result {
                Ok((status, body)) if status.is_server_error() && up => {
                    self.counters.five_xx_while_up.fetch_add(1, Ordering::Relaxed);
                    self.problem(format!("{what}: {status} while the stack was up: {body}"));
                    return (status, body);
                }
                Ok((status, body)) if !status.is_server_error() => return (status, body),
                Ok(_) => {
                    self.counters.failed_while_down.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if up => {
                    self.counters.refused_while_up.fetch_add(1, Ordering::Relaxed);
                    self.problem(format!("{what}: no answer while the stack was up: {e}"));
                }
                Err(_) => {
                    self.counters.failed_while_down.fetch_add(1, Ordering::Relaxed);
                }
            }
            if Instant::now() > deadline {
                self.problem(format!("{what}: gave up after two minutes of retries"));
                return (StatusCode::SERVICE_UNAVAILABLE, Value::Null);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs `account` in again (tokens expire as the dev clock moves), unless another guest already did.
    async fn refresh_token(&self, account: &Account, stale: &str) {
        let mut token = account.token.lock().await;
        if *token != stale {
            return;
        }
        for _ in 0..600 {
            let (http, base, email) = (self.http.clone(), self.base.clone(), account.email.clone());
            let flow = async move { crate::authorize_flow(&http, &base, "login", &[("email", &email), ("password", PASSWORD)]).await };
            // The flow asserts each step; a kill in the middle of it is retried as a whole.
            if let Ok(tokens) = tokio::spawn(flow).await {
                *token = crate::id_token(tokens);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.problem(format!("could not sign {} in again", account.email));
    }

    /// An authenticated call, signing in again on a 401 from an expired token.
    async fn authed(&self, what: &str, account: &Account, make: impl Fn(&str) -> reqwest::RequestBuilder) -> (StatusCode, Value) {
        for _ in 0..3 {
            let token = account.token.lock().await.clone();
            let (status, body) = self.send(what, || make(&token)).await;
            if status != StatusCode::UNAUTHORIZED {
                return (status, body);
            }
            self.refresh_token(account, &token).await;
        }
        self.problem(format!("{what}: still 401 after signing in again"));
        (StatusCode::UNAUTHORIZED, Value::Null)
    }

    async fn intent(&self, id: &str) -> Value {
        // The refunds are on the charge.
        let url = format!("{}/stripe/v1/payment_intents/{id}?expand[]=latest_charge", self.base);
        self.send("retrieve intent", || self.http.get(&url).bearer_auth(&self.secret_key)).await.1
    }

    async fn available(&self, check_in: NaiveDate, nights: u64) -> BTreeMap<String, u64> {
        let url = format!("{}/api/availability?check_in={check_in}&check_out={}&guests=1", self.base, check_in + chrono::Days::new(nights));
        let (status, view) = self.send("availability", || self.http.get(&url)).await;
        if status != StatusCode::OK {
            self.problem(format!("availability {check_in}: {status} {view}"));
        }
        view["rooms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| Some((r["room_type"].as_str()?.to_owned(), r["available"].as_u64()?)))
            .collect()
    }
}

fn mix(mut x: u64) -> u64 {
    // splitmix64: a guest's plan from its number, the same in every run.
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    Ok,
    Declined,
    NoFunds,
    /// Never pays: the hold must expire.
    Abandons,
}

/// What a guest did and was told.
#[derive(Debug, Clone)]
struct Guest {
    account: usize,
    card: Card,
    reference: Option<String>,
    intent_id: Option<String>,
    total: i64,
    outcome: &'static str,
    told_confirmed: bool,
    refund_told: Option<i64>,
}

async fn guest(ctx: Arc<Ctx>, n: usize, start_in: Duration) -> Guest {
    tokio::time::sleep(start_in).await;
    let h = mix(n as u64);
    let room = ROOMS[(h % 3) as usize];
    let check_in = FIRST_DAY + (h >> 8) % START_DAYS;
    let nights = MIN_NIGHTS + (h >> 16) % (MAX_NIGHTS - MIN_NIGHTS + 1);
    let card = match (h >> 24) % 10 {
        0..=5 => Card::Ok,
        6 => Card::Declined,
        7 => Card::NoFunds,
        _ => Card::Abandons,
    };
    let cancels = (h >> 32).is_multiple_of(4);
    let account_index = n % ctx.accounts.len();
    let account = &ctx.accounts[account_index];
    let mut g = Guest {
        account: account_index,
        card,
        reference: None,
        intent_id: None,
        total: 0,
        outcome: "",
        told_confirmed: false,
        refund_told: None,
    };
    let body = json!({
        "room_type": room, "check_in": crate::day(check_in), "check_out": crate::day(check_in + nights), "guests": 1,
        "guest": { "name": format!("Soak Guest {n}"), "email": account.email, "phone": "+14155550100", "notify_by": "both" }
    });
    let url = format!("{}/api/bookings", ctx.base);
    let key = format!("soak-guest-{n:05}");
    let (status, created) =
        ctx.authed("book", account, |t| ctx.http.post(&url).bearer_auth(t).header("Idempotency-Key", &key).json(&body)).await;
    match status {
        StatusCode::CREATED => {}
        StatusCode::CONFLICT if created["error"]["code"] == "sold_out" => {
            g.outcome = "sold_out";
            return g;
        }
        other => {
            ctx.problem(format!("guest {n}: booking answered {other}: {created}"));
            g.outcome = "booking_refused";
            return g;
        }
    }
    let Some(reference) = created["booking"]["reference"].as_str().map(str::to_owned) else {
        ctx.problem(format!("guest {n}: no reference in {created}"));
        return g;
    };
    g.reference = Some(reference.clone());
    g.intent_id = created["payment"]["intent_id"].as_str().map(str::to_owned);
    g.total = created["booking"]["total"]["minor"].as_i64().unwrap_or(0);
    let number = match card {
        Card::Ok => Some(CARD_OK),
        Card::Declined => Some(CARD_DECLINED),
        Card::NoFunds => Some(CARD_NO_FUNDS),
        Card::Abandons => None,
    };
    if let Some(number) = number {
        let (status, answer) =
            ctx.send("pay", || crate::pay_request(&ctx.http, &ctx.base, &ctx.publishable_key, &created["payment"], number)).await;
        let expected = match card {
            Card::Ok => [StatusCode::OK, StatusCode::BAD_REQUEST],
            _ => [StatusCode::PAYMENT_REQUIRED, StatusCode::BAD_REQUEST],
        };
        // 400: the hold expired first, or a retry after a kill found the intent already confirmed.
        if !expected.contains(&status) {
            ctx.problem(format!("guest {n}: paying answered {status}: {answer}"));
        }
    }
    // Wait for the outcome the way the site does: poll the booking.
    let path = format!("{}/api/bookings/{reference}", ctx.base);
    let state = loop {
        let (status, view) = ctx.authed("read booking", account, |t| ctx.http.get(&path).bearer_auth(t)).await;
        if status != StatusCode::OK {
            ctx.problem(format!("guest {n}: reading the booking answered {status}: {view}"));
            break "unreadable".to_owned();
        }
        let state = view["state"].as_str().unwrap_or("").to_owned();
        if state != "held" || Instant::now() > *ctx.give_up_at.lock().await {
            break state;
        }
        tokio::time::sleep(ctx.poll_every).await;
    };
    g.outcome = match state.as_str() {
        "confirmed" => "confirmed",
        "released" => "released",
        "expired" => "expired",
        "held" => "still_held",
        _ => {
            ctx.problem(format!("guest {n}: booking ended {state}"));
            "other"
        }
    };
    g.told_confirmed = state == "confirmed";
    if g.told_confirmed && cancels {
        let url = format!("{}/api/bookings/{reference}/cancel", ctx.base);
        let (status, view) = ctx.authed("cancel", account, |t| ctx.http.post(&url).bearer_auth(t).json(&json!({}))).await;
        if status == StatusCode::OK {
            g.refund_told = view["refund"]["minor"].as_i64();
            g.outcome = "cancelled";
        } else {
            ctx.problem(format!("guest {n}: cancelling answered {status}: {view}"));
        }
    }
    g
}

/// The dev clock moves a minute a second (tokens expire, unpaid holds run out), and the stack is killed and
/// started again `kills` times, evenly through the arrivals.
async fn chaos(ctx: Arc<Ctx>, arrivals: Duration, kills: usize) -> usize {
    let started = Instant::now();
    let mut next_kill = 1;
    let mut killed = 0;
    while started.elapsed() < arrivals {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let url = format!("{}/dev/clock", ctx.base);
        let (status, _) = ctx.send("clock", || ctx.http.post(&url).json(&json!({"advance": "PT1M"}))).await;
        if status == StatusCode::OK {
            ctx.sup.clock_offset_ms.fetch_add(60_000, Ordering::SeqCst);
        }
        if next_kill <= kills && started.elapsed() >= arrivals.mul_f64(next_kill as f64 / (kills + 1) as f64) {
            ctx.sup.kill().await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut started_again = Err(String::new());
            for _ in 0..3 {
                started_again = ctx.sup.start().await;
                if started_again.is_ok() {
                    break;
                }
            }
            if let Err(e) = started_again {
                ctx.problem(format!("restart {next_kill}: {e}"));
            }
            next_kill += 1;
            killed += 1;
        }
    }
    killed
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// The stack in a process of its own (the `soak-stack` binary) on a fresh port, SIGKILLed when dropped: the
/// server `cargo xtask bench api` measures, so the load generator is not in its process.
pub struct StackProcess {
    sup: Supervisor,
    pub base: String,
}

impl fmt::Debug for StackProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackProcess").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Starts `binary` on `data_dir`, with the AWS adapters against `aws_endpoint` when given.
pub async fn start_stack_process(binary: PathBuf, data_dir: PathBuf, aws_endpoint: Option<String>) -> Result<StackProcess, String> {
    let port = free_port()?;
    let sup = Supervisor {
        binary,
        data_dir,
        port,
        aws_endpoint,
        clock_offset_ms: AtomicI64::new(0),
        epoch: AtomicU64::new(1),
        child: Mutex::new(None),
    };
    sup.start().await?;
    Ok(StackProcess { sup, base: format!("http://127.0.0.1:{port}") })
}

impl StackProcess {
    pub async fn stop(self) {
        self.sup.kill().await;
    }
}

/// Runs the soak and checks the invariants; the report lists every violation found (none on a healthy product).
pub async fn run(config: SoakConfig) -> Result<Report, String> {
    let started = Instant::now();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let moto = match config.mode {
        Mode::Aws => Some(booking_local_aws::moto::MotoServer::start().await.map_err(|e| e.to_string())?),
        Mode::Embedded => None,
    };
    let port = free_port()?;
    let sup = Supervisor {
        binary: config.stack_binary.clone(),
        data_dir: dir.path().to_owned(),
        port,
        aws_endpoint: moto.as_ref().map(|m| m.endpoint.clone()),
        clock_offset_ms: AtomicI64::new(0),
        epoch: AtomicU64::new(1),
        child: Mutex::new(None),
    };
    sup.start().await?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let secrets: Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("local-secrets.json")).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let mut accounts = Vec::new();
    for a in 0..config.accounts {
        let email = format!("soak{a}@example.com");
        let tokens =
            crate::authorize_flow(&http, &base, "signup", &[("name", &format!("Soak {a}")), ("email", &email), ("password", PASSWORD)])
                .await;
        accounts.push(Account { email, token: Mutex::new(crate::id_token(tokens)) });
    }
    let dump_http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(300))
        .build()
        .map_err(|e| e.to_string())?;
    let ctx = Arc::new(Ctx {
        http,
        dump_http,
        base,
        sup,
        counters: Counters::default(),
        publishable_key: secrets["stripe_publishable_key"].as_str().unwrap_or_default().to_owned(),
        secret_key: secrets["stripe_secret_key"].as_str().unwrap_or_default().to_owned(),
        accounts,
        poll_every: config.poll_every,
        give_up_at: Mutex::new(Instant::now() + Duration::from_secs(3600)),
    });
    let inventory = ctx.available(day(UNTOUCHED_DAY), 1).await;

    let mut guests = Vec::new();
    for n in 0..config.guests {
        let start_in = config.arrivals.mul_f64(n as f64 / config.guests as f64);
        guests.push(tokio::spawn(guest(ctx.clone(), n, start_in)));
    }
    let kills = chaos(ctx.clone(), config.arrivals, config.kills).await;
    // Whatever is still unpaid runs out now; the sweeper gives it back.
    let url = format!("{}/dev/clock", ctx.base);
    ctx.send("clock", || ctx.http.post(&url).json(&json!({"advance": "PT20M"}))).await;
    *ctx.give_up_at.lock().await = Instant::now() + Duration::from_secs(30);
    let mut records = Vec::new();
    for g in guests {
        records.push(g.await.map_err(|e| format!("a guest panicked: {e}"))?);
    }
    let mut report = check(&ctx, &records, &inventory).await;
    report.kills = kills;
    report.guests = config.guests;
    report.requests = ctx.counters.requests.load(Ordering::SeqCst);
    report.five_xx_while_up = ctx.counters.five_xx_while_up.load(Ordering::SeqCst);
    report.refused_while_up = ctx.counters.refused_while_up.load(Ordering::SeqCst);
    report.failed_while_down = ctx.counters.failed_while_down.load(Ordering::SeqCst);
    let mut problems = std::mem::take(&mut *ctx.counters.problems.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    problems.append(&mut report.violations);
    report.violations = problems;
    if kills < config.kills {
        report.violations.push(format!("only {kills} of {} kills happened", config.kills));
    }
    // A kill can cut off at most the one batch the dispatcher was sending (25 events, each at most two guest
    // messages and a staff event); more copies than that means something resends without a crash.
    if report.duplicates > kills * DISPATCH_BATCH * 3 {
        report.violations.push(format!("{} copies of messages after {kills} kills", report.duplicates));
    }
    ctx.sup.kill().await;
    drop(moto);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn day(days: u64) -> NaiveDate {
    chrono::Utc::now().date_naive() + chrono::Days::new(days)
}

/// Events the local dispatcher hands `notify` per pass (`devstack::background::dispatch_once`).
const DISPATCH_BATCH: usize = 25;

/// The outbox once it has stopped growing. The dispatcher runs every 200 ms, but an event whose notification a kill
/// cut off waits for its idempotency lease (60 s of the dev clock, about a second here) before it is sent again, and
/// a loaded machine stretches both: five quiet seconds in a row, not one.
async fn settled_outbox(ctx: &Ctx) -> Vec<Value> {
    const QUIET_POLLS: usize = 5;
    let url = format!("{}/dev/outbox.json", ctx.base);
    let mut last = None;
    let mut quiet = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let started = Instant::now();
        let (_, all) = ctx.send("outbox", || ctx.dump_http.get(&url)).await;
        if started.elapsed() > Duration::from_secs(10) {
            eprintln!("soak: the dev outbox page took {:.0?} (moto's state dump)", started.elapsed());
        }
        let all = all.as_array().cloned().unwrap_or_default();
        quiet = if last == Some(all.len()) { quiet + 1 } else { 0 };
        if quiet >= QUIET_POLLS {
            return all;
        }
        last = Some(all.len());
    }
}

async fn check(ctx: &Ctx, guests: &[Guest], inventory: &BTreeMap<String, u64>) -> Report {
    let mut report = Report::default();
    let mut v = Vec::new();
    // Every booking of every account, as the guests see them.
    let mut bookings = Vec::new();
    let url = format!("{}/api/bookings", ctx.base);
    for account in &ctx.accounts {
        let (status, mine) = ctx.authed("list bookings", account, |t| ctx.http.get(&url).bearer_auth(t)).await;
        if status != StatusCode::OK {
            v.push(format!("listing {}'s bookings answered {status}", account.email));
        }
        bookings.extend(mine["bookings"].as_array().cloned().unwrap_or_default());
    }
    let by_reference: BTreeMap<String, Value> =
        bookings.iter().filter_map(|b| Some((b["reference"].as_str()?.to_owned(), b.clone()))).collect();

    // Per night and room type: confirmed + held ≤ inventory, and the counters agree with the bookings.
    for offset in 0..START_DAYS + MAX_NIGHTS {
        let night = day(FIRST_DAY + offset);
        let available = ctx.available(night, 1).await;
        for room in ROOMS {
            let mut row = NightRow {
                room_type: room.to_owned(),
                night,
                inventory: inventory.get(room).copied().unwrap_or(0),
                confirmed: 0,
                held: 0,
                available: available.get(room).copied().unwrap_or(0),
            };
            for b in bookings.iter().filter(|b| b["room_type"] == room) {
                let (Some(from), Some(to)) = (date(&b["check_in"]), date(&b["check_out"])) else { continue };
                if from <= night && night < to {
                    let rooms = b["rooms"].as_u64().unwrap_or(1);
                    match b["state"].as_str() {
                        Some("confirmed") => row.confirmed += rooms,
                        Some("held") => row.held += rooms,
                        _ => {}
                    }
                }
            }
            if row.confirmed + row.held > row.inventory {
                v.push(format!("{room} on {night}: {} confirmed + {} held > {} rooms", row.confirmed, row.held, row.inventory));
            }
            if row.available + row.confirmed + row.held != row.inventory {
                v.push(format!(
                    "{room} on {night}: availability says {} free, but {} rooms less {} confirmed and {} held leaves {}",
                    row.available,
                    row.inventory,
                    row.confirmed,
                    row.held,
                    row.inventory.saturating_sub(row.confirmed + row.held)
                ));
            }
            if row.held > 0 {
                v.push(format!("{room} on {night}: {} room(s) still held after every hold ran out", row.held));
            }
            report.nights.push(row);
        }
    }

    // Per guest: what they were told is what happened, to the booking, the money and the messages.
    let outbox = settled_outbox(ctx).await;
    report.messages = outbox.len();
    let mut mentioned: BTreeMap<&str, usize> = BTreeMap::new();
    for guest in guests {
        *report.outcomes.entry(guest.outcome.to_owned()).or_default() += 1;
        let (Some(reference), Some(intent_id)) = (&guest.reference, &guest.intent_id) else { continue };
        let Some(booking) = by_reference.get(reference) else {
            v.push(format!("{reference}: not in its guest's list (account {})", guest.account));
            continue;
        };
        let intent = ctx.intent(intent_id).await;
        let received = intent["amount_received"].as_i64().unwrap_or(-1);
        let refunded = intent["latest_charge"]["amount_refunded"].as_i64().unwrap_or(0);
        let state = booking["state"].as_str().unwrap_or("");
        let about: Vec<&Value> = outbox.iter().filter(|m| m["body"].as_str().is_some_and(|b| b.contains(reference.as_str()))).collect();
        mentioned.insert(reference, about.len());
        // A kill between a send and its record makes the retry send that message again: SES and SNS take no
        // idempotency key, so delivery is at least once. A copy (same channel, same text) is counted, and bounded
        // below; a missing or different message is a violation.
        let distinct: BTreeSet<(String, String)> =
            about.iter().map(|m| (m["channel"].as_str().unwrap_or("").to_owned(), m["body"].as_str().unwrap_or("").to_owned())).collect();
        report.duplicates += about.len() - distinct.len();
        let staff = distinct.iter().filter(|(channel, _)| channel == "staff").count();
        let messages = distinct.len() - staff;
        // Guest messages (email and SMS) and the staff's booking events, per change.
        let expected_messages;
        let expected_staff;
        if guest.told_confirmed {
            if received != guest.total || intent["status"] != "succeeded" {
                v.push(format!("{reference}: told confirmed, but {received} of {} captured ({})", guest.total, intent["status"]));
            }
            match guest.refund_told {
                Some(refund) => {
                    report.refunds += 1;
                    if state != "refunded" || refunded != refund || booking["money"]["refunded"]["minor"].as_i64() != Some(refund) {
                        v.push(format!(
                            "{reference}: told {refund} refunded, booking {state} {}, provider refunded {refunded}",
                            booking["money"]
                        ));
                    }
                    expected_messages = 4;
                    expected_staff = 2;
                }
                None => {
                    if state != "confirmed" || refunded != 0 {
                        v.push(format!("{reference}: told confirmed, but the booking is {state} and {refunded} was refunded"));
                    }
                    expected_messages = 2;
                    expected_staff = 1;
                }
            }
        } else {
            if !matches!(state, "released" | "expired") {
                v.push(format!("{reference}: never told confirmed ({:?} card), but the booking is {state}", guest.card));
            }
            if received != refunded {
                v.push(format!("{reference}: {state} but {received} captured and {refunded} refunded"));
            }
            if guest.card != Card::Ok && received != 0 {
                v.push(format!("{reference}: a {:?} card was charged {received}", guest.card));
            }
            expected_messages = 0;
            expected_staff = 0;
        }
        if messages != expected_messages {
            v.push(format!("{reference} ({state}): {messages} messages in the outbox, {expected_messages} promised"));
        }
        if staff != expected_staff {
            v.push(format!("{reference} ({state}): {staff} staff events, {expected_staff} promised"));
        }
    }
    // No message about a booking nobody made here.
    let stray = outbox.iter().filter(|m| !mentioned.keys().any(|r| m["body"].as_str().is_some_and(|b| b.contains(r)))).count();
    if stray > 0 {
        v.push(format!("{stray} messages about no guest's booking"));
    }
    report.violations = v;
    report
}

fn date(value: &Value) -> Option<NaiveDate> {
    value.as_str()?.parse().ok()
}
