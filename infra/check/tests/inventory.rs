//! The resolved resource inventory, snapshotted: an infrastructure change shows up in review as a diff of
//! `tests/snapshots/inventory__resources.snap` (accept with `cargo insta review` or `INSTA_UPDATE=always`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use infra_check::inventory::{render, unknown_types};
use infra_check::repo_root;
use infra_check::template::load_all;

#[test]
fn every_resource_type_has_its_key_properties_listed() {
    let templates = load_all(&repo_root()).unwrap();
    assert_eq!(unknown_types(&templates), Vec::<String>::new(), "add these types to inventory::KEY_PROPERTIES");
}

#[test]
fn resources() {
    let templates = load_all(&repo_root()).unwrap();
    insta::assert_snapshot!(render(&templates));
}
