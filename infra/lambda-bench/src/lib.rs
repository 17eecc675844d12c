//! `cargo xtask bench lambda`: what each function costs before it does anything useful, against the least a Rust
//! Lambda can cost (the hello-world `lambda-floor`, same profile, same target), measured in the same run.
//!
//! - Sizes: zip and binary, architecture and newest glibc symbol version, from the arm64 artifacts that ship and the
//!   x86_64 build that runs here.
//! - Cold start, on this (x86_64) machine: the process is started against a Lambda Runtime API emulator
//!   ([`runtime_api`]) and timed to its first `GET .../invocation/next` (init done) and to its first response
//!   posted; median and p90 over the runs, and the ratio to the floor. The functions run their deployed
//!   configuration (table, topic, Stripe keys from Secrets Manager) against moto on loopback, so init includes the
//!   Secrets Manager round trip a real cold start makes, minus the network.
//! - Peak RSS (`VmHWM`) after the first invocation.
//!
//! Writes `target/bench/lambda.md` and `lambda.json`. A benchmark, not a test: it asserts nothing.

pub mod events;
pub mod linked;
pub mod runtime_api;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use infra_deploy::lambda::Artifact;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{subject}: {problem}")]
    Run { subject: String, problem: String },
    #[error("setup: {0}")]
    Setup(String),
}

/// One binary to start, with its environment and first event.
#[derive(Debug, Clone)]
pub struct Subject {
    pub name: String,
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
    pub event: Vec<u8>,
}

/// One cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sample {
    pub init_us: u64,
    pub first_response_us: u64,
    pub peak_rss_kib: u64,
}

/// The Lambda environment every function sees.
pub fn lambda_env(name: &str, runtime_api: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "2026/12/01/[$LATEST]bench"),
        ("_HANDLER", "bootstrap"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("TZ", ":UTC"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Starts `subject` once against a fresh Runtime API and times it.
pub async fn cold_start(subject: &Subject) -> Result<Sample, BenchError> {
    let api = runtime_api::RuntimeApi::start(subject.event.clone()).await?;
    let fail = |problem: String| BenchError::Run { subject: subject.name.clone(), problem };
    let mut command = tokio::process::Command::new(&subject.binary);
    command.env_clear().envs(subject.env.iter().cloned()).envs(lambda_env(&subject.name, &api.address));
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id().unwrap_or_default();
    let observed = tokio::select! {
        observed = api.finished() => observed,
        status = child.wait() => {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use tokio::io::AsyncReadExt;
                let _ = pipe.read_to_string(&mut stderr).await;
            }
            return Err(fail(format!("exited ({status:?}) before responding: {stderr}")));
        }
        _ = tokio::time::sleep(Duration::from_secs(30)) => return Err(fail("no response within 30 s".into())),
    };
    let peak_rss_kib = peak_rss(pid);
    let _ = child.kill().await;
    if let Some(error) = observed.error {
        return Err(fail(format!("reported an error: {error}")));
    }
    let (Some(next), Some((responded, _))) = (observed.first_next, observed.response) else { return Err(fail("no response".into())) };
    Ok(Sample {
        init_us: next.duration_since(started).as_micros() as u64,
        first_response_us: responded.duration_since(started).as_micros() as u64,
        peak_rss_kib,
    })
}

/// `VmHWM` of a live process, in KiB (0 if unreadable).
fn peak_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0))))
        .unwrap_or(0)
}

/// Median and 90th percentile (nearest rank) of `values`.
pub fn median_p90(values: &mut [u64]) -> (u64, u64) {
    if values.is_empty() {
        return (0, 0);
    }
    values.sort_unstable();
    let rank = |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    (rank(0.5), rank(0.9))
}

/// One function's results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub note: String,
    pub arm64: Option<Artifact>,
    pub x86_64: Option<Artifact>,
    pub init_median_us: u64,
    pub init_p90_us: u64,
    pub response_median_us: u64,
    pub response_p90_us: u64,
    pub peak_rss_kib: u64,
    /// Notable crates the binary carries code from ([`linked::linked_crates`]).
    pub links: Vec<String>,
    pub samples: Vec<Sample>,
}

impl Row {
    pub fn from_samples(name: &str, note: &str, samples: Vec<Sample>, arm64: Option<Artifact>, x86_64: Option<Artifact>) -> Row {
        let (init_median_us, init_p90_us) = median_p90(&mut samples.iter().map(|s| s.init_us).collect::<Vec<_>>());
        let (response_median_us, response_p90_us) = median_p90(&mut samples.iter().map(|s| s.first_response_us).collect::<Vec<_>>());
        let (peak_rss_kib, _) = median_p90(&mut samples.iter().map(|s| s.peak_rss_kib).collect::<Vec<_>>());
        Row {
            name: name.into(),
            note: note.into(),
            arm64,
            x86_64,
            init_median_us,
            init_p90_us,
            response_median_us,
            response_p90_us,
            peak_rss_kib,
            links: Vec::new(),
            samples,
        }
    }
}

/// The machine the numbers come from.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let load =
        std::fs::read_to_string("/proc/loadavg").map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_owned())))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {memory} memory, load average {load} at the start")
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}

fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

/// The report: sizes per architecture, then cold starts against the floor (the row named `floor`).
pub fn markdown(rows: &[Row], runs: usize, machine: &str, setup: &str) -> String {
    let mut out = String::from("# Lambda functions: size, cold start, memory\n\n");
    out.push_str(&format!("Machine: {machine}. {setup}\n\n"));
    out.push_str("## Artifacts\n\n| function | arch | zip | binary | max glibc |\n|---|---|---:|---:|---|\n");
    for row in rows {
        for artifact in [&row.arm64, &row.x86_64].into_iter().flatten() {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                row.name,
                artifact.arch.lambda_name(),
                mb(artifact.zip_bytes),
                mb(artifact.binary_bytes),
                artifact.max_glibc.as_deref().unwrap_or("none")
            ));
        }
    }
    out.push_str("\n## What each binary links (source paths of panic locations in the stripped binary)\n\n| function | notable crates |\n|---|---|\n");
    for row in rows.iter().filter(|r| r.x86_64.is_some()) {
        out.push_str(&format!("| {} | {} |\n", row.name, if row.links.is_empty() { "-".to_owned() } else { row.links.join(", ") }));
    }
    let floor = rows.iter().find(|r| r.name == "floor");
    let ratio = |value: u64, floor: Option<u64>| {
        floor.filter(|f| *f > 0).map(|f| format!("{:.2}x", value as f64 / f as f64)).unwrap_or_else(|| "-".into())
    };
    out.push_str(&format!(
        "\n## Cold start on this machine (x86_64 builds, {runs} runs each)\n\nInit = process start to the first `GET /runtime/invocation/next`; \
         first response = to the first response posted. Ratios are medians over the floor's medians.\n\n\
         | function | init median ms | init p90 ms | init vs floor | first response median ms | p90 ms | vs floor | peak RSS | what init does |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|\n"
    ));
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} MB | {} |\n",
            row.name,
            ms(row.init_median_us),
            ms(row.init_p90_us),
            ratio(row.init_median_us, floor.map(|f| f.init_median_us)),
            ms(row.response_median_us),
            ms(row.response_p90_us),
            ratio(row.response_median_us, floor.map(|f| f.response_median_us)),
            row.peak_rss_kib as f64 / 1024.0,
            row.note
        ));
    }
    out
}

/// Path of the reports.
pub fn report_dir(root: &Path) -> PathBuf {
    root.join("target").join("bench")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(median_p90(&mut (1..=20).collect::<Vec<_>>()), (10, 18));
        assert_eq!(median_p90(&mut [5]), (5, 5));
        assert_eq!(median_p90(&mut []), (0, 0));
    }
}

/// Everything one benchmark run needs: the binaries (x86_64, this machine) and what ships (arm64).
#[derive(Debug, Clone)]
pub struct Plan {
    pub functions: Vec<(String, PathBuf, Option<Artifact>, Option<Artifact>)>,
    pub floor: (PathBuf, Option<Artifact>, Option<Artifact>),
    pub runs: usize,
}

/// What init does per function (from `services/functions/src/wiring.rs`), for the report.
fn init_work(function: &str) -> &'static str {
    match function {
        "payment" | "record" | "sweeper" => {
            "SDK config, catalogue parse, DynamoDB client, Stripe keys from Secrets Manager (one call), Stripe client"
        }
        "query" => "SDK config, catalogue parse, DynamoDB client (no Stripe: not linked)",
        "notify" => "SDK config, catalogue parse, DynamoDB, SNS and SES clients (no Stripe: not linked)",
        "payment (keys in env)" => "as payment, but STRIPE_SECRET_KEY from the environment: no Secrets Manager call",
        "query (no system CA roots)" => {
            "as query, but SSL_CERT_FILE/SSL_CERT_DIR name an empty file and directory: what loading the system's CA \
             roots (the SDK's HTTPS client, rustls-native-certs) costs init"
        }
        _ => "lambda_runtime only",
    }
}

/// Runs the plan against moto (table, topic, secret) and writes `target/bench/lambda.md` and `.json`.
pub async fn run(root: &Path, plan: &Plan) -> Result<PathBuf, BenchError> {
    let setup = |e: String| BenchError::Setup(e);
    let moto = booking_local_aws::moto::MotoServer::start().await.map_err(|e| setup(e.to_string()))?;
    let config = moto.sdk_config();
    booking_local_aws::create_table(&config, "bench-bookings").await.map_err(|e| setup(e.to_string()))?;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name("bench/stripe")
        .secret_string(r#"{"secret_key":"sk_test_bench","webhook_secret":"whsec_bench"}"#)
        .send()
        .await
        .map_err(|e| setup(format!("{e:?}")))?;
    let topic =
        aws_sdk_sns::Client::new(&config).create_topic().name("bench-notifications").send().await.map_err(|e| setup(format!("{e:?}")))?;
    let base: Vec<(String, String)> = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_ENDPOINT_URL", moto.endpoint.as_str()),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let secret_arn = secret.arn().unwrap_or_default().to_owned();
    let topic_arn = topic.topic_arn().unwrap_or_default().to_owned();
    // Each function gets exactly the variables it declares for a deploy (`FunctionSpec::aws_environment`, the same
    // list the templates are checked against), so a variable added to a function cannot leave the bench behind.
    let value = |var: &str| -> Result<String, BenchError> {
        use booking_functions::config as c;
        Ok(match var {
            v if v == c::TABLE_NAME => "bench-bookings".into(),
            v if v == c::METRICS_NAMESPACE => "HarbourView/bench".into(),
            v if v == c::METRICS_SERVICE => "booking".into(),
            v if v == c::BOOKING_EVENTS_TOPIC_ARN => topic_arn.clone(),
            v if v == c::SES_FROM_ADDRESS => "bookings@bench.example.com".into(),
            v if v == c::SES_CONFIGURATION_SET => "bench-guest-mail".into(),
            v if v == c::STRIPE_SECRET_ARN => secret_arn.clone(),
            other => return Err(setup(format!("the bench has no value for {other}, which a function now reads"))),
        })
    };
    let env_for = |function: &str| -> Result<Vec<(String, String)>, BenchError> {
        let name = booking_functions::FunctionName::ALL
            .into_iter()
            .find(|f| f.as_str() == function)
            .ok_or_else(|| setup(format!("{function} is not a function")))?;
        let mut env = base.clone();
        for var in name.spec().aws_environment() {
            env.push((var.to_owned(), value(var)?));
        }
        Ok(env)
    };
    let mut subjects: Vec<(Subject, Option<Artifact>, Option<Artifact>)> = Vec::new();
    let floor = Subject { name: "floor".into(), binary: plan.floor.0.clone(), env: base.clone(), event: events::first_event("floor") };
    subjects.push((floor, plan.floor.1.clone(), plan.floor.2.clone()));
    for (function, binary, arm64, x86) in &plan.functions {
        subjects.push((
            Subject { name: function.clone(), binary: binary.clone(), env: env_for(function)?, event: events::first_event(function) },
            arm64.clone(),
            x86.clone(),
        ));
    }
    if let Some((_, binary, _, _)) = plan.functions.iter().find(|(f, ..)| f == "payment") {
        let mut env: Vec<(String, String)> =
            env_for("payment")?.into_iter().filter(|(k, _)| k != booking_functions::config::STRIPE_SECRET_ARN).collect();
        env.push((booking_functions::config::STRIPE_SECRET_KEY.into(), "sk_test_bench".into()));
        subjects.push((
            Subject { name: "payment (keys in env)".into(), binary: binary.clone(), env, event: events::first_event("payment") },
            None,
            None,
        ));
    }
    // The SDK's HTTPS client loads the system's CA roots while init builds the clients; this variant measures that
    // share of init (rustls-native-certs reads the two variables instead of the system's store).
    if let Some((_, binary, _, _)) = plan.functions.iter().find(|(f, ..)| f == "query") {
        let empty = root.join("target/bench/no-ca-roots");
        std::fs::create_dir_all(&empty).map_err(|e| setup(format!("{}: {e}", empty.display())))?;
        let file = empty.join("none.pem");
        std::fs::write(&file, b"").map_err(|e| setup(format!("{}: {e}", file.display())))?;
        let mut env = env_for("query")?;
        env.push(("SSL_CERT_FILE".into(), file.display().to_string()));
        env.push(("SSL_CERT_DIR".into(), empty.display().to_string()));
        subjects.push((
            Subject { name: "query (no system CA roots)".into(), binary: binary.clone(), env, event: events::first_event("query") },
            None,
            None,
        ));
    }
    let machine = machine();
    let mut rows = Vec::new();
    for (subject, arm64, x86) in &subjects {
        // Interleaving would mix the functions' page-cache warmth; one warm-up start per binary evens it out.
        cold_start(subject).await?;
        let mut samples = Vec::with_capacity(plan.runs);
        for _ in 0..plan.runs {
            samples.push(cold_start(subject).await?);
        }
        let mut row = Row::from_samples(&subject.name, init_work(&subject.name), samples, arm64.clone(), x86.clone());
        let binary = std::fs::read(&subject.binary)?;
        row.links = linked::linked_crates(&binary)
            .into_iter()
            .filter(|c| {
                ["async-stripe", "redb-", "reqwest-", "aws-sdk-", "services/embedded", "services/stripe"].iter().any(|p| c.starts_with(p))
            })
            .collect();
        rows.push(row);
    }
    let dir = report_dir(root);
    std::fs::create_dir_all(&dir)?;
    let setup_text = "Runtime API emulator on loopback (infra/lambda-bench); AWS calls go to moto on loopback; one warm-up start per binary \
                      (page cache), then the runs. Each function's binary is a separate process start, as a Lambda cold start is.";
    let path = dir.join("lambda.md");
    std::fs::write(&path, markdown(&rows, plan.runs, &machine, setup_text))?;
    std::fs::write(
        dir.join("lambda.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "machine": machine, "runs": plan.runs, "rows": rows })).unwrap_or_default(),
    )?;
    Ok(path)
}
