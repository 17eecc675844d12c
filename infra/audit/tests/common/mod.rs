//! Shared by the audit's integration tests: the templates' catalogue, the rules, the test keys (generated once
//! per test binary) and an audit over a directory or a store.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use infra_audit::audit::{KeySource, Options, Parts, Source, run};
use infra_audit::catalogue::Catalogue;
use infra_audit::engine::{Filter, Window};
use infra_audit::keys::PublicKeys;
use infra_audit::report::Report;
use infra_audit::rules::RuleSet;
use infra_audit::store::Store;
use infra_audit_fixtures::scenario::Keys;

pub fn catalogue() -> Catalogue {
    Catalogue::load(&infra_check::repo_root(), "prod").unwrap()
}

pub fn rules(catalogue: &Catalogue) -> RuleSet {
    RuleSet::built_in(catalogue).unwrap()
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(Keys::generate)
}

/// What CloudTrail publishes: the two regions' keys, not the forger's.
pub fn published(keys: &Keys) -> PublicKeys {
    let mut published = PublicKeys::default();
    for key in [&keys.eu_west_1, &keys.us_east_1] {
        published.insert(key.fingerprint(), key.public_der());
    }
    published
}

/// The moment the reports are made (after the scenario's last digest).
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T15:00:00Z").unwrap().with_timezone(&Utc)
}

pub const ALL_BUT_HEALTH: Parts = Parts { changes: true, health: false, integrity: true };
pub const INTEGRITY_ONLY: Parts = Parts { changes: false, health: false, integrity: true };

pub async fn audit_store(store: Store, parts: Parts, window: Window) -> Report {
    let catalogue = catalogue();
    let rules = rules(&catalogue);
    let options = Options { parts, window, filter: Filter::default(), now: now() };
    run(&catalogue, &rules, Source::Logs(store), Some(KeySource::Loaded(published(keys()))), None, &options, &mut |_| {}).await.unwrap()
}

/// A CloudTrail client whose HTTP responses are replayed, in order, from `(status, JSON body)` pairs shaped as
/// CloudTrail's awsJson1.1 protocol answers (errors carry `__type`).
pub fn replaying_cloudtrail(
    responses: &[(u16, serde_json::Value)],
) -> (aws_sdk_cloudtrail::Client, aws_smithy_http_client::test_util::StaticReplayClient) {
    use aws_sdk_s3::primitives::SdkBody;
    use aws_smithy_http_client::test_util::{ReplayEvent, StaticReplayClient};
    let events = responses
        .iter()
        .map(|(status, body)| {
            ReplayEvent::new(
                http::Request::builder().uri("https://cloudtrail.eu-west-1.amazonaws.com/").body(SdkBody::empty()).unwrap(),
                http::Response::builder()
                    .status(*status)
                    .header("content-type", "application/x-amz-json-1.1")
                    .body(SdkBody::from(body.to_string()))
                    .unwrap(),
            )
        })
        .collect();
    let replay = StaticReplayClient::new(events);
    let config = aws_sdk_cloudtrail::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudtrail::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_cloudtrail::config::Credentials::new("AKIDAUDITTEST", "secret", None, None, "test"))
        .http_client(replay.clone())
        .build();
    (aws_sdk_cloudtrail::Client::from_conf(config), replay)
}

/// The bodies of the requests a replaying client received.
pub fn request_bodies(replay: &aws_smithy_http_client::test_util::StaticReplayClient) -> Vec<serde_json::Value> {
    replay
        .actual_requests()
        .map(|r| serde_json::from_slice(r.body().bytes().unwrap_or_default()).unwrap_or(serde_json::Value::Null))
        .collect()
}
