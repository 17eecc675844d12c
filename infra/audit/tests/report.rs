//! The report an auditor reads, for the scenario trail carrying every security-event record: snapshots of the
//! table, JSON and Markdown renderings (changes, trail health, log integrity), and the exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use infra_audit::audit::{KeySource, Options, Parts, Source, run};
use infra_audit::engine::{Filter, Window};
use infra_audit::report::{ExitCode, Format, Report};
use infra_audit::rules::Severity;
use infra_audit::store::Store;
use infra_audit_fixtures::scenario::{Case, build};
use serde_json::json;

const ARN: &str = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/harbour-prod-audit";

/// DescribeTrails, GetTrailStatus, GetEventSelectors of a healthy trail whose digests stopped three hours ago.
fn trail_answers(selectors: serde_json::Value) -> Vec<(u16, serde_json::Value)> {
    vec![
        (
            200,
            json!({"trailList": [{"Name": "harbour-prod-audit", "TrailARN": ARN, "HomeRegion": "eu-west-1", "IsMultiRegionTrail": true,
            "IncludeGlobalServiceEvents": true, "LogFileValidationEnabled": true,
            "KmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"}]}),
        ),
        (200, json!({"IsLogging": true, "LatestDeliveryTime": 1_795_186_800.0, "LatestDigestDeliveryTime": 1_795_176_091.0})),
        (200, json!({"TrailARN": ARN, "AdvancedEventSelectors": selectors})),
    ]
}

async fn report(case: Case) -> (Report, String) {
    let catalogue = common::catalogue();
    let rules = common::rules(&catalogue);
    let spec = catalogue.trail().unwrap();
    let selectors: Vec<serde_json::Value> = spec
        .selectors
        .iter()
        .map(|s| {
            json!({"Name": s.name, "FieldSelectors": s.fields.iter().map(|f| json!({
                "Field": f.field,
                f.operator.clone(): f.values.iter().map(|v| v.as_str().replace("arn:*:", "arn:aws:").replace(":*:*:", ":eu-west-1:111122223333:").replace('*', "111122223333")).collect::<Vec<_>>(),
            })).collect::<Vec<_>>()})
        })
        .collect();
    let (client, _) = common::replaying_cloudtrail(&trail_answers(json!(selectors))).await;
    let scenario = build(common::keys(), case, "us-east-1");
    let dir = tempfile::tempdir().unwrap();
    scenario.write_dir(dir.path(), common::keys()).unwrap();
    let options = Options {
        parts: Parts { changes: true, health: true, integrity: true },
        window: Window::default(),
        filter: Filter::default(),
        now: common::now(),
    };
    let source = Source::Logs(Store::dir(dir.path()));
    let keys = Some(KeySource::Loaded(common::published(common::keys())));
    let report = run(&catalogue, &rules, source, keys, Some(("eu-west-1", &client)), &options, &mut |_| {}).await.unwrap();
    (report, dir.path().display().to_string())
}

fn render(report: &Report, format: Format, dir: &str) -> String {
    report.render(format, Severity::High).replace(dir, "<fixtures>")
}

#[tokio::test]
async fn the_report_in_every_format() {
    let (report, dir) = report(Case::Intact).await;
    insta::assert_snapshot!("table", render(&report, Format::Table, &dir));
    insta::assert_snapshot!("markdown", render(&report, Format::Markdown, &dir));
    insta::assert_snapshot!("json", render(&report, Format::Json, &dir));
    let json: serde_json::Value = serde_json::from_str(&render(&report, Format::Json, &dir)).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["summary"]["exit_code"], 1);
}

#[tokio::test]
async fn the_exit_code_follows_findings_health_and_integrity() {
    let (intact, _) = report(Case::Intact).await;
    assert_eq!(intact.exit_code(Severity::High), ExitCode::Findings, "critical and high findings, a late digest");
    let mut quiet = intact.clone();
    quiet.findings.retain(|f| f.severity < Severity::High);
    assert_eq!(quiet.exit_code(Severity::High), ExitCode::Findings, "the digest delivery check (high) still fails");
    quiet.health = None;
    assert_eq!(quiet.exit_code(Severity::High), ExitCode::Clean);
    assert_eq!(quiet.exit_code(Severity::Info), ExitCode::Findings, "--fail-on info counts every finding");
    let (tampered, dir) = report(Case::ExtraLog).await;
    assert_eq!(tampered.exit_code(Severity::Critical), ExitCode::Integrity, "integrity outranks findings");
    let table = render(&tampered, Format::Table, &dir);
    assert!(table.contains("FAIL  AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/111122223333_CloudTrail_us-east-1_20261120T1141Z_EXTRAx7Kq2Lm9Pz.json.gz"), "{table}");
    assert!(table.contains("log file listed in no verified digest"), "{table}");
    assert!(table.contains("LOG INTEGRITY FAILED (1 problems)"), "{table}");
}
