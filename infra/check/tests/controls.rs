//! checkov over every template (one run, shared by these tests): no failed check, and every skip explained on
//! its resource; the controls catalogue complete; the controls matrix snapshotted (insta) with today's evidence,
//! so that a review sees what a change does to the audit picture. Needs checkov in `.venv` and the cfn-guard CLI:
//! without them these tests fail, they never skip.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Instant;

use infra_check::checkov::{self, CheckResult, Outcome};
use infra_check::controls::{self, Finding};
use infra_check::guard::Guard;
use infra_check::repo_root;
use infra_check::template::{Template, checkov_skips, load_all};

fn templates() -> Vec<Template> {
    load_all(&repo_root()).unwrap()
}

fn rules() -> BTreeSet<String> {
    infra_check::template::rule_names(&repo_root()).unwrap()
}

/// checkov's results, run once for this test binary.
fn checkov_results() -> &'static [CheckResult] {
    static RESULTS: OnceLock<Vec<CheckResult>> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let root = repo_root();
        let files = checkov::template_files(&root);
        let started = Instant::now();
        let results = checkov::run(&root, &files).unwrap_or_else(|e| panic!("{e}"));
        eprintln!("checkov: {} files, {} results in {:.1?}", files.len(), results.len(), started.elapsed());
        results
    })
}

#[test]
fn checkov_finds_nothing_unexplained() {
    let results = checkov_results();
    assert!(results.len() > 100, "checkov checked almost nothing ({} results): did it read the templates?", results.len());
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| format!("{} {} on {}.{} ({})", r.check_id, r.check_name, r.template, r.logical_id, r.resource_type))
        .collect();
    assert!(
        failed.is_empty(),
        "checkov found {} problems; fix each, or skip it on the resource with Metadata.checkov.skip [{{id, comment}}] saying why:\n{}",
        failed.len(),
        failed.join("\n")
    );
    let unexplained: Vec<String> = results
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Skipped(comment) if comment.trim().len() < 20))
        .map(|r| format!("{} on {}.{}", r.check_id, r.template, r.logical_id))
        .collect();
    assert!(unexplained.is_empty(), "checkov skips without a comment that explains them: {unexplained:?}");
}

/// Every skip written on a resource is one checkov honoured (a typo in an id would silently skip nothing).
#[test]
fn every_checkov_skip_on_a_resource_is_honoured() {
    let honoured: BTreeSet<(String, String, String)> = checkov_results()
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skipped(_)))
        .map(|r| (r.template.clone(), r.logical_id.clone(), r.check_id.clone()))
        .collect();
    let mut written = BTreeSet::new();
    for t in templates() {
        for (id, resource) in t.resources() {
            for (check, _) in checkov_skips(resource) {
                written.insert((t.name.clone(), id.to_owned(), check));
            }
        }
    }
    assert_eq!(written, honoured);
}

#[test]
fn the_catalogue_maps_every_rule_and_names_every_suppressed_check() {
    let catalog = controls::load(&repo_root()).unwrap();
    let problems = controls::problems(&catalog, &rules(), &templates());
    assert!(problems.is_empty(), "policies/controls.yaml: {problems:#?}");
    let owner: Vec<&str> = catalog.promises.iter().filter(|p| p.owner).map(|p| p.id.as_str()).collect();
    assert_eq!(owner, ["oac-only", "sse-kms", "waf-attached", "cognito-authorizer"], "the owner's four promises come first");
}

/// Card data stays in Stripe's frames: scripts only from our origin and js.stripe.com, frames only from Stripe.
#[test]
fn the_csp_keeps_card_data_in_stripes_frames() {
    let csp: std::collections::BTreeMap<String, String> = controls::payment_csp(&templates()).into_iter().collect();
    assert_eq!(csp.get("script-src").map(String::as_str), Some("'self' https://js.stripe.com"));
    assert_eq!(csp.get("frame-src").map(String::as_str), Some("https://js.stripe.com https://hooks.stripe.com"));
    assert_eq!(csp.get("default-src").map(String::as_str), Some("'self'"));
    assert_eq!(csp.get("frame-ancestors").map(String::as_str), Some("'none'"));
}

fn findings() -> Vec<Finding> {
    let root = repo_root();
    let templates = templates();
    let guard = Guard::locate().unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut findings = controls::guard_findings(&guard, &templates, &root, dir.path()).unwrap();
    eprintln!("guard probes: {} findings in {:.1?}", findings.len(), started.elapsed());
    findings.extend(controls::checkov_findings(checkov_results()));
    let catalog = controls::load(&root).unwrap();
    findings.extend(controls::not_run_findings(&catalog, &templates, &rules()));
    findings.sort();
    findings
}

#[test]
fn controls_matrix() {
    let findings = findings();
    let catalog = controls::load(&repo_root()).unwrap();
    // Every rule covers at least one resource it passes on (else it guards nothing here).
    let covered: BTreeSet<&str> = findings.iter().filter(|f| f.outcome == controls::Outcome::Pass).map(|f| f.check.as_str()).collect();
    let idle: Vec<String> = rules().into_iter().filter(|r| !covered.contains(r.as_str())).collect();
    assert!(idle.is_empty(), "rules that pass on no resource: {idle:?}");
    assert!(findings.iter().all(|f| f.outcome != controls::Outcome::Fail), "failing checks: {findings:#?}");
    insta::assert_snapshot!(controls::render_markdown(&catalog, &templates(), &findings));
}
