//! Each Lambda build links only what its function uses: the dependency tree cargo resolves for a function's
//! feature set (`lambda::features`, the same flags `cargo xtask build` passes) holds async-stripe exactly when the
//! function is wired with the payment provider, and never the local stack's embedded store (redb). Read with
//! `cargo tree`, which resolves without compiling.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::process::Command;

use booking_functions::FunctionName;
use infra_deploy::lambda::{self, PACKAGE};

/// The package names in the normal (linked) dependency tree of a build of `PACKAGE` with exactly `features`.
fn linked(features: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["tree", "--locked", "--package", PACKAGE, "--edges", "normal", "--prefix", "none", "--format", "{p}"])
        .arg("--no-default-features")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect()
}

#[test]
fn a_function_links_stripe_only_if_it_pays_and_no_function_links_the_local_stack() {
    let mut seen = Vec::new();
    for function in FunctionName::ALL {
        let tree = linked(&lambda::features(function.as_str()));
        let pays = function.spec().payments;
        seen.push((function.as_str(), tree.contains("async-stripe"), tree.contains("booking-stripe"), tree.contains("redb")));
        assert!(tree.contains("lambda_runtime"), "{function:?}: the tree was not read: {tree:?}");
        assert_eq!(tree.contains("async-stripe"), pays, "{function:?}");
    }
    assert_eq!(
        seen,
        [
            ("payment", true, true, false),
            ("record", true, true, false),
            ("query", false, false, false),
            ("notify", false, false, false),
            ("sweeper", true, true, false),
        ]
    );
}

#[test]
fn the_workspace_default_still_has_everything_for_the_local_stack() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "--locked", "--package", PACKAGE, "--edges", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    let tree = String::from_utf8(output.stdout).unwrap();
    assert!(tree.contains("async-stripe ") && tree.contains("redb "), "{tree}");
}
