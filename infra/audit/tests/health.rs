//! Trail health against moto 5.2.5 (DescribeTrails, GetTrailStatus, GetEventSelectors), with the selectors the
//! template declares; moto never delivers digests, so the digest-delivery and delivery-error answers of a real
//! trail are replayed through the SDK's test HTTP client in CloudTrail's documented response shape.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod common;

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use booking_local_aws::moto::MotoServer;
use chrono::{DateTime, Utc};
use infra_audit::catalogue::{ExpectedSelector, NamePattern};
use infra_audit::health::{Check, trail_health};
use serde_json::json;

/// A concrete value the pattern matches (partition, region and account filled in).
fn instance(pattern: &NamePattern) -> String {
    let value =
        pattern.as_str().replacen("arn:*:", "arn:aws:", 1).replace(":*:*:", ":us-east-1:123456789012:").replace('*', "123456789012");
    assert!(pattern.matches(&value), "{value} must match {pattern:?}");
    value
}

/// The template's selectors as a deployment would have them, minus `drop` values.
fn deployed(expected: &[ExpectedSelector], drop: usize) -> Vec<AdvancedEventSelector> {
    let mut dropped = 0;
    expected
        .iter()
        .map(|selector| {
            let fields = selector
                .fields
                .iter()
                .map(|f| {
                    let mut values: Vec<String> = f.values.iter().map(instance).collect();
                    if dropped < drop && f.field == "resources.ARN" && values.len() > 1 {
                        values.pop();
                        dropped += 1;
                    }
                    let builder = AdvancedFieldSelector::builder().field(&f.field);
                    let builder = match f.operator.as_str() {
                        "Equals" => builder.set_equals(Some(values)),
                        "StartsWith" => builder.set_starts_with(Some(values)),
                        "NotEquals" => builder.set_not_equals(Some(values)),
                        other => panic!("the test does not deploy operator {other} yet"),
                    };
                    builder.build().unwrap()
                })
                .collect();
            AdvancedEventSelector::builder().name(&selector.name).set_field_selectors(Some(fields)).build().unwrap()
        })
        .collect()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64, 0).unwrap()
}

#[tokio::test]
async fn the_trail_on_moto_is_healthy_until_degraded() {
    let catalogue = common::catalogue();
    let spec = catalogue.trail().expect("monitoring.yaml declares the trail");
    assert_eq!(spec.name, "harbour-prod-audit");
    assert!(spec.selectors.len() >= 3, "{:#?}", spec.selectors);
    let moto = MotoServer::start().await.unwrap();
    let config = moto.sdk_config();
    let s3 = aws_sdk_s3::Client::new(&config);
    s3.create_bucket().bucket("harbour-prod-audit-123456789012").send().await.unwrap();
    let client = aws_sdk_cloudtrail::Client::new(&config);
    client
        .create_trail()
        .name(&spec.name)
        .s3_bucket_name("harbour-prod-audit-123456789012")
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .kms_key_id("arn:aws:kms:us-east-1:123456789012:key/1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b")
        .send()
        .await
        .unwrap();
    client
        .put_event_selectors()
        .trail_name(&spec.name)
        .set_advanced_event_selectors(Some(deployed(&spec.selectors, 0)))
        .send()
        .await
        .unwrap();
    client.start_logging().name(&spec.name).send().await.unwrap();

    let health = trail_health(&client, "us-east-1", spec, now()).await.unwrap();
    let failed: Vec<Check> = health.failures().map(|c| c.check).collect();
    assert_eq!(failed, [Check::DigestDelivery], "moto delivers no digests; everything else holds: {health:#?}");
    assert_eq!(health.failures().next().unwrap().detail, "no digest delivery recorded");
    assert_eq!(health.checks.iter().filter(|c| c.check == Check::EventSelector && c.passed).count(), spec.selectors.len());

    // Someone turns validation and multi-region off, narrows the function selector and stops logging.
    client.update_trail().name(&spec.name).enable_log_file_validation(false).is_multi_region_trail(false).send().await.unwrap();
    client
        .put_event_selectors()
        .trail_name(&spec.name)
        .set_advanced_event_selectors(Some(deployed(&spec.selectors, 1)))
        .send()
        .await
        .unwrap();
    client.stop_logging().name(&spec.name).send().await.unwrap();
    let health = trail_health(&client, "us-east-1", spec, now()).await.unwrap();
    let mut failed: Vec<Check> = health.failures().map(|c| c.check).collect();
    failed.sort();
    assert_eq!(
        failed,
        [Check::Logging, Check::MultiRegion, Check::LogFileValidation, Check::DigestDelivery, Check::EventSelector],
        "{health:#?}"
    );
    let selector = health.failures().find(|c| c.check == Check::EventSelector).unwrap();
    assert!(selector.detail.contains("missing or narrower"), "{}", selector.detail);

    // A trail of another name is not the product's trail.
    client.delete_trail().name(&spec.name).send().await.unwrap();
    let health = trail_health(&client, "us-east-1", spec, now()).await.unwrap();
    assert_eq!(health.failures().map(|c| c.check).collect::<Vec<_>>(), [Check::TrailExists]);
}

#[tokio::test]
async fn digest_delivery_and_delivery_errors_from_a_real_trail_status() {
    let catalogue = common::catalogue();
    let spec = catalogue.trail().unwrap();
    let now = DateTime::parse_from_rfc3339("2026-11-20T15:00:00Z").unwrap().with_timezone(&Utc);
    let arn = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/harbour-prod-audit";
    let selectors: Vec<serde_json::Value> = deployed(&spec.selectors, 0)
        .iter()
        .map(|s| {
            json!({"Name": s.name(), "FieldSelectors": s.field_selectors().iter().map(|f| {
                let mut field = json!({"Field": f.field()});
                if !f.equals().is_empty() { field["Equals"] = json!(f.equals()); }
                if !f.starts_with().is_empty() { field["StartsWith"] = json!(f.starts_with()); }
                if !f.not_equals().is_empty() { field["NotEquals"] = json!(f.not_equals()); }
                field
            }).collect::<Vec<_>>()})
        })
        .collect();
    let (client, replay) = common::replaying_cloudtrail(&[
        (
            200,
            json!({"trailList": [{"Name": "harbour-prod-audit", "S3BucketName": "harbour-prod-audit-111122223333",
            "IncludeGlobalServiceEvents": true, "IsMultiRegionTrail": true, "HomeRegion": "eu-west-1", "TrailARN": arn,
            "LogFileValidationEnabled": true, "KmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
            "HasCustomEventSelectors": true, "HasInsightSelectors": false, "IsOrganizationTrail": false}]}),
        ),
        (
            200,
            json!({"IsLogging": true, "LatestDeliveryTime": 1_795_182_900.0, "LatestDigestDeliveryTime": 1_795_183_291.0,
            "LatestDeliveryError": "AccessDenied", "StartLoggingTime": 1_760_002_400.0,
            "LatestDeliveryAttemptTime": "2026-11-20T13:55:00Z", "LatestDeliveryAttemptSucceeded": "2026-11-20T13:55:00Z",
            "TimeLoggingStarted": "2025-10-09T09:33:20Z", "TimeLoggingStopped": ""}),
        ),
        (200, json!({"TrailARN": arn, "AdvancedEventSelectors": selectors})),
    ])
    .await;
    let health = trail_health(&client, "eu-west-1", spec, now).await.unwrap();
    let digest = health.checks.iter().find(|c| c.check == Check::DigestDelivery).unwrap();
    assert!(digest.passed, "a digest 1h ago (14:01:31) is recent: {digest:?}");
    assert_eq!(
        health.failures().map(|c| (c.check, c.detail.as_str())).collect::<Vec<_>>(),
        [(Check::DeliveryErrors, "delivery: AccessDenied")]
    );
    let requests = replay.bodies();
    assert_eq!(requests[0], json!({"trailNameList": ["harbour-prod-audit"], "includeShadowTrails": true}));
    assert_eq!(requests[1], json!({"Name": arn}));

    // The same status a day later: the digests stopped.
    let (client, _) = common::replaying_cloudtrail(&[
        (
            200,
            json!({"trailList": [{"Name": "harbour-prod-audit", "TrailARN": arn, "IsMultiRegionTrail": true,
            "IncludeGlobalServiceEvents": true, "LogFileValidationEnabled": true, "KmsKeyId": "k"}]}),
        ),
        (200, json!({"IsLogging": true, "LatestDeliveryTime": 1_795_182_900.0, "LatestDigestDeliveryTime": 1_795_183_291.0})),
        (200, json!({"TrailARN": arn, "AdvancedEventSelectors": []})),
    ])
    .await;
    let later = now + chrono::TimeDelta::days(1);
    let health = trail_health(&client, "eu-west-1", spec, later).await.unwrap();
    let digest = health.checks.iter().find(|c| c.check == Check::DigestDelivery).unwrap();
    assert!(!digest.passed && digest.detail.contains("(24 h 58 min ago, more than 2 h)"), "{digest:?}");
    assert!(health.failures().filter(|c| c.check == Check::EventSelector).count() == spec.selectors.len(), "no selector left");
}

#[tokio::test]
async fn access_denied_names_the_permission() {
    let catalogue = common::catalogue();
    let (client, _) = common::replaying_cloudtrail(&[(
        400,
        json!({"__type": "AccessDeniedException", "message": "User: arn:aws:iam::111122223333:user/auditor is not authorized to perform: cloudtrail:DescribeTrails"}),
    )]).await;
    let error = trail_health(&client, "eu-west-1", catalogue.trail().unwrap(), common::now()).await.unwrap_err().to_string();
    assert!(error.contains("`cloudtrail:DescribeTrails`") && error.contains("eu-west-1"), "{error}");
}
