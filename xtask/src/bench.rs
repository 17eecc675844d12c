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

use std::path::Path;
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
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to measure.
    #[arg(value_enum, default_value_t = Part::Site)]
    part: Part,
    /// Cold starts per function (`lambda`).
    #[arg(long, default_value_t = 20)]
    runs: usize,
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
        _ => ship::build(root, &ship::BuildArgs { arch: ship::ArchArg::Arm64, functions: Vec::new() })?,
    };
    ship::compile(root, lambda::PACKAGE, &FUNCTIONS, Arch::X86_64)?;
    ship::compile(root, "lambda-floor", &["hello"], Arch::X86_64)?;
    let x86 = |name: &str| -> Result<lambda::Artifact> {
        let binary = lambda::binary_path(&target, Arch::X86_64, name);
        let bytes = std::fs::read(&binary)?;
        let max_glibc = lambda::verify(&bytes, Arch::X86_64)?;
        let zip = lambda::bootstrap_zip(&bytes)?;
        Ok(lambda::Artifact {
            function: name.into(),
            zip: String::new(),
            zip_bytes: zip.len() as u64,
            zip_sha256: lambda::sha256_hex(&zip),
            binary_bytes: bytes.len() as u64,
            arch: Arch::X86_64,
            max_glibc: max_glibc.map(|v| v.to_string()),
        })
    };
    let floor_arm64 = {
        ship::compile(root, "lambda-floor", &["hello"], Arch::Arm64)?;
        let bytes = std::fs::read(lambda::binary_path(&target, Arch::Arm64, "hello"))?;
        let zip = lambda::bootstrap_zip(&bytes)?;
        lambda::Artifact {
            function: "floor".into(),
            zip: String::new(),
            zip_bytes: zip.len() as u64,
            zip_sha256: lambda::sha256_hex(&zip),
            binary_bytes: bytes.len() as u64,
            arch: Arch::Arm64,
            max_glibc: lambda::verify(&bytes, Arch::Arm64)?.map(|v| v.to_string()),
        }
    };
    let plan = lambda_bench::Plan {
        functions: FUNCTIONS
            .iter()
            .map(|f| Ok((f.to_string(), lambda::binary_path(&target, Arch::X86_64, f), arm64.artifact(f).cloned(), Some(x86(f)?))))
            .collect::<Result<_>>()?,
        floor: (lambda::binary_path(&target, Arch::X86_64, "hello"), Some(floor_arm64), Some(x86("hello")?)),
        runs,
    };
    let report = tokio::runtime::Runtime::new()?.block_on(lambda_bench::run(root, &plan))?;
    eprintln!("\n{}", std::fs::read_to_string(&report)?);
    eprintln!("<== wrote {}", report.display());
    Ok(())
}

fn site(root: &Path) -> Result<()> {
    let env = browser::prepare(root)?;
    run(
        "bench site",
        Command::new("node").arg("bench/site.js").current_dir(browser::project_dir(root)).envs(env.iter().map(|(k, v)| (k, v))),
    )
}
