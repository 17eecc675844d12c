//! The OpenAPI document describes the API the function descriptions serve: the same routes, the same public
//! ones, the same operation ids.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;

use booking_functions::Auth;
use booking_functions::functions::routes;
use serde_yaml_ng::Value;

#[test]
fn openapi_matches_the_function_descriptions() {
    let doc: Value = serde_yaml_ng::from_str(include_str!("../openapi.yaml")).unwrap();
    let paths = doc["paths"].as_mapping().unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in paths {
        for (method, op) in ops.as_mapping().unwrap() {
            let method = method.as_str().unwrap().to_uppercase();
            // `security: []` means public; otherwise the global Cognito requirement applies.
            let public = op.get("security").and_then(Value::as_sequence).is_some_and(|s| s.is_empty());
            let id = op["operationId"].as_str().unwrap().to_owned();
            documented.insert((method, path.as_str().unwrap().to_owned(), public, id));
        }
    }
    let routed: BTreeSet<_> =
        routes().map(|(_, r)| (r.method.to_owned(), r.resource.to_owned(), r.auth == Auth::Public, r.operation.id().to_owned())).collect();
    assert_eq!(documented, routed, "openapi.yaml and services/functions/src/functions.rs disagree");
    assert!(doc["security"][0].get("cognito").is_some(), "Cognito must be the default requirement");
}
