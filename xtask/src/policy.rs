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
    let templates = infra_check::template::load_all(root)?;
    if templates.is_empty() {
        bail!("no templates in {}", infra_check::template::templates_dir(root).display());
    }
    let guard = infra_check::guard::Guard::locate()?;
    pyenv::ensure(root)?;

    let (lint_time, lint) = timed(|| Command::new(pyenv::bin(root, "cfn-lint")).current_dir(root).output()).context("running cfn-lint")?;
    eprintln!("\n==> cfn-lint ({} templates, .cfnlintrc)", templates.len());
    print_output(&lint);
    if !lint.status.success() {
        bail!("cfn-lint reported findings ({}); fix them or put a reasoned exception in the resource's Metadata", lint.status);
    }
    eprintln!("<== cfn-lint: no errors, warnings or informational findings in {lint_time:.1?}");

    eprintln!("\n==> cfn-guard {} test --dir policies", guard.version());
    let test_started = Instant::now();
    let rule_tests = guard.test(&infra_check::template::policies_dir(root))?;
    let test_time = test_started.elapsed();
    let cases: usize = rule_tests.iter().map(|r| r.cases).sum();
    let failed: Vec<String> = rule_tests.iter().flat_map(|r| r.failed.iter().map(move |case| format!("{}: {case}", r.rule))).collect();
    if !failed.is_empty() || rule_tests.is_empty() {
        bail!("cfn-guard test: {} of {cases} rule test cases did not come out as expected:\n  {}", failed.len(), failed.join("\n  "));
    }
    eprintln!("<== cfn-guard test: {} rules, {cases} test cases, all as expected, in {test_time:.1?}", rule_tests.len());

    eprintln!("\n==> cfn-guard validate --rules policies --data infra/cloudformation");
    let validate_started = Instant::now();
    let files: Vec<PathBuf> = templates.iter().map(|t| t.path.clone()).collect();
    let reports = guard.validate(&infra_check::template::policies_dir(root), &files)?;
    let validate_time = validate_started.elapsed();
    let rules: Vec<String> = rule_tests.iter().map(|r| r.rule.clone()).collect();
    print_matrix(&rules, &reports);
    let failures: Vec<String> =
        reports.iter().flat_map(|r| r.failed.iter().map(move |rule| format!("{rule} on {}", r.file_name()))).collect();
    if !failures.is_empty() || reports.len() != templates.len() {
        bail!("cfn-guard validate: {} rule/template pairs failed:\n  {}", failures.len(), failures.join("\n  "));
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
        templates.iter().map(|t| t.resources().count()).sum::<usize>(),
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

/// Rule x template: P pass, F fail, . not applicable.
fn print_matrix(rules: &[String], reports: &[infra_check::guard::FileReport]) {
    let width = rules.iter().map(String::len).max().unwrap_or(4);
    let names: Vec<String> = reports.iter().map(|r| r.file_name().trim_end_matches(".yaml").to_owned()).collect();
    eprintln!("    {:width$}  {}", "rule", names.join("  "));
    for rule in rules {
        let cells: Vec<String> = reports
            .iter()
            .zip(&names)
            .map(|(report, name)| {
                let mark = if report.failed.contains(rule) {
                    "F"
                } else if report.passed.contains(rule) {
                    "P"
                } else {
                    "."
                };
                format!("{mark:^w$}", w = name.len())
            })
            .collect();
        eprintln!("    {rule:width$}  {}", cells.join("  "));
    }
}
