//! The OpenAPI document and the route table must describe the same API.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;

use booking_functions::{Auth, ROUTES};
use serde_yaml_ng::Value;

#[test]
fn openapi_matches_the_route_table() {
    let doc: Value = serde_yaml_ng::from_str(include_str!("../openapi.yaml")).unwrap();
    let paths = doc["paths"].as_mapping().unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in paths {
        for (method, op) in ops.as_mapping().unwrap() {
            let method = method.as_str().unwrap().to_uppercase();
            // `security: []` means public; otherwise the global Cognito requirement applies.
            let public = op.get("security").and_then(Value::as_sequence).is_some_and(|s| s.is_empty());
            documented.insert((method, path.as_str().unwrap().to_owned(), public));
        }
    }
    let routed: BTreeSet<_> = ROUTES.iter().map(|r| (r.method.to_owned(), r.resource.to_owned(), r.auth == Auth::Public)).collect();
    assert_eq!(documented, routed, "openapi.yaml and routes.rs disagree");
    assert!(doc["security"][0].get("cognito").is_some(), "Cognito must be the default requirement");
}
