//! Benchmark reports, not tests.
//!
//! - `cargo xtask bench site`: the guest site's budget report. For the landing and search pages: requests and
//!   bytes of a first visit (as served locally, and gzip/brotli-compressed as CloudFront sends them) and
//!   Lighthouse's performance, accessibility, best-practices and SEO scores, measured in Debian's Chromium against
//!   devstack. Writes `target/bench/site.md`, `target/bench/site.json` and the Lighthouse HTML reports.
//! - `cargo xtask bench audit`: `cargo xtask audit --logs` over a generated year of CloudTrail log files (release
//!   build, `infra/audit-fixtures/src/bin/audit-bench.rs`): records/s and peak memory against floors measured in
//!   the same run. Writes `target/bench/audit.md` and `target/bench/audit.json`.
//! - `cargo xtask bench emf`: bytes and time the EMF emitter adds to one invocation, against a floor measured in
//!   the same run (`observability/emf/benches/invocation.rs`, release build). Writes `target/bench/emf.md`.
//! - `cargo xtask bench lambda`: the functions' sizes (arm64 as shipped, x86_64 as run here), cold start against
//!   a Lambda Runtime API emulator and peak memory, each against the hello-world floor built with the same
//!   profile (`infra/lambda-bench`). Writes `target/bench/lambda.md` and `target/bench/lambda.json`.
//! - `cargo xtask bench api`: the API's throughput and latency per concurrency level against a floor route, round
//!   trips per request on both store adapters, and the domain's hot paths under criterion
//!   (`services/domain/benches/hot_paths.rs`), compared with the previous run (`tests/e2e/src/bin/api-bench.rs`,
//!   release build). Writes `target/bench/api.md` and `target/bench/api.json` (the last one kept as
//!   `api.previous.json`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use clap::ValueEnum;

use crate::{browser, cargo, run, ship};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// The guest website: bytes, requests and Lighthouse scores.
    Site,
    /// The CloudTrail audit over a year of log files: records/s and peak memory.
    Audit,
    /// The EMF emitter: bytes and latency per invocation over a floor.
    Emf,
    /// The Lambda functions: sizes, cold start and peak memory against a hello-world floor.
    Lambda,
    /// The API: throughput, latency and round trips per request; the domain's hot paths.
    Api,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to measure.
    #[arg(value_enum, default_value_t = Part::Site)]
    part: Part,
    /// Cold starts per function (`lambda`).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// `api` only: short levels, for trying the benchmark out (rough numbers).
    #[arg(long)]
    quick: bool,
}

pub fn bench(root: &Path, args: &Args) -> Result<()> {
    match args.part {
        Part::Site => site(root),
        Part::Audit => run(
            "bench audit",
            crate::cargo()
                .args(["run", "--release", "--locked", "--package", "infra-audit-fixtures", "--bin", "audit-bench", "--"])
                .arg(root.join("target").join("bench"))
                .current_dir(root),
        ),
        Part::Api => api(root, args.quick),
        Part::Emf => run(
            "bench emf",
            cargo()
                .args(["bench", "--package", "emf", "--bench", "invocation", "--locked", "--", "--report"])
                .arg(root.join("target").join("bench").join("emf.md")),
        ),
        Part::Lambda => lambda(root, args.runs),
    }
}

/// Builds what it measures (x86_64 functions and floor; arm64 functions if target/lambda has none), then runs it.
fn lambda(root: &Path, runs: usize) -> Result<()> {
    use infra_deploy::lambda::{self, Arch, FUNCTIONS, Manifest};
    let target = root.join("target");
    let arm64 = match Manifest::load(&target) {
        Ok(m) if m.artifacts.len() == FUNCTIONS.len() && m.artifacts.iter().all(|a| a.arch == Arch::Arm64) => m,
        _ => ship::build(root, &ship::BuildArgs { arch: ship::ArchArg::Arm64, functions: Vec::new(), rehearsal: false })?,
    };
    // The x86_64 binaries run here; each is copied out of cargo's directory as soon as its group is built.
    let run_dir = target.join("bench").join("lambda-x86_64");
    std::fs::create_dir_all(&run_dir)?;
    let x86 = |name: &str| -> Result<(PathBuf, lambda::Artifact)> {
        let binary = std::fs::read(lambda::binary_path(&target, name))?;
        let kept = run_dir.join(name);
        std::fs::write(&kept, &binary)?;
        std::fs::set_permissions(&kept, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        Ok((kept, lambda::artifact(name, &binary, Arch::X86_64)?.0))
    };
    let functions = ship::compile_functions(root, &FUNCTIONS, Arch::X86_64, x86)?;
    ship::compile(root, ship::FLOOR_PACKAGE, &[ship::FLOOR_BINARY], &[], Arch::X86_64)?;
    let (floor_x86_binary, floor_x86) = x86(ship::FLOOR_BINARY)?;
    let floor_arm64 = {
        ship::compile(root, ship::FLOOR_PACKAGE, &[ship::FLOOR_BINARY], &[], Arch::Arm64)?;
        let binary = std::fs::read(lambda::binary_path(&target, ship::FLOOR_BINARY))?;
        lambda::artifact("floor", &binary, Arch::Arm64)?.0
    };
    let plan = lambda_bench::Plan {
        functions: FUNCTIONS
            .iter()
            .zip(functions)
            .map(|(f, (binary, x86))| (f.to_string(), binary, arm64.artifact(f).cloned(), Some(x86)))
            .collect(),
        floor: (floor_x86_binary, Some(floor_arm64), Some(floor_x86)),
        runs,
    };
    let report = tokio::runtime::Runtime::new()?.block_on(lambda_bench::run(root, &plan))?;
    eprintln!("\n{}", std::fs::read_to_string(&report)?);
    eprintln!("<== wrote {}", report.display());
    Ok(())
}

fn api(root: &Path, quick: bool) -> Result<()> {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    run(
        "bench api: domain hot paths",
        cargo().args(["bench", "--package", "booking-domain", "--bench", "hot_paths", "--locked", "--", "--noplot"]).current_dir(root),
    )?;
    run(
        "bench api: build",
        cargo()
            .args(["build", "--release", "--locked", "--package", "booking-e2e", "--bin", "api-bench", "--bin", "soak-stack"])
            .current_dir(root),
    )?;
    let mut bench = Command::new(target.join("release").join("api-bench"));
    bench.arg(target.join("bench")).arg(target.join("criterion")).current_dir(root);
    if quick {
        bench.arg("--quick");
    }
    run("bench api", &mut bench)
}

fn site(root: &Path) -> Result<()> {
    let env = browser::prepare(root)?;
    run(
        "bench site",
        Command::new("node").arg("bench/site.js").current_dir(browser::project_dir(root)).envs(env.iter().map(|(k, v)| (k, v))),
    )
}
