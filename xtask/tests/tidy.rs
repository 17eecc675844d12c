//! Convention checks that keep the architecture honest, run as ordinary tests.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The names in a manifest's `[dependencies]` table (not dev-dependencies).
fn dependencies(crate_dir: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(crate_dir).join("Cargo.toml")).unwrap();
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps
            && let Some((name, _)) = line.split_once(['=', '.'])
            && !name.trim().is_empty()
        {
            out.push(name.trim().to_owned());
        }
    }
    out
}

#[test]
fn the_domain_crate_is_pure() {
    let deps = dependencies("services/domain");
    // chrono-tz is the IANA time zone database as data: no clock, no I/O.
    assert_eq!(
        deps,
        ["chrono", "chrono-tz", "serde", "serde_json", "thiserror"],
        "the domain may not depend on I/O, AWS, Stripe, HTTP or a clock"
    );
    let manifest = std::fs::read_to_string(root().join("services/domain/Cargo.toml")).unwrap();
    assert!(!manifest.contains("clock"), "the domain must not read the clock");
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let chrono = workspace.lines().find(|l| l.starts_with("chrono")).unwrap();
    assert!(chrono.contains("default-features = false") && !chrono.contains("clock"), "{chrono}");
}

#[test]
fn ports_and_use_cases_know_no_vendor() {
    for krate in ["services/ports", "services/app"] {
        for dep in dependencies(krate) {
            for banned in ["aws-sdk", "aws-config", "stripe", "lambda", "axum", "reqwest", "redb", "hyper"] {
                assert!(!dep.contains(banned), "{krate} depends on {dep}");
            }
        }
    }
}

#[test]
fn readme_starts_with_the_two_commands() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let head: String = readme.lines().take(25).collect::<Vec<_>>().join("\n");
    assert!(head.contains("cargo xtask dev") && head.contains("cargo xtask check"), "README must open with the two commands");
}

#[test]
fn no_ignored_tests() {
    let mut offenders = Vec::new();
    for dir in ["services", "observability"] {
        visit(&root().join(dir), &mut |path, text| {
            if text.contains(&["#[", "ignore"].concat()) {
                offenders.push(path.display().to_string());
            }
        });
    }
    assert!(offenders.is_empty(), "ignored tests are not passing tests: {offenders:?}");
}

#[test]
fn recording_metrics_links_no_cloudwatch_client_and_no_test_support() {
    for krate in ["observability/emf", "observability/metrics"] {
        for dep in dependencies(krate) {
            assert!(
                !dep.starts_with("aws-") && !dep.contains("test-support"),
                "{krate} depends on {dep}: a Lambda that records metrics would link it"
            );
        }
    }
}

#[test]
fn cloudwatch_test_support_is_only_ever_a_dev_dependency() {
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members: Vec<&str> = workspace
        .lines()
        .skip_while(|l| !l.starts_with("members"))
        .skip(1)
        .take_while(|l| !l.starts_with(']'))
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"'))
        .collect();
    assert!(members.contains(&"observability/ops"), "{members:?}");
    for member in members {
        assert!(
            !dependencies(member).iter().any(|d| d == "cloudwatch-test-support"),
            "{member} depends on cloudwatch-test-support outside dev-dependencies"
        );
    }
}

fn visit(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs") {
            f(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn audit_test_support_stays_out_of_production_crates() {
    let members = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let members: Vec<&str> = members
        .split("members = [")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap()
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .collect();
    assert!(members.contains(&"infra/audit-fixtures"), "{members:?}");
    for member in members.iter().filter(|m| **m != "infra/audit-fixtures") {
        let deps = dependencies(member);
        assert!(!deps.iter().any(|d| d == "infra-audit-fixtures"), "{member} ships the audit's test support");
    }
}

/// Every package `package` links into its library and binaries, from `cargo metadata`'s resolved graph (normal
/// dependencies only: not dev- or build-dependencies).
fn linked_packages(package: &str) -> std::collections::BTreeSet<String> {
    let output = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let name_of = |id: &str| -> String {
        metadata["packages"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap()["name"].as_str().unwrap().to_owned()
    };
    let nodes = metadata["resolve"]["nodes"].as_array().unwrap();
    let start = nodes.iter().find(|n| name_of(n["id"].as_str().unwrap()) == package).unwrap()["id"].as_str().unwrap().to_owned();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![start];
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for dep in node["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            if normal {
                todo.push(dep["pkg"].as_str().unwrap().to_owned());
            }
        }
    }
    seen.iter().map(|id| name_of(id)).collect()
}

/// The Lambda binaries cannot pick up the local stack's adjustable clock, its stand-ins for Stripe and Cognito,
/// or the tests' doubles: they do not even link them.
#[test]
fn lambda_binaries_link_no_local_stand_ins_or_test_support() {
    let linked = linked_packages("booking-functions");
    let forbidden = [
        "devstack",
        "booking-test-support",
        "booking-local-aws",
        "local-stripe",
        "local-idp",
        "booking-store-contract",
        "proptest",
        // The moto harness's HTTP client and the local stack's server: neither belongs in a Lambda.
        "reqwest",
        "axum",
    ];
    for forbidden in forbidden {
        assert!(!linked.contains(forbidden), "booking-functions links {forbidden}");
    }
    assert!(linked.contains("booking-app"), "the check reads the real graph: {linked:?}");
}
