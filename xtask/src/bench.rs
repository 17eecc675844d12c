//! `cargo xtask bench site`: the guest site's budget report. For the landing and search pages: requests and bytes
//! of a first visit (as served locally, and gzip/brotli-compressed as CloudFront sends them) and Lighthouse's
//! performance, accessibility, best-practices and SEO scores, measured in Debian's Chromium against devstack.
//! Writes `target/bench/site.md`, `target/bench/site.json` and the Lighthouse HTML reports. A report, not a test.

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use clap::ValueEnum;

use crate::{browser, run};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// The guest website: bytes, requests and Lighthouse scores.
    Site,
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
    }
}

fn site(root: &Path) -> Result<()> {
    let env = browser::prepare(root)?;
    run(
        "bench site",
        Command::new("node").arg("bench/site.js").current_dir(browser::project_dir(root)).envs(env.iter().map(|(k, v)| (k, v))),
    )
}
