//! Project automation, reached as `cargo xtask <command>` (see `.cargo/config.toml`).
//!
//! `cargo xtask check` is the single gate: if it passes locally, CI passes. Each step prints what it runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

mod audit;
mod bench;
mod browser;
mod fuzz;
mod ops;
mod policy;
mod pyenv;
mod ship;

#[derive(Debug, Parser)]
#[command(about = "Hotel booking project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the whole product locally (site, API, identity provider, payments, outbox). No account needed.
    Dev {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = ".data/dev")]
        data_dir: PathBuf,
        /// Run storage and notifications on the AWS adapters against this AWS-compatible endpoint (e.g. moto).
        #[arg(long)]
        aws_endpoint: Option<String>,
    },
    /// Every check CI runs: formatting, clippy, all tests.
    Check,
    /// Only the tests.
    Test,
    /// The guest site's tests in a real browser (Debian's Chromium via playwright-core, npm packages from the lockfile).
    Browser,
    /// Benchmark reports under target/bench/ (`site`: the guest site's bytes, requests and Lighthouse scores; `emf`:
    /// what the metrics emitter adds to an invocation).
    Bench(bench::Args),
    /// The load and crash soak at a size of your choosing: N guests racing for a few rooms on the whole local stack,
    /// SIGKILLed and restarted mid-run, then every per-night, per-guest, money and outbox invariant checked
    /// (`tests/e2e/src/soak.rs`; a bounded run is part of `check`).
    Load {
        /// Passed to the load generator: `--guests N` (default 1000), `--mode embedded|aws|both`, `--arrivals
        /// SECONDS`, `--kills N`, `--accounts N` (`cargo xtask load -- --help` lists them).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// The coverage-guided fuzz targets (`fuzz/`, cargo-fuzz): one or all, `--time N` seconds each; executions and
    /// coverage reached go to fuzz/target/report.md (`check` smokes every target on an unoptimised build: fuzz.rs).
    Fuzz(fuzz::Args),
    /// Create or refresh the project-local Python venv (moto, cfn-lint, checkov) from requirements-dev.txt.
    Pyenv,
    /// Infrastructure gate: cfn-lint and cfn-guard (rule tests, every template x every rule), then the infra-check
    /// tests (mutation check, checkov, controls matrix, parity).
    Policy(policy::Args),
    /// CloudTrail audit of a deployed environment: security-control changes, trail health, log file integrity.
    Audit(Box<audit::Args>),
    /// An environment's funnel, payment failures, refunds pending, p99 latency and alarms not OK, from CloudWatch.
    Ops(ops::Args),
    /// Lambda zips (arm64 by default; glibc and CPU verified, reproducible) and target/lambda/manifest.json;
    /// the packaged site under target/site.
    Build(ship::BuildArgs),
    /// Deploy an environment (infra/env/<NAME>.toml) through CloudFormation change sets, then sync the site.
    Deploy(ship::DeployArgs),
    /// Delete an environment's stacks after its name is typed back; retained data stays.
    Destroy(ship::DestroyArgs),
}

fn main() -> Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `cargo xtask audit` promises exit code 3 for a usage error; help and version still exit 0.
            let audit = std::env::args().nth(1).as_deref() == Some("audit");
            let _ = e.print();
            std::process::exit(if audit && e.use_stderr() { 3 } else { e.exit_code() });
        }
    };
    let root = project_root()?;
    let invoked_from = std::env::current_dir().unwrap_or_else(|_| root.clone());
    std::env::set_current_dir(&root).with_context(|| format!("cd {}", root.display()))?;
    match cli.command {
        Cmd::Dev { port, data_dir, aws_endpoint } => {
            let mut command = cargo();
            command
                .args(["run", "--package", "devstack", "--", "--port", &port.to_string(), "--data-dir"])
                .arg(&data_dir)
                .args(["--site-dir", "site"]);
            if let Some(endpoint) = aws_endpoint {
                command.args(["--aws-endpoint", &endpoint]);
            }
            run("dev", &mut command)
        }
        Cmd::Check => check(),
        Cmd::Test => test(),
        Cmd::Pyenv => pyenv::ensure(&root),
        Cmd::Load { args } => {
            pyenv::ensure(&root)?;
            // `load` starts the `soak-stack` binary next to it: build both.
            run("build", cargo().args(["build", "--package", "booking-e2e", "--bins"]))?;
            run("load", cargo().args(["run", "--package", "booking-e2e", "--bin", "load", "--"]).args(args))
        }
        Cmd::Policy(args) => {
            policy::check(&root, policy::Scope::Everything)?;
            match args.report {
                true => policy::report(&root, args.format),
                false => Ok(()),
            }
        }
        Cmd::Browser => browser::test(&root),
        Cmd::Fuzz(args) => fuzz::fuzz(&root, &args),
        Cmd::Bench(args) => bench::bench(&root, &args),
        Cmd::Audit(args) => std::process::exit(audit::audit(&root, args.relative_to(&invoked_from))),
        Cmd::Ops(args) => {
            let code = ops::run(&args)?;
            std::process::exit(i32::from(code))
        }
        Cmd::Build(args) if args.rehearsal => ship::rehearse_build(&root),
        Cmd::Build(args) => ship::build(&root, &args).map(|_| ()),
        Cmd::Deploy(args) => ship::deploy(&root, &args),
        Cmd::Destroy(args) => ship::destroy(&root, &args),
    }
}

/// The CI gate. Steps run in order and stop at the first failure; each later issue adds its step here.
fn check() -> Result<()> {
    let started = Instant::now();
    run("format", cargo().args(["fmt", "--all", "--check"]))?;
    run("clippy", cargo().args(["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))?;
    // Every dependency is a decision: one nothing uses is removed (`.ci/run` installs cargo-machete).
    // cargo-machete decides whether it runs as `cargo machete` from `CARGO` set and `CARGO_PKG_NAME`
    // unset; `cargo xtask` inherits `CARGO_PKG_NAME=xtask` from `cargo run`, which made it read
    // `machete` as a directory and fail in CI.
    run("unused dependencies", cargo().arg("machete").env_remove("CARGO_PKG_NAME"))?;
    test()?;
    // Lambda zips: the toolchain, the verification and reproducibility, on the floor only (ship.rs says why).
    ship::rehearse_build(&project_root()?)?;
    policy::check(&project_root()?, policy::Scope::ToolsOnly)?;
    browser::test(&project_root()?)?;
    // The fuzz crate is formatted like the rest, and each of its targets gets a short smoke on an unoptimised build
    // (fuzz.rs says why).
    fuzz::format(&project_root()?)?;
    fuzz::smoke(&project_root()?)?;
    eprintln!("\nxtask check: all steps passed in {:.0?}", started.elapsed());
    Ok(())
}

fn test() -> Result<()> {
    // The AWS adapters' tests and the e2e run in AWS mode need moto from the project venv.
    pyenv::ensure(&project_root()?)?;
    run("tests", cargo().args(["test", "--workspace", "--locked"]))
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub(crate) fn run(step: &str, command: &mut Command) -> Result<()> {
    eprintln!("\n==> {step}: {command:?}");
    let started = Instant::now();
    let status = command.status().with_context(|| format!("could not start {step}"))?;
    if !status.success() {
        bail!("{step} failed ({status}) after {:.0?}", started.elapsed());
    }
    eprintln!("<== {step} ok in {:.0?}", started.elapsed());
    Ok(())
}

fn project_root() -> Result<PathBuf> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("xtask"));
    manifest_dir.parent().map(Path::to_path_buf).context("xtask has no parent directory")
}
