//! The API's error codes are one enum (`booking_app::ErrorCode`); the OpenAPI document lists exactly them, and the
//! site explains none that the API cannot send.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;

use booking_app::ErrorCode;
use serde_yaml_ng::Value;

fn api_codes() -> BTreeSet<String> {
    ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect()
}

#[test]
fn openapi_lists_exactly_the_codes_the_api_answers_with() {
    let doc: Value = serde_yaml_ng::from_str(include_str!("../openapi.yaml")).unwrap();
    let schema = &doc["components"]["schemas"]["ErrorBody"];
    let listed: BTreeSet<String> = schema["properties"]["error"]["properties"]["code"]["enum"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, api_codes());
}

/// API Gateway answers some requests itself (`AWS::ApiGateway::GatewayResponse` templates): those codes are the
/// API's codes too, so a client never meets one the enum does not name.
#[test]
fn api_gateway_answers_only_with_the_apis_codes() {
    let template = include_str!("../../../infra/cloudformation/api.yaml");
    let used: BTreeSet<String> = template.split("\"code\": \"").skip(1).map(|rest| rest.split('"').next().unwrap().to_owned()).collect();
    assert!(used.len() >= 5, "{used:?}");
    let known = api_codes();
    let unknown: Vec<&String> = used.difference(&known).collect();
    assert!(unknown.is_empty(), "api.yaml's gateway responses use codes ErrorCode does not have: {unknown:?}");
}

#[test]
fn the_site_explains_only_codes_the_api_sends() {
    let core = include_str!("../../../site/js/core.js");
    let explain = core.split("export function explain(").nth(1).expect("explain() in site/js/core.js");
    let body = &explain[..explain.find("\n}\n").expect("end of explain()")];
    let explained: BTreeSet<String> = body.split("case '").skip(1).map(|rest| rest.split('\'').next().unwrap().to_owned()).collect();
    assert!(explained.len() >= 10, "{explained:?}");
    let unknown: Vec<&String> = explained.iter().filter(|c| !api_codes().contains(*c)).collect();
    assert!(unknown.is_empty(), "site/js/core.js explains codes the API never sends: {unknown:?}");
    for must in ["sold_out", "too_many_rooms", "cancellation_closed"] {
        assert!(explained.contains(must), "the site should explain {must}");
    }
}
