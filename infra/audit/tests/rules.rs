//! The rules file against realistic records (`infra/audit-fixtures/records/security-events.json`): each record
//! fires exactly its rules, every rule fires on some record, findings say who, where and what, and a broken
//! rules file is refused with the reason.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use infra_audit::catalogue::{Catalogue, Environment};
use infra_audit::engine::{Engine, Filter, Finding, Window};
use infra_audit::records::{Mfa, for_each_record};
use infra_audit::rules::{RuleSet, Severity};
use infra_audit_fixtures::records::security_events;
use serde_json::{Value, json};

fn run_with(records: &[Value], catalogue: &Catalogue, rules: &RuleSet, window: Window, filter: Filter) -> Vec<Finding> {
    let file = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    let mut engine = Engine::new(rules, catalogue, window, filter);
    for_each_record(&file, |r| engine.observe(&r)).unwrap();
    engine.finish().0
}

fn run(records: &[Value]) -> Vec<Finding> {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    run_with(records, &catalogue, &rules, Window::default(), Filter::default())
}

fn rule_ids(findings: &[Finding]) -> BTreeSet<String> {
    findings.iter().map(|f| f.rule.clone()).collect()
}

/// Record number (1-based, file order) → the rules it alone must fire.
const EXPECTED: &[(usize, &[&str])] = &[
    (1, &["console-login-without-mfa"]),
    (2, &[]), // console sign-in with MFA
    (3, &[]), // failed sign-in
    (4, &["root-account-used"]),
    (5, &[]), // a service acting for root
    (6, &["s3-bucket-policy-changed"]),
    (7, &[]), // policy of a bucket outside the product
    (8, &["s3-public-access-block-changed"]),
    (9, &["s3-bucket-encryption-changed"]),
    (10, &["s3-audit-retention-changed"]),
    (11, &["s3-audit-log-deleted"]),
    (12, &["kms-key-policy-changed"]),
    (13, &["kms-key-disabled-or-scheduled-for-deletion"]),
    (14, &["kms-key-rotation-disabled"]),
    (15, &["kms-product-alias-changed"]),
    (16, &["cloudfront-distribution-changed", "cloudfront-web-acl-removed"]),
    (17, &["cloudfront-security-headers-changed"]),
    (18, &["cloudfront-origin-access-control-changed"]),
    (19, &["cloudfront-function-changed"]),
    (20, &["waf-web-acl-changed"]),
    (21, &["waf-web-acl-disassociated"]),
    (22, &["cognito-user-pool-changed"]),
    (23, &["cognito-app-client-changed"]),
    (24, &["apigw-authorizer-changed"]),
    (25, &["apigw-method-changed", "apigw-method-without-authorization"]),
    (26, &["apigw-deployment"]),
    (27, &["apigw-stage-changed"]),
    (28, &["lambda-code-changed"]),
    (29, &["lambda-permission-changed"]),
    (30, &["lambda-function-url-changed"]),
    (31, &["lambda-event-source-mapping-changed"]),
    (32, &["lambda-configuration-changed"]),
    (33, &["iam-stack-role-changed"]),
    (34, &["iam-role-changed"]),
    (35, &["iam-access-key-created"]),
    (36, &["dynamodb-pitr-disabled"]),
    (37, &["dynamodb-deletion-protection-disabled"]),
    (38, &["dynamodb-stream-changed"]),
    (39, &["dynamodb-table-deleted"]),
    (40, &[]), // the payment function reading its own Stripe secret
    (41, &["stripe-secret-read-by-other-principal"]),
    (42, &["stripe-secret-changed"]),
    (43, &["cloudtrail-logging-stopped"]),
    (44, &[]), // StartLogging
    (45, &["cloudtrail-event-selectors-changed"]),
    (46, &["cloudtrail-trail-updated"]),
    (47, &["trail-log-group-changed"]),
    (63, &["s3-account-public-access-block-changed"]),
    (64, &["s3-ownership-or-acl-changed"]),
    (65, &["s3-product-bucket-deleted"]),
    (66, &["waf-logging-changed"]),
    (67, &["cognito-domain-changed"]),
    (68, &["apigw-api-replaced"]),
    (69, &["lambda-function-deleted"]),
    (70, &["iam-stack-policy-changed"]),
    (71, &["dynamodb-encryption-changed"]),
    (72, &["cloudtrail-trail-deleted"]),
    (73, &["cloudtrail-insight-selectors-changed"]),
    (74, &[]), // a function's data event on the table
    (75, &[]), // reading a bucket policy
    (76, &[]), // API Gateway invoking a function
];

#[test]
fn each_record_fires_exactly_its_rules() {
    let records = security_events();
    assert_eq!(records.len(), 76, "the fixture changed: update EXPECTED");
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    for (number, expected) in EXPECTED {
        let findings = run_with(&records[number - 1..*number], &catalogue, &rules, Window::default(), Filter::default());
        let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(rule_ids(&findings), expected, "record {number}: {}", records[number - 1]["eventName"]);
    }
    // A lone access-denied call is not a burst.
    for number in 48..=62 {
        assert!(run(&records[number - 1..number]).is_empty(), "record {number}");
    }
}

#[test]
fn every_rule_fires_on_some_record() {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let fired = rule_ids(&run(&security_events()));
    let defined: BTreeSet<String> = rules.rules().iter().map(|r| r.id.clone()).collect();
    let unexercised: Vec<_> = defined.difference(&fired).collect();
    assert!(unexercised.is_empty(), "rules without a fixture record: {unexercised:?}");
}

#[test]
fn twelve_denied_calls_in_three_minutes_are_one_burst_and_three_are_none() {
    let findings = run(&security_events()[47..62]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let burst = &findings[0];
    assert_eq!(burst.rule, "access-denied-burst");
    assert_eq!(burst.count, Some(12));
    assert_eq!(burst.principal.arn.as_deref(), Some("arn:aws:iam::111122223333:user/ci-legacy"));
    assert_eq!(burst.time.to_rfc3339(), "2026-11-20T12:30:00+00:00");
    assert_eq!(burst.until.unwrap().to_rfc3339(), "2026-11-20T12:32:45+00:00");
    assert_eq!(burst.event_names, ["ListBuckets", "ListSecrets", "ListTables", "ListUsers"]);
}

#[test]
fn a_finding_says_who_where_what_and_why() {
    let findings = run(&security_events()[5..6]);
    let f = &findings[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.time.to_rfc3339(), "2026-11-20T08:12:45+00:00");
    assert_eq!(f.event_names, ["PutBucketPolicy"]);
    assert_eq!(f.region, "eu-west-1");
    assert_eq!(f.resource.as_deref(), Some("harbour-prod-site-111122223333"));
    assert_eq!(f.component.as_deref(), Some("edge/SiteBucket"), "tied to the template's BucketName");
    assert_eq!(f.principal.kind, "AssumedRole");
    assert_eq!(f.principal.mfa, Mfa::Yes);
    assert!(f.principal.session_issuer.as_deref().unwrap().contains("AWSReservedSSO_AdministratorAccess"));
    assert_eq!(f.source_ip.as_deref(), Some("203.0.113.24"));
    assert!(f.user_agent.as_deref().unwrap().starts_with("Mozilla/5.0"));
    assert_eq!(f.changes.as_ref().unwrap()["policy"]["Statement"][0]["Principal"], "*", "the values the call set");
    assert!(f.why.contains("Origin Access Control"));

    // A console sign-in without MFA reports MFA "no" from additionalEventData.
    let login = &run(&security_events()[0..1])[0];
    assert_eq!(login.principal.mfa, Mfa::No);
    // A failed call is still reported, with its error.
    let delete = &run(&security_events()[38..39])[0];
    assert_eq!(delete.error_code.as_deref(), Some("ValidationException"));
    assert_eq!(delete.component.as_deref(), Some("data/BookingTable"));
    // Lambda names are matched inside ARNs, CloudFront distributions by the comment the template sets.
    assert_eq!(run(&security_events()[28..29])[0].component.as_deref(), Some("api/RecordFunction"));
    let distribution = run(&security_events()[15..16]);
    assert!(
        distribution.iter().all(|f| f.component.as_deref() == Some("edge/Distribution") && f.resource.as_deref() == Some("E2QWRUHAPOMQZL"))
    );
    assert_eq!(run(&security_events()[32..33])[0].component.as_deref(), Some("api/PaymentRole"));
    // Names are matched among the calling service's resources: the app client, not the OAC of the same name.
    assert_eq!(run(&security_events()[22..23])[0].component.as_deref(), Some("identity/SiteClient"));
}

#[test]
fn another_environment_does_not_match_prod_resources() {
    let templates = infra_check::template::load_all(&infra_check::repo_root()).unwrap();
    let staging = Catalogue::from_templates(&templates, Environment::new("staging", &templates).unwrap());
    let rules = RuleSet::built_in(&staging).unwrap();
    let findings = run_with(&security_events(), &staging, &rules, Window::default(), Filter::default());
    let fired = rule_ids(&findings);
    for prod_only in
        ["s3-bucket-policy-changed", "stripe-secret-read-by-other-principal", "dynamodb-table-deleted", "iam-stack-role-changed"]
    {
        assert!(!fired.contains(prod_only), "{prod_only} matched prod resources while auditing staging");
    }
    assert!(fired.contains("iam-role-changed"), "prod's stack roles are outside staging's stacks");
    assert!(Environment::new("qa", &templates).is_err(), "only the templates' environments");
}

#[test]
fn window_and_filters_narrow_the_findings() {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let at = |s: &str| Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
    let records = security_events();
    let window = Window { since: at("2026-11-20T09:00:00Z"), until: at("2026-11-20T09:05:00Z") };
    let found = rule_ids(&run_with(&records, &catalogue, &rules, window, Filter::default()));
    assert_eq!(
        found,
        ["kms-key-disabled-or-scheduled-for-deletion", "kms-key-policy-changed", "kms-key-rotation-disabled"].map(String::from).into(),
        "UpdateAlias at 09:05:00 is outside [since, until)"
    );
    let by_event = Filter { events: vec!["StopLogging".into()], ..Filter::default() };
    assert_eq!(
        rule_ids(&run_with(&records, &catalogue, &rules, Window::default(), by_event)),
        ["cloudtrail-logging-stopped".to_owned()].into()
    );
    let by_principal = Filter { principal: Some("user/bob".into()), ..Filter::default() };
    assert_eq!(
        rule_ids(&run_with(&records, &catalogue, &rules, Window::default(), by_principal)),
        ["console-login-without-mfa".to_owned()].into()
    );
    let critical = Filter { min_severity: Some(Severity::Critical), ..Filter::default() };
    let findings = run_with(&records, &catalogue, &rules, Window::default(), critical);
    assert!(!findings.is_empty() && findings.iter().all(|f| f.severity == Severity::Critical));
}

#[test]
fn a_broken_rules_file_is_refused_with_its_reason() {
    let catalogue = common::catalogue();
    let rule = |body: &str| {
        format!(
            "version: 1\nrules:\n  - id: r\n    severity: high\n    title: t\n    why: w\n    source: s3.amazonaws.com\n    events: [PutBucketPolicy]\n{body}"
        )
    };
    let check = |text: &str, reason: &str| {
        let error = RuleSet::parse(text, &catalogue).unwrap_err().to_string();
        assert!(error.contains(reason), "expected `{reason}` in: {error}");
    };
    RuleSet::parse(&rule(""), &catalogue).unwrap();
    check(&rule("    when:\n      - {path: requestParameters.bucketName, names: [edge/NoSuchBucket]}\n"), "edge/NoSuchBucket");
    check(&rule("    when:\n      - {path: requestParameter.bucketName, equals: x}\n"), "unsupported path `requestParameter.bucketName`");
    check(&rule("    when:\n      - {path: eventName, equals: x, prefix: y}\n"), "more than one test");
    check(&rule("    when:\n      - {path: eventName}\n"), "no test");
    check(&rule("    resource: requestParameters.bucketName\n    colour: red\n"), "unknown field `colour`");
    check(&rule("").replace("severity: high", "severity: urgent"), "unknown severity `urgent`");
    check(&rule("").replace("version: 1", "version: 2"), "version 2");
    check(
        &format!("{}{}", rule(""), "  - id: r\n    severity: low\n    title: t\n    why: w\n    source: x\n    events: [Y]\n"),
        "defined twice",
    );
    check(&rule("").replace("why: w", "why: ' '"), "a reason");
}
