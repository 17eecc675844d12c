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

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use clap::ValueEnum;

use crate::{browser, cargo, run};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// The guest website: bytes, requests and Lighthouse scores.
    Site,
    /// The CloudTrail audit over a year of log files: records/s and peak memory.
    Audit,
    /// The EMF emitter: bytes and latency per invocation over a floor.
    Emf,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to measure.
    #[arg(value_enum, default_value_t = Part::Site)]
    part: Part,
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
    }
}

fn site(root: &Path) -> Result<()> {
    let env = browser::prepare(root)?;
    run(
        "bench site",
        Command::new("node").arg("bench/site.js").current_dir(browser::project_dir(root)).envs(env.iter().map(|(k, v)| (k, v))),
    )
}
