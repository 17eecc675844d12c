//! Shared by the audit's integration tests: the templates' catalogue, the rules, the test keys (generated once
//! per test binary) and an audit over a directory or a store.
#![allow(dead_code, reason = "each test binary uses a different part")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

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

/// A local HTTP server answering CloudTrail's awsJson1.1 protocol from a script: each request gets the next
/// `(status, JSON body)` (errors carry `__type`, as CloudTrail's do), and every request is recorded. The SDK talks
/// to it over its real HTTP stack through `endpoint_url`.
///
/// Not the SDK's `StaticReplayClient`: its `test-util` feature switches on serde_json's `preserve_order` for every
/// crate of the workspace's test build, which would change the key order of JSON everywhere else.
#[derive(Clone)]
pub struct Replay {
    pub endpoint: String,
    requests: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

impl Replay {
    /// `(X-Amz-Target, JSON body)` of every request received, in order.
    pub fn requests(&self) -> Vec<(String, serde_json::Value)> {
        self.requests.lock().unwrap().clone()
    }

    pub fn bodies(&self) -> Vec<serde_json::Value> {
        self.requests().into_iter().map(|(_, body)| body).collect()
    }
}

type Script = (Arc<Mutex<VecDeque<(u16, serde_json::Value)>>>, Arc<Mutex<Vec<(String, serde_json::Value)>>>);

async fn answer(State((script, requests)): State<Script>, headers: HeaderMap, body: Bytes) -> (StatusCode, HeaderMap, String) {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    requests.lock().unwrap().push((target, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)));
    let (status, body) = script.lock().unwrap().pop_front().unwrap_or((500, serde_json::json!({"__type": "ScriptExhausted"})));
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/x-amz-json-1.1".parse().unwrap());
    (StatusCode::from_u16(status).unwrap(), headers, body.to_string())
}

/// Starts a replay server and a CloudTrail client (eu-west-1, dummy credentials) pointed at it.
pub async fn replaying_cloudtrail(responses: &[(u16, serde_json::Value)]) -> (aws_sdk_cloudtrail::Client, Replay) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(responses.iter().cloned().collect::<VecDeque<_>>()));
    let app = axum::Router::new().fallback(answer).with_state((script, requests.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = aws_sdk_cloudtrail::Config::builder()
        .behavior_version_latest()
        .region(aws_sdk_cloudtrail::config::Region::new("eu-west-1"))
        .credentials_provider(aws_sdk_cloudtrail::config::Credentials::new("AKIDAUDITTEST", "secret", None, None, "test"))
        .endpoint_url(&endpoint)
        .build();
    (aws_sdk_cloudtrail::Client::from_conf(config), Replay { endpoint, requests })
}
