//! The templates against the code they deploy: the API against the route table and the OpenAPI document, the
//! guard rule's public-method exceptions against both, the CloudFront security headers against the local
//! stack's, and the Lambda environment against what the binaries read.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::{BTreeMap, BTreeSet};

use booking_functions::Auth;
use booking_functions::functions::{FUNCTIONS, FunctionSpec, routes};
use infra_check::inventory::{api_path, ref_name};
use infra_check::repo_root;
use infra_check::template::{Template, at, get, load, long_form, templates_dir};
use serde_yaml_ng::Value;

fn template(name: &str) -> Template {
    let mut t = load(&templates_dir(&repo_root()).join(name)).unwrap();
    t.doc = long_form(t.doc);
    t
}

fn resources_of<'a>(t: &'a Template, ty: &str) -> Vec<(&'a str, &'a Value)> {
    t.resources().filter(|(_, r)| get(r, "Type").and_then(Value::as_str) == Some(ty)).collect()
}

/// `(verb, path, function, public)` of one API method, read from the template.
type Route = (String, String, String, bool);

fn template_routes(api: &Template) -> BTreeMap<String, Route> {
    resources_of(api, "AWS::ApiGateway::Method")
        .into_iter()
        .map(|(id, method)| {
            let verb = at(method, "Properties/HttpMethod").and_then(Value::as_str).unwrap().to_owned();
            let resource = ref_name(at(method, "Properties/ResourceId")).unwrap();
            let path = api_path(&api.doc, resource).unwrap_or_else(|| panic!("{id}: no path"));
            let uri = at(method, "Properties/Integration/Uri/Fn::Sub").and_then(Value::as_str).unwrap();
            let function = uri.split("${").find_map(|s| s.split_once("Function.Arn}")).map(|(f, _)| f.to_lowercase()).unwrap();
            let auth = at(method, "Properties/AuthorizationType").and_then(Value::as_str).unwrap();
            assert!(matches!(auth, "NONE" | "COGNITO_USER_POOLS"), "{id}: {auth}");
            (id.to_owned(), (verb, path, function, auth == "NONE"))
        })
        .collect()
}

#[test]
fn api_methods_equal_the_route_table() {
    let api = template("api.yaml");
    let in_template: BTreeSet<Route> = template_routes(&api).into_values().collect();
    let in_code: BTreeSet<Route> =
        routes().map(|(f, r)| (r.method.to_owned(), r.resource.to_owned(), f.as_str().to_owned(), r.auth == Auth::Public)).collect();
    assert_eq!(in_template, in_code, "infra/cloudformation/api.yaml and services/functions/src/functions.rs disagree");
}

#[test]
fn method_operation_names_are_the_openapi_operation_ids() {
    let api = template("api.yaml");
    let openapi: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(repo_root().join("services/functions/openapi.yaml")).unwrap()).unwrap();
    for (id, (verb, path, _, _)) in template_routes(&api) {
        let operation = get(&openapi, "paths")
            .and_then(|paths| get(paths, &path))
            .and_then(|item| get(item, &verb.to_lowercase()))
            .and_then(|op| get(op, "operationId"))
            .and_then(Value::as_str);
        assert!(operation.is_some(), "openapi.yaml has no operationId for {verb} {path}");
        let name = at(api.resource(&id).unwrap(), "Properties/OperationName").and_then(Value::as_str);
        assert_eq!(name, operation, "{id} ({verb} {path})");
    }
}

#[test]
fn the_guard_rules_public_exceptions_are_exactly_the_public_routes() {
    let api = template("api.yaml");
    let public_in_template: BTreeSet<String> = template_routes(&api).into_iter().filter(|(_, r)| r.3).map(|(id, _)| id).collect();
    let rule = std::fs::read_to_string(repo_root().join("policies/apigw_method_cognito_authorizer.guard")).unwrap();
    let list = rule.lines().find_map(|l| l.strip_prefix("let apigw_public_method_ids = ")).expect("the exception list");
    let listed: BTreeSet<String> = list.trim_matches(['[', ']']).split(',').map(|s| s.trim().trim_matches('\'').to_owned()).collect();
    assert_eq!(listed, public_in_template);
}

#[test]
fn every_route_may_invoke_only_its_function() {
    let api = template("api.yaml");
    let mut granted = BTreeSet::new();
    let mut from_topics = Vec::new();
    for (id, permission) in resources_of(&api, "AWS::Lambda::Permission") {
        // The email feedback topic invokes notify (SES's bounces); every other permission is a route's.
        if at(permission, "Properties/Principal").and_then(Value::as_str) == Some("sns.amazonaws.com") {
            from_topics.push(at(permission, "Properties/FunctionName/Ref").and_then(Value::as_str).unwrap().to_owned());
            continue;
        }
        let function = at(permission, "Properties/FunctionName/Fn::GetAtt/0").and_then(Value::as_str).unwrap();
        let arn = at(permission, "Properties/SourceArn/Fn::Sub").and_then(Value::as_str).unwrap();
        let (_, route) = arn.split_once("${RestApi}/*/").unwrap_or_else(|| panic!("{id}: {arn}"));
        let (verb, path) = route.split_once('/').unwrap();
        granted.insert((verb.to_owned(), format!("/{path}"), function.trim_end_matches("Function").to_lowercase()));
    }
    let expected: BTreeSet<(String, String, String)> = template_routes(&api)
        .into_values()
        .map(|(verb, path, function, _)| {
            let wildcarded: Vec<&str> = path.split('/').map(|s| if s.starts_with('{') { "*" } else { s }).collect();
            (verb, wildcarded.join("/"), function)
        })
        .collect();
    assert_eq!(granted, expected);
    assert_eq!(from_topics, ["NotifyFunction"], "only notify takes SNS invocations (the email feedback topic)");
}

#[test]
fn the_deployment_waits_for_every_method() {
    let api = template("api.yaml");
    let (_, deployment) = resources_of(&api, "AWS::ApiGateway::Deployment").pop().unwrap();
    let depends: BTreeSet<&str> =
        get(deployment, "DependsOn").and_then(Value::as_sequence).unwrap().iter().filter_map(Value::as_str).collect();
    for (id, _) in resources_of(&api, "AWS::ApiGateway::Method").into_iter().chain(resources_of(&api, "AWS::ApiGateway::GatewayResponse")) {
        assert!(depends.contains(id), "ApiDeployment must DependsOn {id}, or the stage can be deployed without it");
    }
}

#[test]
fn lambda_environments_are_the_documented_contract() {
    let api = template("api.yaml");
    let mut seen = BTreeMap::new();
    for (id, function) in resources_of(&api, "AWS::Lambda::Function") {
        let vars: BTreeSet<&str> = at(function, "Properties/Environment/Variables")
            .and_then(Value::as_mapping)
            .unwrap()
            .keys()
            .filter_map(Value::as_str)
            .collect();
        seen.insert(id.to_owned(), vars.into_iter().collect::<Vec<_>>().join(" "));
    }
    // What each function's settings read (`FunctionSpec::aws_environment`), plus the two optional variables
    // every function takes.
    let expected: BTreeMap<String, String> = FUNCTIONS
        .iter()
        .map(|spec| {
            let mut vars: BTreeSet<&str> = spec.aws_environment().into_iter().collect();
            vars.extend(["HOTEL_CATALOG_PATH", "RUST_LOG"]);
            (function_id(spec.name.as_str()), vars.into_iter().collect::<Vec<_>>().join(" "))
        })
        .collect();
    assert_eq!(seen, expected, "update README (Configuration) and the functions' wiring together with this");
}

/// The header name -> value pairs the local stack sets (`devstack::site::SECURITY_HEADERS`).
fn local_security_headers() -> BTreeMap<String, String> {
    devstack::site::SECURITY_HEADERS.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn cloudfront_sends_the_local_stacks_security_headers() {
    let edge = template("edge.yaml");
    let (_, policy) = resources_of(&edge, "AWS::CloudFront::ResponseHeadersPolicy").pop().unwrap();
    let config = at(policy, "Properties/ResponseHeadersPolicyConfig/SecurityHeadersConfig").unwrap();
    let text = |path: &str| at(config, path).map(|v| serde_yaml_ng::to_string(v).unwrap().trim().trim_matches('"').to_owned());
    let flag = |path: &str| at(config, path).and_then(Value::as_bool) == Some(true);
    for part in ["ContentSecurityPolicy", "StrictTransportSecurity", "ContentTypeOptions", "ReferrerPolicy", "FrameOptions"] {
        assert!(flag(&format!("{part}/Override")), "{part} must override the origin's header");
    }
    let mut cloudfront = BTreeMap::new();
    cloudfront.insert("content-security-policy".to_owned(), text("ContentSecurityPolicy/ContentSecurityPolicy").unwrap());
    let mut hsts = format!("max-age={}", text("StrictTransportSecurity/AccessControlMaxAgeSec").unwrap());
    if flag("StrictTransportSecurity/IncludeSubdomains") {
        hsts.push_str("; includeSubDomains");
    }
    if flag("StrictTransportSecurity/Preload") {
        hsts.push_str("; preload");
    }
    cloudfront.insert("strict-transport-security".to_owned(), hsts);
    if at(config, "ContentTypeOptions").is_some() {
        cloudfront.insert("x-content-type-options".to_owned(), "nosniff".to_owned());
    }
    cloudfront.insert("referrer-policy".to_owned(), text("ReferrerPolicy/ReferrerPolicy").unwrap());
    cloudfront.insert("x-frame-options".to_owned(), text("FrameOptions/FrameOption").unwrap());
    assert_eq!(cloudfront, local_security_headers(), "edge.yaml's response headers policy and services/devstack/src/site.rs differ");
}

/// `payment` -> `PaymentFunction`, the template's naming.
fn function_id(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default() + "Function"
}

/// The statements of a role's inline policies that allow something.
fn allow_statements(role: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for policy in at(role, "Properties/Policies").and_then(Value::as_sequence).unwrap() {
        for statement in at(policy, "PolicyDocument/Statement").and_then(Value::as_sequence).unwrap() {
            if get(statement, "Effect").and_then(Value::as_str) == Some("Allow") {
                out.push(statement);
            }
        }
    }
    out
}

fn actions(statement: &Value) -> BTreeSet<String> {
    match get(statement, "Action") {
        Some(Value::String(a)) => BTreeSet::from([a.clone()]),
        Some(Value::Sequence(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => BTreeSet::new(),
    }
}

fn role_of<'a>(api: &'a Template, spec: &FunctionSpec) -> &'a Value {
    let role_id = function_id(spec.name.as_str()).replace("Function", "Role");
    resources_of(api, "AWS::IAM::Role").into_iter().find(|(id, _)| *id == role_id).map(|(_, r)| r).unwrap()
}

/// Each role allows exactly the DynamoDB actions its function's store calls make (derived through the adapter's
/// `dynamodb_actions`), on the table's indexes only when it queries, the Stripe secret only when it pays, and
/// writes to the data key only when it writes: least privilege from the same description the wiring enforces.
#[test]
fn lambda_roles_allow_exactly_what_their_function_declares() {
    let api = template("api.yaml");
    for spec in FUNCTIONS {
        let name = spec.name.as_str();
        let statements = allow_statements(role_of(&api, spec));
        let table_actions: BTreeSet<String> = statements
            .iter()
            .flat_map(|s| actions(s))
            .filter(|a| {
                a.starts_with("dynamodb:")
                    && !matches!(
                        a.as_str(),
                        "dynamodb:DescribeStream" | "dynamodb:GetRecords" | "dynamodb:GetShardIterator" | "dynamodb:ListStreams"
                    )
            })
            .collect();
        let derived: BTreeSet<String> =
            spec.store_calls.iter().flat_map(|c| booking_aws::dynamodb_actions(*c)).map(|a| (*a).to_owned()).collect();
        assert_eq!(table_actions, derived, "{name}: its role's DynamoDB actions are not what its store calls need");
        let resources = |sid: &str| {
            statements.iter().find(|s| get(s, "Sid").and_then(Value::as_str) == Some(sid)).map(|s| serde_yaml_ng::to_string(s).unwrap())
        };
        let table = resources("BookingTable").unwrap_or_default();
        assert_eq!(
            table.contains("/index/*"),
            derived.contains("dynamodb:Query"),
            "{name}: index access without queries, or queries without it"
        );
        let secret = statements.iter().any(|s| actions(s).contains("secretsmanager:GetSecretValue"));
        assert_eq!(secret, spec.payments, "{name}: the Stripe secret belongs exactly to the functions that pay");
        let publishes = statements.iter().any(|s| actions(s).iter().any(|a| a.starts_with("sns:Publish")));
        assert_eq!(publishes, spec.notifier, "{name}: SNS publish belongs exactly to the notifier");
        let key_writes = statements.iter().any(|s| actions(s).iter().any(|a| matches!(a.as_str(), "kms:Encrypt" | "kms:GenerateDataKey")));
        assert_eq!(key_writes, !spec.read_only(), "{name}: data key encryption belongs exactly to functions that write");
    }
}

/// `query` serves only reads: no write action on the table and no way to the Stripe secret (issue 9).
#[test]
fn the_query_function_is_read_only() {
    let api = template("api.yaml");
    let spec = booking_functions::FunctionName::Query.spec();
    assert!(spec.read_only() && !spec.payments);
    let statements = allow_statements(role_of(&api, spec));
    let all: BTreeSet<String> = statements.iter().flat_map(|s| actions(s)).collect();
    for write in
        ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "secretsmanager:GetSecretValue"]
    {
        assert!(!all.contains(write), "QueryRole allows {write}");
    }
    let (_, function) = resources_of(&api, "AWS::Lambda::Function").into_iter().find(|(id, _)| *id == "QueryFunction").unwrap();
    assert!(at(function, "Properties/Environment/Variables/STRIPE_SECRET_ARN").is_none());
}

/// The table the DynamoDB adapter reads and writes is the table `data.yaml` creates: keys, indexes (by name, the
/// adapter queries them by name), TTL attribute and the stream the notify function reads.
#[test]
fn booking_table_matches_the_adapters_layout() {
    use booking_aws::TableLayout;
    let data = template("data.yaml");
    let table = resources_of(&data, "AWS::DynamoDB::Table").into_iter().find(|(id, _)| *id == "BookingTable").unwrap().1;
    let keys = |schema: Option<&Value>| -> (String, String) {
        let schema = schema.and_then(Value::as_sequence).unwrap();
        let key = |kind: &str| {
            schema
                .iter()
                .find(|k| get(k, "KeyType").and_then(Value::as_str) == Some(kind))
                .and_then(|k| get(k, "AttributeName"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        };
        (key("HASH"), key("RANGE"))
    };
    assert_eq!(keys(at(table, "Properties/KeySchema")), (TableLayout::PARTITION_KEY.to_owned(), TableLayout::SORT_KEY.to_owned()));
    let indexes: BTreeSet<(String, String, String)> = at(table, "Properties/GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .unwrap()
        .iter()
        .map(|gsi| {
            let (hash, range) = keys(get(gsi, "KeySchema"));
            (get(gsi, "IndexName").and_then(Value::as_str).unwrap().to_owned(), hash, range)
        })
        .collect();
    let in_code: BTreeSet<(String, String, String)> =
        TableLayout::INDEXES.iter().map(|(n, h, r)| ((*n).to_owned(), (*h).to_owned(), (*r).to_owned())).collect();
    assert_eq!(indexes, in_code, "data.yaml's indexes and services/aws/src/dynamo.rs disagree");
    assert_eq!(at(table, "Properties/TimeToLiveSpecification/AttributeName").and_then(Value::as_str), Some(TableLayout::TTL_ATTRIBUTE));
    assert_eq!(at(table, "Properties/StreamSpecification/StreamViewType").and_then(Value::as_str), Some("NEW_IMAGE"));
}
