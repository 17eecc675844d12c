//! `cargo xtask ops`: the operator's view of an environment from CloudWatch (the logic is `booking-ops`).
//!
//! Exit code: 1 while an alarm is in ALARM, 2 when a figure could not be read, else 0 (with `--watch`, the
//! command runs until interrupted).

use std::io::Write;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use aws_config::BehaviorVersion;
use booking_ops::{Target, Window, read};
use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The environment: metrics in HarbourView/<env>, alarms named harbour-<env>-*.
    #[arg(long = "env", default_value = "prod")]
    environment: String,
    /// How far back: 15m, 24h, 7d.
    #[arg(long, default_value = "24h")]
    since: String,
    /// An AWS-compatible endpoint instead of AWS (credentials and region still come from the usual AWS
    /// variables and profiles).
    #[arg(long)]
    endpoint_url: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Refresh every 30 seconds until interrupted.
    #[arg(long)]
    watch: bool,
}

const REFRESH: Duration = Duration::from_secs(30);

pub fn run(args: &Args) -> Result<u8> {
    let since = Window::parse_since(&args.since)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(url) = &args.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let client = aws_sdk_cloudwatch::Client::new(&loader.load().await);
        let target = Target { environment: args.environment.clone() };
        loop {
            let report = read(&client, &target, Window::ending_at(SystemTime::now(), since)?).await;
            let text = match (args.format, args.watch) {
                (Format::Table, true) => format!("\x1b[2J\x1b[H{}", report.to_table()),
                (Format::Table, false) => report.to_table(),
                (Format::Json, true) => serde_json::to_string(&report)?,
                (Format::Json, false) => report.to_json(),
            };
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{text}")?;
            stdout.flush()?;
            if !args.watch {
                return Ok(report.exit_code());
            }
            tokio::time::sleep(REFRESH).await;
        }
    })
}
