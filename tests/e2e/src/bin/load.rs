//! `cargo xtask load`: the soak of `booking_e2e::soak` at a size of your choosing, on either adapter set or both.
//! Prints the per-night table and every violation; exits non-zero if there is one.
#![allow(clippy::print_stdout, reason = "the report is this command's output")]

use std::time::Duration;

use anyhow::{Context, bail};
use booking_e2e::soak::{Mode, SoakConfig, run};
use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    /// How many guests try to book.
    #[arg(long, default_value_t = 1000)]
    guests: usize,
    /// `embedded`, `aws` (moto) or `both`.
    #[arg(long, default_value = "both")]
    mode: String,
    /// Seconds over which the guests arrive (the kills fall inside).
    #[arg(long, default_value_t = 60)]
    arrivals: u64,
    #[arg(long, default_value_t = 2)]
    kills: usize,
    /// Accounts the guests share.
    #[arg(long, default_value_t = 20)]
    accounts: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let stack_binary = std::env::current_exe()?.with_file_name("soak-stack");
    let modes = match args.mode.as_str() {
        "embedded" => vec![Mode::Embedded],
        "aws" => vec![Mode::Aws],
        "both" => vec![Mode::Embedded, Mode::Aws],
        other => bail!("--mode is embedded, aws or both, not {other}"),
    };
    let mut failed = false;
    for mode in modes {
        let config = SoakConfig {
            mode,
            guests: args.guests,
            accounts: args.accounts,
            arrivals: Duration::from_secs(args.arrivals),
            kills: args.kills,
            poll_every: Duration::from_millis(if mode == Mode::Aws { 1000 } else { 200 }),
            stack_binary: stack_binary.clone(),
        };
        let report = run(config).await.map_err(anyhow::Error::msg).context("the soak could not run")?;
        println!("## {mode:?}\n\n{report}");
        failed |= !report.violations.is_empty();
    }
    if failed {
        bail!("the soak found violations");
    }
    Ok(())
}
