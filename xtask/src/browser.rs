//! `cargo xtask browser`: the guest site (`site/`) tested in a real browser. Debian's Chromium is driven by
//! `playwright-core` from the npm project in `tests/browser/` against the devstack binary on a random port with a
//! fresh data directory (see `tests/browser/tests/`). Screenshots go to `target/browser-artifacts/`.
//!
//! Needs Node.js 20+ and Chromium (`apt-get install -y chromium`; `CHROMIUM_PATH` overrides `/usr/bin/chromium`).
//! The npm packages are installed with `npm ci` from the committed lockfile whenever it changed since the last
//! install.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, run};

const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";

pub fn project_dir(root: &Path) -> PathBuf {
    root.join("tests").join("browser")
}

/// Builds devstack, checks Node.js and Chromium, installs the npm packages if stale, and returns the environment
/// the scripts in `tests/browser` read.
pub fn prepare(root: &Path) -> Result<Vec<(&'static str, PathBuf)>> {
    run("build devstack", cargo().args(["build", "--package", "devstack", "--locked"]))?;
    let node =
        Command::new("node").arg("--version").output().context("Node.js is needed for the browser tests: install Node.js 20 or later")?;
    let version = String::from_utf8_lossy(&node.stdout).trim().to_owned();
    let major: u32 = version.trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        bail!("the browser tests need Node.js 20 or later, found {version:?}");
    }
    let chromium = std::env::var_os("CHROMIUM_PATH").map_or_else(|| PathBuf::from(DEFAULT_CHROMIUM), PathBuf::from);
    if !chromium.exists() {
        bail!("{} not found: install Debian's Chromium (`apt-get install -y chromium`) or set CHROMIUM_PATH", chromium.display());
    }
    npm_ci_if_stale(&project_dir(root))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let target = if target.is_absolute() { target } else { root.join(target) };
    Ok(vec![
        ("DEVSTACK_BIN", target.join("debug").join("devstack")),
        ("SITE_DIR", root.join("site")),
        ("CHROMIUM_PATH", chromium),
        ("ARTIFACTS_DIR", target.join("browser-artifacts")),
        ("BENCH_DIR", target.join("bench")),
    ])
}

/// `npm ci` unless `node_modules` was installed after the lockfile last changed. npm itself records an install in
/// `node_modules/.package-lock.json`, so an install by `.ci/run` or by hand counts too.
fn npm_ci_if_stale(dir: &Path) -> Result<()> {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let lock = modified(&dir.join("package-lock.json")).context("tests/browser/package-lock.json is missing")?;
    let installed = modified(&dir.join("node_modules").join(".package-lock.json"));
    if installed.is_some_and(|installed| installed >= lock) {
        return Ok(());
    }
    run("npm ci", Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir))
}

/// Runs the browser tests with node's test runner, one file at a time.
pub fn test(root: &Path) -> Result<()> {
    let env = prepare(root)?;
    let artifacts = &env.iter().find(|(k, _)| *k == "ARTIFACTS_DIR").context("artifacts dir")?.1;
    if artifacts.exists() {
        std::fs::remove_dir_all(artifacts).with_context(|| format!("clearing {}", artifacts.display()))?;
    }
    run(
        "browser tests",
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "tests/"])
            .current_dir(project_dir(root))
            .envs(env.iter().map(|(k, v)| (k, v))),
    )?;
    eprintln!("screenshots: {}", artifacts.display());
    Ok(())
}
