//! `cargo xtask fuzz [TARGET] [--time N]`: the coverage-guided fuzz targets of `fuzz/` (cargo-fuzz, libFuzzer),
//! one or all, each for N seconds.
//!
//! `cargo xtask check` runs the smoke: every target for [`SMOKE_SECS`], built in the dev profile ([`Profile::Dev`]).
//! Four targets (the three HTTP paths and the DynamoDB stream decoder) link the functions crate, and so the AWS SDKs
//! and async-stripe. cargo-fuzz's release build gives every crate one codegen unit: instrumented, that build took
//! 86 min of wall time on a loaded 2-core machine, more than the CI gate's whole budget. Unoptimised, all nine build
//! in 6 min. The HTTP targets then run about 15 requests a second (the parsers tens of thousands), which is a smoke,
//! not a search: the long runs (`cargo xtask fuzz`, optimised) are where executions are counted.
//!
//! The committed seeds in `fuzz/corpus/<target>/` are only read: what a run finds goes to
//! `fuzz/target/corpus/<target>/` (kept between runs, never committed), a crash to `fuzz/artifacts/<target>/`.
//! Each target's libFuzzer output is kept in `fuzz/target/logs/<target>.log`; the summary (executions, exec/s,
//! coverage, features, corpus) is printed and written to `fuzz/target/report.md`.
//!
//! cargo-fuzz builds without a sanitizer (`-s none`): the project forbids `unsafe`, so AddressSanitizer would
//! mostly slow the search down, and without it the stable toolchain builds the targets (`.ci/run` installs
//! cargo-fuzz, pinned).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, run};

/// Every target in `fuzz/Cargo.toml`, in the order they run.
pub const TARGETS: [&str; 9] = [
    "http_payment",
    "http_record",
    "http_query",
    "stripe_webhook",
    "jwt_verifier",
    "catalogue",
    "dynamodb_stream",
    "cloudtrail_records",
    "cloudtrail_digest",
];

/// The targets that build without the fuzz crate's `stack` feature (`cargo xtask fuzz --parsers`).
pub const PARSERS: [&str; 5] = ["stripe_webhook", "jwt_verifier", "catalogue", "cloudtrail_records", "cloudtrail_digest"];

/// Seconds per target in `cargo xtask check`: enough for libFuzzer to get past the seeds and mutate them (an HTTP
/// target answers a couple of hundred requests in that time, a parser hundreds of thousands), bounded so the nine
/// cost under three minutes.
pub const SMOKE_SECS: u64 = 15;

/// How cargo-fuzz compiles the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// Optimised, one codegen unit per crate (cargo-fuzz's default): the fastest search, the slowest build.
    Release,
    /// Unoptimised (`--dev`): the smoke's build, minutes instead of an hour for the stack.
    Dev,
}

impl Profile {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Profile::Release => &[],
            Profile::Dev => &["--dev"],
        }
    }
}

/// Which of the fuzz crate's feature sets to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// Every target (the crate's default `stack` feature).
    Everything,
    /// The parser targets only (`--no-default-features`).
    Parsers,
}

impl Build {
    fn flags(self) -> &'static [&'static str] {
        match self {
            Build::Everything => &[],
            Build::Parsers => &["--no-default-features"],
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One target (default: all of them, one after the other).
    target: Option<String>,
    /// Seconds of fuzzing per target.
    #[arg(long, default_value_t = 60)]
    time: u64,
    /// Only what `cargo xtask check` runs: every target, 15 s each, unoptimised (to reproduce a failed gate).
    #[arg(long, conflicts_with_all = ["target", "time", "parsers"])]
    smoke: bool,
    /// The five parser targets only, `--time N` each, on the cheap build (no stack).
    #[arg(long, conflicts_with = "target")]
    parsers: bool,
}

/// What libFuzzer reported at the end of one run.
#[derive(Debug, Default)]
struct Stats {
    target: &'static str,
    executions: u64,
    exec_per_sec: u64,
    cov: u64,
    ft: u64,
    corpus: u64,
    seconds: f64,
}

pub fn fuzz(root: &Path, args: &Args) -> Result<()> {
    if args.smoke {
        return smoke(root);
    }
    let targets: Vec<&'static str> = match &args.target {
        Some(name) => vec![
            TARGETS
                .iter()
                .find(|t| **t == name.as_str())
                .copied()
                .with_context(|| format!("no fuzz target {name}; the targets are {}", TARGETS.join(", ")))?,
        ],
        None if args.parsers => PARSERS.to_vec(),
        None => TARGETS.to_vec(),
    };
    // A parser target is the same code either way; building without the stack spares the AWS SDKs' instrumentation.
    let build = if targets.iter().all(|t| PARSERS.contains(t)) { Build::Parsers } else { Build::Everything };
    run_targets(root, &targets, args.time, build, Profile::Release)
}

/// The `check` step: every target, [`SMOKE_SECS`] each, unoptimised. A crash, a timeout or a target that runs
/// nothing fails.
pub fn smoke(root: &Path) -> Result<()> {
    run_targets(root, &TARGETS, SMOKE_SECS, Build::Everything, Profile::Dev)
}

/// The `check` step: the fuzz crate is formatted (it is outside the workspace `cargo fmt --all` sees).
pub fn format(root: &Path) -> Result<()> {
    run("fuzz format", cargo().args(["fmt", "--check", "--manifest-path"]).arg(root.join("fuzz/Cargo.toml")))
}

fn run_targets(root: &Path, targets: &[&'static str], secs: u64, features: Build, profile: Profile) -> Result<()> {
    let fuzz_dir = root.join("fuzz");
    let mut build = cargo();
    build.current_dir(&fuzz_dir).args(["fuzz", "build", "-s", "none"]).args(features.flags()).args(profile.flags());
    if let [one] = targets {
        build.arg(one);
    }
    run("fuzz build", &mut build)?;
    let out = fuzz_dir.join("target");
    std::fs::create_dir_all(out.join("logs")).context("create fuzz/target/logs")?;
    let mut all = Vec::new();
    for &target in targets {
        let stats = run_one(&fuzz_dir, &out, target, secs, features, profile)?;
        eprintln!(
            "<== fuzz {target}: {} executions ({}/s), cov {}, ft {}, corpus {} in {:.0} s",
            stats.executions, stats.exec_per_sec, stats.cov, stats.ft, stats.corpus, stats.seconds
        );
        all.push(stats);
    }
    let report = report(&all, secs, profile);
    std::fs::write(out.join("report.md"), &report).context("write fuzz/target/report.md")?;
    eprintln!("\n{report}");
    Ok(())
}

fn run_one(fuzz_dir: &Path, out: &Path, target: &'static str, secs: u64, features: Build, profile: Profile) -> Result<Stats> {
    let found = out.join("corpus").join(target);
    std::fs::create_dir_all(&found).with_context(|| format!("create {}", found.display()))?;
    let log_path = out.join("logs").join(format!("{target}.log"));
    let log = std::fs::File::create(&log_path).with_context(|| format!("create {}", log_path.display()))?;
    let mut command = cargo();
    command
        .current_dir(fuzz_dir)
        .args(["fuzz", "run", "-s", "none"])
        .args(features.flags())
        .args(profile.flags())
        .arg(target)
        // New finds go to the first directory; the committed seeds are only read.
        .arg(&found)
        .arg(PathBuf::from("corpus").join(target))
        .arg("--")
        .arg(format!("-max_total_time={secs}"))
        .args(["-timeout=20", "-rss_limit_mb=4096", "-print_final_stats=1"])
        .stdout(log.try_clone()?)
        .stderr(log);
    eprintln!("\n==> fuzz {target} for {secs} s: {command:?}");
    let started = Instant::now();
    let status = command.status().with_context(|| format!("could not start cargo fuzz run {target}"))?;
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = text.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("fuzz target {target} failed ({status}); its log is {}:\n{}", log_path.display(), tail.join("\n"));
    }
    let mut stats = parse_stats(&text);
    stats.target = target;
    stats.seconds = started.elapsed().as_secs_f64();
    if stats.executions == 0 {
        bail!("fuzz target {target} reported no executions; its log is {}", log_path.display());
    }
    Ok(stats)
}

/// Reads libFuzzer's final statistics (`-print_final_stats=1`) and its last status line (`#N ... cov: C ft: F
/// corp: K/...`).
fn parse_stats(text: &str) -> Stats {
    let mut stats = Stats::default();
    let number = |s: &str| s.trim().parse::<u64>().unwrap_or(0);
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.executions = number(v);
        } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            stats.exec_per_sec = number(v);
        } else if line.starts_with('#') {
            let mut words = line.split_whitespace();
            while let Some(word) = words.next() {
                match word {
                    "cov:" => stats.cov = words.next().map(number).unwrap_or(stats.cov),
                    "ft:" => stats.ft = words.next().map(number).unwrap_or(stats.ft),
                    "corp:" => {
                        stats.corpus = words.next().and_then(|c| c.split('/').next()).map(number).unwrap_or(stats.corpus);
                    }
                    _ => {}
                }
            }
        }
    }
    stats
}

fn report(all: &[Stats], secs: u64, profile: Profile) -> String {
    let build = match profile {
        Profile::Release => "optimised build",
        Profile::Dev => "unoptimised build (the smoke)",
    };
    let mut text = format!(
        "# Fuzzing: {secs} s per target, {build}\n\n\
         | target | executions | exec/s | cov (edges) | ft (features) | corpus | wall s |\n\
         |---|---:|---:|---:|---:|---:|---:|\n"
    );
    for s in all {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {:.0} |",
            s.target, s.executions, s.exec_per_sec, s.cov, s.ft, s.corpus, s.seconds
        );
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn reads_libfuzzers_final_stats_and_last_status_line() {
        let log = "INFO: Seed: 1\n\
                   #2\tINITED cov: 10 ft: 11 corp: 3/100b exec/s: 0 rss: 40Mb\n\
                   #512\tpulse  cov: 120 ft: 300 corp: 40/2Kb lim: 4 exec/s: 256 rss: 60Mb\n\
                   #900\tDONE   cov: 130 ft: 310 corp: 42/2Kb lim: 4 exec/s: 300 rss: 61Mb\n\
                   stat::number_of_executed_units: 900\n\
                   stat::average_exec_per_sec:     300\n\
                   stat::new_units_added:          39\n";
        let stats = parse_stats(log);
        assert_eq!((stats.executions, stats.exec_per_sec, stats.cov, stats.ft, stats.corpus), (900, 300, 130, 310, 42));
    }

    #[test]
    fn every_target_is_a_bin_of_the_fuzz_crate_and_has_seeds() {
        let root = crate::project_root().unwrap();
        let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
        let bins: Vec<&str> =
            manifest.lines().filter_map(|l| l.strip_prefix("name = \"")).filter_map(|l| l.strip_suffix('"')).skip(1).collect();
        assert_eq!(bins, TARGETS, "fuzz/Cargo.toml's [[bin]]s and fuzz::TARGETS");
        // The parser targets are exactly those without `required-features`, so the smoke builds them all.
        let needs_stack: Vec<&str> = manifest
            .split("[[bin]]")
            .skip(1)
            .filter(|bin| bin.contains("required-features = [\"stack\"]"))
            .filter_map(|bin| bin.lines().find_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"')))
            .collect();
        let parsers: Vec<&str> = TARGETS.iter().copied().filter(|t| !needs_stack.contains(t)).collect();
        assert_eq!(parsers, PARSERS, "the targets without required-features and fuzz::PARSERS");
        for target in TARGETS {
            let seeds = std::fs::read_dir(root.join("fuzz/corpus").join(target)).unwrap().count();
            assert!(seeds >= 1, "{target} has no committed seed");
        }
    }
}
