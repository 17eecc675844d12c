//! `cargo xtask policy`: the infrastructure gate.
//!
//! 1. cfn-lint (project venv, `.cfnlintrc` at the root) on every template: any finding fails, informational ones
//!    included.
//! 2. `cfn-guard test` of every rule in `policies/` against `policies/tests/<rule>_tests.yaml`.
//! 3. `cfn-guard validate` of every template in `infra/cloudformation/` against every rule, as a rule x template
//!    table.
//! 4. (`cargo xtask policy` only; `cargo xtask check` has already run them with the workspace tests) the
//!    `infra-check` tests: the mutation check, checkov (one run over every template: no failed check, every skip
//!    explained on its resource), the controls matrix and resource inventory snapshots, API/route and header
//!    parity, deployability.
//!
//! `--report` then writes the controls matrix (`target/policy/controls.md`, or `.json`) from `policies/controls.yaml`
//! and what cfn-guard and checkov conclude on each resource today.
//!
//! cfn-guard is the CLI (`cargo install --locked cfn-guard`), not the `cfn-guard` library: the library in this
//! workspace would turn on serde_json's `preserve_order` for every crate and roughly double `target/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use infra_check::controls;

use crate::{cargo, pyenv, run};

/// `cargo xtask policy` options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// After the gate, write the controls matrix to target/policy/controls.md (or .json).
    #[arg(long)]
    pub report: bool,
    /// Format of the report.
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

/// The cfn-guard release CI installs; the rules are written for its minor version.
pub const GUARD_VERSION: &str = "3.2.1";

/// What `run` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Lint, guard tests, guard validation and the infra-check crate's tests.
    Everything,
    /// Lint, guard tests and guard validation (the crate's tests already ran with the workspace).
    ToolsOnly,
}

pub fn check(root: &Path, scope: Scope) -> Result<()> {
    let started = Instant::now();
    let templates = templates(root)?;
    let guard = locate_guard()?;
    pyenv::ensure(root)?;

    let (lint_time, lint) = timed(|| Command::new(pyenv::bin(root, "cfn-lint")).current_dir(root).output()).context("running cfn-lint")?;
    eprintln!("\n==> cfn-lint ({} templates, .cfnlintrc)", templates.len());
    print_output(&lint);
    if !lint.status.success() {
        bail!("cfn-lint reported findings ({}); fix them or put a reasoned exception in the resource's Metadata", lint.status);
    }
    eprintln!("<== cfn-lint: no errors, warnings or informational findings in {lint_time:.1?}");

    let (test_time, tests) =
        timed(|| Command::new(&guard).args(["test", "--dir", "policies"]).current_dir(root).output()).context("running cfn-guard test")?;
    let rule_tests = rule_test_report(&String::from_utf8_lossy(&tests.stdout));
    eprintln!("\n==> cfn-guard test --dir policies");
    let (cases, failed): (usize, usize) = rule_tests.values().fold((0, 0), |(c, f), (rc, rf)| (c + rc, f + rf));
    for (rule, (rule_cases, rule_failed)) in &rule_tests {
        if *rule_failed > 0 {
            eprintln!("    {rule}: {rule_failed} of {rule_cases} cases FAILED");
        }
    }
    if !tests.status.success() || failed > 0 || rule_tests.is_empty() {
        print_output(&tests);
        bail!("cfn-guard test: {failed} of {cases} rule test cases failed ({})", tests.status);
    }
    eprintln!("<== cfn-guard test: {} rules, {cases} test cases, all as expected, in {test_time:.1?}", rule_tests.len());

    let (validate_time, validation) = timed(|| {
        Command::new(&guard)
            .args(["validate", "--rules", "policies", "--data", "infra/cloudformation", "--show-summary", "all", "--alphabetical"])
            .current_dir(root)
            .output()
    })
    .context("running cfn-guard validate")?;
    eprintln!("\n==> cfn-guard validate --rules policies --data infra/cloudformation");
    let verdicts = validation_report(&String::from_utf8_lossy(&validation.stdout));
    print_matrix(&verdicts, &templates);
    let failures: Vec<&(String, String)> = verdicts.iter().filter(|(_, status)| status.as_str() == "FAIL").map(|(key, _)| key).collect();
    if !validation.status.success() || !failures.is_empty() || verdicts.is_empty() {
        for (rule, template) in &failures {
            let detail = Command::new(&guard)
                .args(["validate", "--show-summary", "none", "--rules"])
                .arg(format!("policies/{rule}.guard"))
                .arg("--data")
                .arg(format!("infra/cloudformation/{template}"))
                .current_dir(root)
                .output()?;
            eprintln!("{}", String::from_utf8_lossy(&detail.stdout));
        }
        bail!("cfn-guard validate: {} rule/template pairs failed ({})", failures.len(), validation.status);
    }
    eprintln!("<== cfn-guard validate: every template passes every rule (F = fail, P = pass, . = not applicable) in {validate_time:.1?}");

    if scope == Scope::Everything {
        run(
            "infra-check tests (mutation check, checkov, controls matrix, inventory, parity, deployability)",
            cargo().args(["test", "--package", "infra-check", "--locked"]),
        )?;
    }
    eprintln!(
        "\npolicy: {} templates, {} resources, {} rules, {cases} rule tests; cfn-lint {lint_time:.1?}, cfn-guard test {test_time:.1?}, \
         cfn-guard validate {validate_time:.1?}; {:.1?} in all",
        templates.len(),
        templates.iter().map(|t| t.1).sum::<usize>(),
        rule_tests.len(),
        started.elapsed()
    );
    Ok(())
}

/// Writes the controls matrix with today's evidence: cfn-guard per resource (probes under target/policy/probes)
/// and one checkov run.
pub fn report(root: &Path, format: Format) -> Result<()> {
    let started = Instant::now();
    let out_dir = root.join("target").join("policy");
    let templates = infra_check::template::load_all(root)?;
    let catalog = controls::load(root)?;
    let guard = infra_check::guard::Guard::locate()?;
    let rules = infra_check::template::rule_names(root)?;
    let problems = controls::problems(&catalog, &rules, &templates);
    if !problems.is_empty() {
        bail!("policies/controls.yaml is incomplete:\n{}", problems.join("\n"));
    }
    eprintln!("\n==> controls matrix: cfn-guard per resource, checkov over every template");
    let mut findings = controls::guard_findings(&guard, &templates, root, &out_dir.join("probes"))?;
    let checkov = infra_check::checkov::run(root, &infra_check::checkov::template_files(root))?;
    findings.extend(controls::checkov_findings(&checkov));
    findings.extend(controls::not_run_findings(&catalog, &templates, &rules));
    findings.sort();
    let (path, text) = match format {
        Format::Markdown => (out_dir.join("controls.md"), controls::render_markdown(&catalog, &templates, &findings)),
        Format::Json => {
            (out_dir.join("controls.json"), serde_json::to_string_pretty(&controls::render_json(&catalog, &templates, &findings))?)
        }
    };
    std::fs::create_dir_all(&out_dir)?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!(
        "<== wrote {} ({} promises, {} resource checks) in {:.1?}",
        path.display(),
        catalog.promises.len(),
        findings.len(),
        started.elapsed()
    );
    Ok(())
}

fn timed(f: impl FnOnce() -> std::io::Result<Output>) -> std::io::Result<(Duration, Output)> {
    let started = Instant::now();
    let output = f()?;
    Ok((started.elapsed(), output))
}

fn print_output(output: &Output) {
    eprint!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
}

/// The templates (file name, resource count), sorted. Resources are counted as the two-space-indented keys of
/// the top-level `Resources:` section, which is how every template here is written.
fn templates(root: &Path) -> Result<Vec<(String, usize)>> {
    let dir = root.join("infra/cloudformation");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path)?;
            let mut in_resources = false;
            let mut count = 0;
            for line in text.lines() {
                if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
                    in_resources = line.trim_end() == "Resources:";
                } else if in_resources
                    && line.len() > 2
                    && line.starts_with("  ")
                    && !line[2..].starts_with([' ', '#'])
                    && line.trim_end().ends_with(':')
                {
                    count += 1;
                }
            }
            out.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), count));
        }
    }
    out.sort();
    if out.is_empty() {
        bail!("no templates in {}", dir.display());
    }
    Ok(out)
}

/// `$CFN_GUARD`, else `cfn-guard` on `$PATH`, else `$CARGO_HOME/bin/cfn-guard`; the right minor version or an error.
fn locate_guard() -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("CFN_GUARD").map(PathBuf::from).into_iter().collect();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("cfn-guard")));
    }
    let cargo_home =
        std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    candidates.extend(cargo_home.map(|h| h.join("bin").join("cfn-guard")));
    let Some(guard) = candidates.into_iter().find(|p| p.is_file()) else {
        bail!(
            "cfn-guard is not installed; the policy checks cannot run without it: `cargo install --locked cfn-guard@{GUARD_VERSION}` (about 1.5 minutes; .ci/run does it)"
        );
    };
    let version = Command::new(&guard).arg("--version").output().with_context(|| format!("running {}", guard.display()))?;
    let version = String::from_utf8_lossy(&version.stdout).trim().trim_start_matches("cfn-guard").trim().to_owned();
    let minor = GUARD_VERSION.rsplit_once('.').map(|(m, _)| m).unwrap_or(GUARD_VERSION);
    if !version.starts_with(&format!("{minor}.")) {
        bail!(
            "{} is cfn-guard {version}; the policies are written for {minor}.x: `cargo install --locked --force cfn-guard@{GUARD_VERSION}`",
            guard.display()
        );
    }
    Ok(guard)
}

/// Per rule file: (test cases, failed cases) from `cfn-guard test`'s text output.
fn rule_test_report(stdout: &str) -> BTreeMap<String, (usize, usize)> {
    let mut report: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut current = None;
    for line in stdout.lines() {
        if let Some(file) = line.strip_prefix("Testing Guard File ") {
            let rule = Path::new(file.trim()).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            report.entry(rule.clone()).or_default();
            current = Some(rule);
        } else if let Some(entry) = current.as_ref().and_then(|rule| report.get_mut(rule)) {
            if line.starts_with("Test Case #") {
                entry.0 += 1;
            } else if line.contains("Evaluated =") {
                entry.1 += 1;
            }
        }
    }
    report
}

/// (rule, template) -> PASS | FAIL | SKIP from `cfn-guard validate --show-summary all`'s text output.
fn validation_report(stdout: &str) -> BTreeMap<(String, String), String> {
    let mut verdicts = BTreeMap::new();
    let mut template = String::new();
    for line in stdout.lines() {
        if let Some((path, _)) = line.rsplit_once(" Status = ") {
            template = Path::new(path.trim()).file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        } else if let Some((rule_path, status)) = line.rsplit_once(char::is_whitespace)
            && let Some((_, rule)) = rule_path.trim().split_once(".guard/")
            && matches!(status, "PASS" | "FAIL" | "SKIP")
        {
            verdicts.insert((rule.to_owned(), template.clone()), status.to_owned());
        }
    }
    verdicts
}

fn print_matrix(verdicts: &BTreeMap<(String, String), String>, templates: &[(String, usize)]) {
    let width = verdicts.keys().map(|(rule, _)| rule.len()).max().unwrap_or(4);
    let names: Vec<&str> = templates.iter().map(|(t, _)| t.trim_end_matches(".yaml")).collect();
    eprintln!("    {:width$}  {}", "rule", names.join("  "));
    let mut rules: Vec<&String> = verdicts.keys().map(|(rule, _)| rule).collect();
    rules.dedup();
    for rule in rules {
        let cells: Vec<String> = templates
            .iter()
            .zip(&names)
            .map(|((template, _), name)| {
                let mark = match verdicts.get(&(rule.clone(), template.clone())).map(String::as_str) {
                    Some("PASS") => "P",
                    Some("FAIL") => "F",
                    _ => ".",
                };
                format!("{mark:^w$}", w = name.len())
            })
            .collect();
        eprintln!("    {rule:width$}  {}", cells.join("  "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_guard_test_output() {
        let out = "Testing Guard File ./a.guard\nTest Case #1\nName: x\n  PASS Rules:\n    a: Expected = SKIP\n\nTest Case #2\n  FAIL Rules:\n    a: Expected = PASS, Evaluated = [FAIL]\n\
                   Testing Guard File ./b.guard\nTest Case #1\n  PASS Rules:\n    b: Expected = FAIL\n";
        let report = rule_test_report(out);
        assert_eq!(report.get("a"), Some(&(2, 1)));
        assert_eq!(report.get("b"), Some(&(1, 0)));
    }

    #[test]
    fn reads_guard_validate_output() {
        let out = "/r/infra/cloudformation/api.yaml Status = FAIL\nFAILED rules\nx.guard/x    FAIL\n---\n\
                   /r/infra/cloudformation/data.yaml Status = SKIP\nSKIP rules\nx.guard/x    SKIP\n---\n\
                   Evaluating data /r/api.yaml against rules x.guard\n";
        let report = validation_report(out);
        assert_eq!(report.get(&("x".into(), "api.yaml".into())).map(String::as_str), Some("FAIL"));
        assert_eq!(report.get(&("x".into(), "data.yaml".into())).map(String::as_str), Some("SKIP"));
        assert_eq!(report.len(), 2);
    }
}
