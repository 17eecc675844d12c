//! House rules for templates and policies (see /work/shared/STYLE.md and README, "Infrastructure"): templates
//! describe themselves, cost-allocation tags everywhere, no secrets, exceptions only in resource Metadata with a
//! reason, and the AWS Guard rules registry layout for policies.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::path::PathBuf;

use infra_check::repo_root;
use infra_check::template::{Template, at, get, load_all, mapping, policies_dir};
use serde_yaml_ng::Value;

fn templates() -> Vec<Template> {
    load_all(&repo_root()).unwrap()
}

/// Types that take a `Tags` list (Cognito user pools take a `UserPoolTags` map, SSM parameters a `Tags` map).
const TAGGABLE: &[&str] = &[
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Stage",
    "AWS::CertificateManager::Certificate",
    "AWS::CloudFront::Distribution",
    "AWS::CloudTrail::Trail",
    "AWS::CloudWatch::Alarm",
    "AWS::Cognito::UserPool",
    "AWS::DynamoDB::Table",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Logs::Delivery",
    "AWS::Logs::DeliveryDestination",
    "AWS::Logs::DeliverySource",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::SES::ConfigurationSet",
    "AWS::SES::EmailIdentity",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Parameter",
    "AWS::Shield::Protection",
    "AWS::WAFv2::WebACL",
];

/// Types without tags in CloudFormation (their cost is attributed to the tagged resource they belong to).
const UNTAGGABLE: &[&str] = &[
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::Resource",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudWatch::Dashboard",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::KMS::Alias",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::Permission",
    "AWS::Logs::QueryDefinition",
    "AWS::Route53::RecordSet",
    "AWS::Route53::RecordSetGroup",
    "AWS::SES::ConfigurationSetEventDestination",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::Scheduler::Schedule",
    "AWS::WAFv2::LoggingConfiguration",
    "AWS::WAFv2::WebACLAssociation",
];

const COST_TAGS: &[&str] = &["Project", "Environment", "CostCenter"];

#[test]
fn templates_parameters_and_outputs_are_described() {
    let mut missing = Vec::new();
    for t in templates() {
        if get(&t.doc, "Description").and_then(Value::as_str).is_none_or(str::is_empty) {
            missing.push(format!("{}: template", t.name));
        }
        for section in ["Parameters", "Outputs"] {
            for (name, item) in mapping(&t.doc, section).into_iter().flatten() {
                if get(item, "Description").and_then(Value::as_str).is_none_or(str::is_empty) {
                    missing.push(format!("{}: {section}.{}", t.name, name.as_str().unwrap_or("?")));
                }
            }
        }
    }
    assert!(missing.is_empty(), "without a Description: {missing:?}");
}

#[test]
fn taggable_resources_carry_the_cost_allocation_tags() {
    let mut problems = Vec::new();
    for t in templates() {
        for (id, resource) in t.resources() {
            let ty = get(resource, "Type").and_then(Value::as_str).unwrap_or_default();
            if UNTAGGABLE.contains(&ty) {
                continue;
            }
            if !TAGGABLE.contains(&ty) {
                problems.push(format!("{}: {id}: classify {ty} as TAGGABLE or UNTAGGABLE in this test", t.name));
                continue;
            }
            let keys: BTreeSet<String> = match ty {
                "AWS::Cognito::UserPool" | "AWS::SSM::Parameter" => {
                    at(resource, if ty == "AWS::SSM::Parameter" { "Properties/Tags" } else { "Properties/UserPoolTags" })
                        .and_then(Value::as_mapping)
                        .into_iter()
                        .flatten()
                        .filter_map(|(k, _)| k.as_str().map(str::to_owned))
                        .collect()
                }
                _ => at(resource, "Properties/Tags")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .filter_map(|tag| get(tag, "Key").and_then(Value::as_str).map(str::to_owned))
                    .collect(),
            };
            for tag in COST_TAGS {
                if !keys.contains(*tag) {
                    problems.push(format!("{}: {id} has no {tag} tag", t.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Where a `{{resolve:secretsmanager:...}}` dynamic reference may stand: the two ends of the origin-verify
/// check, which AWS can only configure with the value itself (a web ACL's byte match, a CloudFront origin
/// header). Anywhere else (a Lambda environment, a tag, an output) the resolved secret would be readable by anyone
/// who can describe the resource, so functions get the secret's ARN instead.
const SECRET_REFERENCE_PLACES: &[(&str, &str)] =
    &[("AWS::WAFv2::WebACL", "/ByteMatchStatement/SearchString/Fn::Sub"), ("AWS::CloudFront::Distribution", "/HeaderValue/Fn::Sub")];

/// Every string under `value` with its `/`-separated path.
fn strings_with_paths(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((path.to_owned(), s.clone())),
        Value::Sequence(items) => items.iter().enumerate().for_each(|(i, v)| strings_with_paths(v, &format!("{path}/{i}"), out)),
        Value::Mapping(m) => m.iter().for_each(|(k, v)| strings_with_paths(v, &format!("{path}/{}", k.as_str().unwrap_or("?")), out)),
        Value::Tagged(tagged) => strings_with_paths(&tagged.value, path, out),
        _ => {}
    }
}

#[test]
fn no_secret_is_in_a_template() {
    for t in templates() {
        let text = std::fs::read_to_string(&t.path).unwrap();
        for needle in ["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "PRIVATE KEY", "AKIA", "{{resolve:ssm-secure"] {
            assert!(!text.contains(needle), "{} contains {needle:?}: secrets stay in Secrets Manager, passed by ARN", t.name);
        }
        let doc = infra_check::template::long_form(t.doc.clone());
        for (id, resource) in mapping(&doc, "Resources").into_iter().flatten() {
            let ty = get(resource, "Type").and_then(Value::as_str).unwrap_or_default();
            let mut strings = Vec::new();
            strings_with_paths(resource, "", &mut strings);
            for (path, text) in strings.iter().filter(|(_, s)| s.contains("{{resolve:secretsmanager")) {
                let allowed = SECRET_REFERENCE_PLACES.iter().any(|(place_ty, suffix)| *place_ty == ty && path.ends_with(suffix));
                assert!(
                    allowed,
                    "{}: {}{path} resolves a secret ({text}) where it would be readable: pass the secret's ARN instead",
                    t.name,
                    id.as_str().unwrap_or("?")
                );
            }
        }
        for (name, parameter) in mapping(&t.doc, "Parameters").into_iter().flatten() {
            assert!(get(parameter, "NoEcho").is_none(), "{}: parameter {name:?} is NoEcho: pass a Secrets Manager ARN instead", t.name);
        }
    }
}

#[test]
fn exceptions_live_in_resource_metadata_with_a_reason() {
    let cfnlintrc = std::fs::read_to_string(repo_root().join(".cfnlintrc")).unwrap();
    let config: Value = serde_yaml_ng::from_str(&cfnlintrc).unwrap();
    for key in ["ignore_checks", "ignore_templates", "mandatory_checks_off"] {
        assert!(get(&config, key).is_none(), ".cfnlintrc must not {key}: put the exception in the resource's Metadata");
    }
    // This directory's rules, and the third-party ids policies/controls.yaml lists (AWS Guard Rules Registry rules
    // are suppressed in the same Metadata.guard place, keyed by their identifier).
    let mut rules = rule_names();
    let catalog = infra_check::controls::load(&repo_root()).unwrap();
    rules.extend(catalog.third_party.iter().filter(|c| c.tool != "checkov").map(|c| c.id.clone()));
    let checkov_checks: BTreeSet<String> = catalog.third_party.iter().filter(|c| c.tool == "checkov").map(|c| c.id.clone()).collect();
    let mut problems = Vec::new();
    for t in templates() {
        for (id, resource) in t.resources() {
            for (check, comment) in infra_check::template::checkov_skips(resource) {
                if !checkov_checks.contains(&check) {
                    problems.push(format!("{}: {id} skips checkov {check}, which policies/controls.yaml does not list", t.name));
                }
                if comment.len() < 20 {
                    problems.push(format!("{}: {id} skips checkov {check} without a comment saying why", t.name));
                }
            }
            for rule in at(resource, "Metadata/guard/SuppressedRules").and_then(Value::as_sequence).into_iter().flatten() {
                let rule = rule.as_str().unwrap_or_default();
                if !rules.contains(rule) {
                    problems.push(format!("{}: {id} suppresses unknown rule {rule}", t.name));
                }
                let reason = at(resource, &format!("Metadata/guard/Reasons/{rule}")).and_then(Value::as_str).unwrap_or_default();
                if reason.len() < 20 {
                    problems.push(format!("{}: {id} suppresses {rule} without Metadata.guard.Reasons.{rule}", t.name));
                }
            }
            for check in at(resource, "Metadata/cfn-lint/config/ignore_checks").and_then(Value::as_sequence).into_iter().flatten() {
                let check = check.as_str().unwrap_or_default();
                let reason = at(resource, &format!("Metadata/cfn-lint/reasons/{check}")).and_then(Value::as_str).unwrap_or_default();
                if reason.len() < 20 {
                    problems.push(format!("{}: {id} ignores cfn-lint {check} without Metadata.cfn-lint.reasons.{check}", t.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The README's exceptions table lists every exception written on a resource (guard suppressions, registry rules,
/// checkov skips): (template, resource, check). A row may name several resources and checks, comma-separated.
#[test]
fn readme_lists_every_exception() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = readme.split("\n### Exceptions on resources\n").nth(1).expect("README has an '### Exceptions on resources' section");
    let listed: BTreeSet<(String, String, String)> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| {
            let cells: Vec<String> = row.split('|').map(|c| c.trim().trim_matches('`').to_owned()).collect();
            (cells.len() > 4 && cells[1].ends_with(".yaml")).then(|| (cells[1].clone(), cells[2].clone(), cells[3].clone()))
        })
        .flat_map(|(template, resources, checks)| {
            let split = |cell: &str| cell.split(',').map(|c| c.trim().trim_matches('`').to_owned()).collect::<Vec<_>>();
            let checks = split(&checks);
            let mut rows = Vec::new();
            for resource in split(&resources) {
                rows.extend(checks.iter().map(|c| (template.clone(), resource.clone(), c.clone())));
            }
            rows
        })
        .collect();
    let written: BTreeSet<(String, String, String)> = infra_check::controls::exceptions(&templates())
        .into_iter()
        .map(|(template, resource, check, _)| (template, resource, check))
        .collect();
    assert_eq!(listed, written, "README (Infrastructure, Exceptions) and the resources' Metadata disagree");
}

fn rule_files() -> Vec<PathBuf> {
    infra_check::template::rule_files(&repo_root()).unwrap()
}

fn rule_names() -> BTreeSet<String> {
    infra_check::template::rule_names(&repo_root()).unwrap()
}

#[test]
fn policies_follow_the_guard_rules_registry_layout() {
    let mut problems = Vec::new();
    let mut problem = |file: &str, what: &str| problems.push(format!("{file}: {what}"));
    for path in rule_files() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let file = format!("policies/{name}.guard");

        let rules: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("rule ")).map(|l| l.split_whitespace().next().unwrap_or_default()).collect();
        if rules != [name.as_str()] {
            problem(&file, &format!("must hold exactly one rule named {name}, has {rules:?}"));
        }
        for heading in ["# Rule Identifier:", "# Description:", "# Why:", "# Reports on:", "# Scenarios:"] {
            if !text.contains(heading) {
                problem(&file, &format!("header lacks {heading:?}"));
            }
        }
        for scenario in ["SKIP: when", "PASS: when", "FAIL: when", &format!("suppresses {name}")] {
            if !text.contains(scenario) {
                problem(&file, &format!("scenarios lack {scenario:?}"));
            }
        }
        if !text.contains(&format!("Metadata.guard.SuppressedRules.* != \"{name}\"")) {
            problem(&file, "selection does not honour Metadata.guard.SuppressedRules");
        }
        let messages: Vec<&str> = text.split("<<").skip(1).map(|m| m.split(">>").next().unwrap_or_default()).collect();
        if messages.is_empty() {
            problem(&file, "no custom message");
        }
        for message in messages {
            let own_lines = message.starts_with('\n') && message.trim_end_matches(' ').ends_with('\n');
            if !(own_lines && message.contains("Violation:") && message.contains("Fix:")) {
                problem(&file, &format!("message must be `<<` / Violation: / Fix: / `>>` on their own lines: {message:?}"));
            }
        }

        let tests_path = policies_dir(&repo_root()).join("tests").join(format!("{name}_tests.yaml"));
        let Ok(tests_text) = std::fs::read_to_string(&tests_path) else {
            problem(&file, "no tests/<rule>_tests.yaml");
            continue;
        };
        let cases: Value = serde_yaml_ng::from_str(&tests_text).unwrap();
        let cases = cases.as_sequence().cloned().unwrap_or_default();
        let expectation = |case: &Value| at(case, &format!("expectations/rules/{name}")).and_then(Value::as_str).map(str::to_owned);
        for case in &cases {
            let named: Vec<&str> =
                at(case, "expectations/rules").and_then(Value::as_mapping).into_iter().flatten().filter_map(|(k, _)| k.as_str()).collect();
            if named != [name.as_str()] {
                problem(&file, &format!("test case {:?} must expect only {name}", get(case, "name")));
            }
        }
        let empty_skip = cases.iter().any(|c| {
            get(c, "input").and_then(Value::as_mapping).is_some_and(|m| m.is_empty()) && expectation(c).as_deref() == Some("SKIP")
        });
        let pass = cases.iter().any(|c| expectation(c).as_deref() == Some("PASS"));
        let fail = cases.iter().any(|c| expectation(c).as_deref() == Some("FAIL"));
        let suppressed = cases
            .iter()
            .any(|c| serde_yaml_ng::to_string(c).unwrap().contains("SuppressedRules") && expectation(c).as_deref() == Some("SKIP"));
        for (present, kind) in [
            (empty_skip, "empty input -> SKIP"),
            (pass, "compliant -> PASS"),
            (fail, "non-compliant -> FAIL"),
            (suppressed, "suppressed -> SKIP"),
        ] {
            if !present {
                problem(&file, &format!("tests lack a case {kind}"));
            }
        }
    }
    for entry in std::fs::read_dir(policies_dir(&repo_root()).join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_name().unwrap().to_string_lossy().into_owned();
        if !stem.strip_suffix("_tests.yaml").is_some_and(|rule| rule_names().contains(rule)) {
            problems.push(format!("policies/tests/{stem} belongs to no rule"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The cfn-guard version is pinned once (`policies/cfn-guard.version`): CI installs what the file says, and the
/// README names the same release.
#[test]
fn the_cfn_guard_pin_is_the_one_everyone_uses() {
    let pin = infra_check::guard::INSTALL_VERSION;
    let ci = std::fs::read_to_string(infra_check::repo_root().join(".ci/run")).unwrap();
    assert!(ci.contains("$(cat policies/cfn-guard.version)") && !ci.contains(&format!("={pin}")), ".ci/run must read the pin file");
    let readme = std::fs::read_to_string(infra_check::repo_root().join("README.md")).unwrap();
    assert!(readme.contains(&format!("cfn-guard@{pin}")), "README must name cfn-guard@{pin}");
}
