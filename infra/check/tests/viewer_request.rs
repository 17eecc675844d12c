//! The viewer-request CloudFront Function (edge.yaml, `ViewerRequestFunction`): www redirects to the apex, because
//! sign-in keeps its PKCE state per origin and Cognito knows only the apex's callback and logout URLs. Its
//! JavaScript is taken from the template as deployed (with `${DomainName}` set) and run by node's test runner in
//! CloudFront's `handler(event)` shape (`viewer_request.test.mjs`). Needs Node.js (`.ci/run` installs it); without
//! it this test fails, it never skips.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::process::Command;

use infra_check::repo_root;
use infra_check::template::{at, load, long_form, templates_dir};
use serde_yaml_ng::Value;

const APEX: &str = "harbourview.example";

#[test]
fn viewer_request_function_redirects_www_to_the_apex_and_serves_directory_indexes() {
    let edge = load(&templates_dir(&repo_root()).join("edge.yaml")).unwrap();
    let doc = long_form(edge.doc);
    let function = at(&doc, "Resources/ViewerRequestFunction").expect("edge.yaml has a ViewerRequestFunction");
    assert_eq!(at(function, "Properties/FunctionConfig/Runtime").and_then(Value::as_str), Some("cloudfront-js-2.0"));
    let code = at(function, "Properties/FunctionCode/Fn::Sub").and_then(Value::as_str).expect("FunctionCode is a !Sub of the domain");
    let code = code.replace("${DomainName}", APEX);
    assert!(!code.contains("${"), "FunctionCode substitutes more than DomainName: {code}");
    let distribution =
        at(&doc, "Resources/Distribution/Properties/DistributionConfig/DefaultCacheBehavior/FunctionAssociations/0").unwrap();
    assert_eq!(at(distribution, "EventType").and_then(Value::as_str), Some("viewer-request"));
    assert_eq!(at(distribution, "FunctionARN/Fn::GetAtt/0").and_then(Value::as_str), Some("ViewerRequestFunction"));

    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("viewer-request.js");
    std::fs::write(&script, code).unwrap();
    let test_file = repo_root().join("infra/check/tests/viewer_request.test.mjs");
    let output = Command::new("node")
        .arg("--test")
        .arg(&test_file)
        .env("VIEWER_REQUEST_JS", &script)
        .env("APEX", APEX)
        .output()
        .unwrap_or_else(|e| panic!("node could not be started ({e}); install Node.js 20+ (.ci/run does)"));
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the viewer-request function's tests failed:\n{report}");
    assert!(report.contains("# pass 6") && report.contains("# fail 0"), "expected 6 passing node tests:\n{report}");
}
