//! The policies catch every weakening of the real templates, and the real templates pass every policy.
//! Needs the cfn-guard CLI: without it these tests fail (with the install command), they never skip.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use infra_check::guard::{FileReport, Guard, Status};
use infra_check::mutation::{MUTATIONS, apply};
use infra_check::repo_root;
use infra_check::template::{Template, load_all, long_form, policies_dir};

fn guard() -> Guard {
    Guard::locate().unwrap_or_else(|e| panic!("{e}"))
}

fn templates() -> Vec<Template> {
    load_all(&repo_root()).unwrap()
}

fn rules() -> BTreeSet<String> {
    infra_check::template::rule_names(&repo_root()).unwrap()
}

fn write_all(dir: &std::path::Path, docs: &[(String, serde_yaml_ng::Value)]) -> Vec<PathBuf> {
    docs.iter()
        .map(|(name, doc)| {
            let path = dir.join(name);
            std::fs::write(&path, serde_yaml_ng::to_string(doc).unwrap()).unwrap();
            path
        })
        .collect()
}

fn by_file(reports: Vec<FileReport>) -> BTreeMap<String, FileReport> {
    reports.into_iter().map(|r| (r.file_name(), r)).collect()
}

#[test]
fn the_real_templates_pass_every_policy_and_every_policy_applies_somewhere() {
    let templates = templates();
    assert!(templates.len() >= 6, "templates missing: {:?}", templates.iter().map(|t| &t.name).collect::<Vec<_>>());
    let paths: Vec<PathBuf> = templates.iter().map(|t| t.path.clone()).collect();
    let reports = guard().validate(&policies_dir(&repo_root()), &paths).unwrap();
    assert_eq!(reports.len(), templates.len());
    let failures: Vec<String> =
        reports.iter().filter(|r| r.status == Status::Fail).map(|r| format!("{}: {:?}", r.file_name(), r.failed)).collect();
    assert!(failures.is_empty(), "the templates break policies: {failures:#?}");

    // A rule that passes nowhere guards nothing in this repository.
    let applied: BTreeSet<String> = reports.iter().flat_map(|r| r.passed.iter().cloned()).collect();
    let idle: Vec<String> = rules().into_iter().filter(|r| !applied.contains(r)).collect();
    assert!(idle.is_empty(), "these policies apply to no template: {idle:?}");
}

#[test]
fn every_weakening_is_caught_by_its_policy() {
    let templates = templates();
    let rules = rules();
    let dir = tempfile::tempdir().unwrap();
    // INFRA_CHECK_KEEP_MUTANTS=<dir> keeps the mutated templates for inspection.
    let kept = std::env::var_os("INFRA_CHECK_KEEP_MUTANTS").map(PathBuf::from);
    let out_dir = kept.as_deref().unwrap_or(dir.path());
    std::fs::create_dir_all(out_dir).unwrap();

    // The unmutated templates, rewritten the way the mutants are (long-form intrinsics), must still pass: a
    // failure below is then the mutation's doing, not the rewriting's.
    let baseline: Vec<(String, serde_yaml_ng::Value)> =
        templates.iter().map(|t| (format!("baseline-{}", t.name), long_form(t.doc.clone()))).collect();
    let mut docs = baseline;
    for (i, mutation) in MUTATIONS.iter().enumerate() {
        assert!(rules.contains(mutation.caught_by), "mutation `{}` names an unknown policy {}", mutation.name, mutation.caught_by);
        let template =
            templates.iter().find(|t| t.name == mutation.template).unwrap_or_else(|| panic!("no template {}", mutation.template));
        let mut doc = template.doc.clone();
        apply(mutation, &mut doc).unwrap();
        docs.push((format!("mutant-{i:03}.yaml"), long_form(doc)));
    }
    let paths = write_all(out_dir, &docs);
    let reports = by_file(guard().validate(&policies_dir(&repo_root()), &paths).unwrap());
    assert_eq!(reports.len(), docs.len(), "cfn-guard did not report on every file");

    for template in &templates {
        let report = &reports[&format!("baseline-{}", template.name)];
        assert_ne!(report.status, Status::Fail, "rewritten {} fails {:?}", template.name, report.failed);
    }
    let escaped: Vec<String> = MUTATIONS
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let report = &reports[&format!("mutant-{i:03}.yaml")];
            (!report.failed.contains(m.caught_by))
                .then(|| format!("{} ({}): expected {} to fail, failed: {:?}", m.name, m.template, m.caught_by, report.failed))
        })
        .collect();
    assert!(escaped.is_empty(), "{} of {} weakenings were not caught:\n{}", escaped.len(), MUTATIONS.len(), escaped.join("\n"));
}

#[test]
fn every_policy_is_exercised_by_a_mutation() {
    let exercised: BTreeSet<&str> = MUTATIONS.iter().map(|m| m.caught_by).collect();
    let missing: Vec<String> = rules().into_iter().filter(|r| !exercised.contains(r.as_str())).collect();
    assert!(missing.is_empty(), "no mutation shows that these policies can fail on the real templates: {missing:?}");
}
