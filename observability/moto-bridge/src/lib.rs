//! Test support: a protocol bridge between `aws-sdk-cloudwatch` and moto.
//!
//! The Rust SDK speaks CloudWatch's Smithy RPCv2 CBOR protocol only (`POST /service/GraniteServiceVersion20100801/
//! operation/<Operation>`, CBOR bodies); moto 5.2.5 answers CloudWatch's JSON protocol (`POST /`,
//! `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, JSON bodies) and its query protocol, not CBOR. The
//! bridge translates each request and its answer and changes nothing else, so the SDK's own serializers and
//! moto's CloudWatch (its metric store, statistics, alarms) meet over HTTP as they would without it.
//!
//! The two protocols encode the same shapes with the same member names; what differs is the encoding. CBOR
//! timestamps are tag 1 (epoch seconds) where JSON has plain numbers: members named `*Timestamp`,
//! `*Timestamps` and `LastModified` — every timestamp member of CloudWatch's model — are tagged on the way
//! back. JSON integers become CBOR integers and JSON fractions CBOR doubles, which is what moto's model-driven
//! JSON serializer produces for `Integer` and `Double` shapes. Blobs do not occur in CloudWatch.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ciborium::Value as Cbor;
use serde_json::Value as Json;

/// The JSON protocol's target prefix (the service's Smithy shape name).
const TARGET_PREFIX: &str = "GraniteServiceVersion20100801";
const CBOR_TAG_EPOCH: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("could not listen on loopback: {0}")]
    Bind(std::io::Error),
    #[error("not CBOR: {0}")]
    Decode(String),
    #[error("could not encode JSON: {0}")]
    Json(serde_json::Error),
    #[error("could not reach moto: {0}")]
    Upstream(reqwest::Error),
    #[error("CBOR encoding failed: {0}")]
    Encode(String),
}

/// A running bridge; it stops when dropped.
#[derive(Debug)]
pub struct Bridge {
    /// Give this to the SDK as its endpoint URL.
    pub endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug, Clone)]
struct Upstream {
    url: String,
    http: reqwest::Client,
}

impl Bridge {
    /// Listens on a free loopback port and forwards to moto at `upstream` (e.g. `http://127.0.0.1:5000`).
    pub async fn start(upstream: &str) -> Result<Bridge, BridgeError> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.map_err(BridgeError::Bind)?;
        let address = listener.local_addr().map_err(BridgeError::Bind)?;
        let state = Upstream { url: format!("{}/", upstream.trim_end_matches('/')), http: reqwest::Client::new() };
        let app = Router::new().route("/service/{service}/operation/{operation}", post(forward)).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Bridge { endpoint: format!("http://{address}"), task })
    }
}

async fn forward(
    State(upstream): State<Upstream>,
    Path((_, operation)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match translate(&upstream, &operation, &headers, &body).await {
        Ok(response) => response,
        Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    }
}

async fn translate(upstream: &Upstream, operation: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, BridgeError> {
    let input = if body.is_empty() { Json::Object(Default::default()) } else { cbor_to_json(decode(body)?) };
    let mut request = upstream
        .http
        .post(&upstream.url)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("{TARGET_PREFIX}.{operation}"))
        .body(serde_json::to_vec(&input).map_err(BridgeError::Json)?);
    // moto finds the service from the credential scope of the (unverified) signature.
    for name in ["authorization", "x-amz-date", "x-amz-security-token", "amz-sdk-invocation-id"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let answer = request.send().await.map_err(BridgeError::Upstream)?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let request_id = answer.headers().get("x-amzn-requestid").cloned();
    let text = answer.bytes().await.map_err(BridgeError::Upstream)?;
    let output: Json = if text.is_empty() {
        Json::Object(Default::default())
    } else {
        // moto answers an unsupported request with an HTML error page: pass it on as a protocol error the SDK
        // can show, with moto's status.
        serde_json::from_slice(&text).unwrap_or_else(|_| {
            let page = String::from_utf8_lossy(&text);
            serde_json::json!({"__type": "MotoError", "message": format!("moto answered HTTP {} without JSON: {}", status.as_u16(), page.trim())})
        })
    };
    let mut bytes = Vec::new();
    ciborium::into_writer(&json_to_cbor(output, false), &mut bytes).map_err(|e| BridgeError::Encode(e.to_string()))?;
    let mut response = (status, bytes).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert("content-type", HeaderValue::from_static("application/cbor"));
    response_headers.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    if let Some(id) = request_id {
        response_headers.insert("x-amzn-requestid", id);
    }
    Ok(response)
}

fn decode(body: &[u8]) -> Result<Cbor, BridgeError> {
    ciborium::from_reader(body).map_err(|e| BridgeError::Decode(e.to_string()))
}

/// CBOR request -> JSON request: timestamps (tag 1) become epoch-second numbers, as the JSON protocol has them.
pub fn cbor_to_json(value: Cbor) -> Json {
    match value {
        Cbor::Null => Json::Null,
        Cbor::Bool(b) => Json::Bool(b),
        Cbor::Integer(i) => {
            let i = i128::from(i);
            i64::try_from(i).map(Json::from).or_else(|_| u64::try_from(i).map(Json::from)).unwrap_or(Json::Null)
        }
        Cbor::Float(f) => serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null),
        Cbor::Text(s) => Json::String(s),
        Cbor::Bytes(b) => Json::Array(b.into_iter().map(Json::from).collect()),
        Cbor::Tag(_, inner) => cbor_to_json(*inner),
        Cbor::Array(items) => Json::Array(items.into_iter().map(cbor_to_json).collect()),
        Cbor::Map(entries) => Json::Object(
            entries
                .into_iter()
                .filter_map(|(k, v)| match k {
                    Cbor::Text(k) => Some((k, cbor_to_json(v))),
                    _ => None,
                })
                .collect(),
        ),
        _ => Json::Null,
    }
}

fn is_timestamp_member(name: &str) -> bool {
    name.ends_with("Timestamp") || name.ends_with("Timestamps") || name == "LastModified"
}

/// JSON answer -> CBOR answer. `timestamp` is true inside a timestamp member (its numbers get tag 1).
pub fn json_to_cbor(value: Json, timestamp: bool) -> Cbor {
    match value {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(b),
        Json::Number(n) => {
            let number = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) if !timestamp => Cbor::Integer(i.into()),
                (_, Some(u), _) if !timestamp => Cbor::Integer(u.into()),
                (_, _, Some(f)) => Cbor::Float(f),
                _ => Cbor::Null,
            };
            if timestamp { Cbor::Tag(CBOR_TAG_EPOCH, Box::new(number)) } else { number }
        }
        Json::String(s) => Cbor::Text(s),
        Json::Array(items) => Cbor::Array(items.into_iter().map(|v| json_to_cbor(v, timestamp)).collect()),
        Json::Object(entries) => Cbor::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let timestamp = is_timestamp_member(&k);
                    (Cbor::Text(k), json_to_cbor(v, timestamp))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_tagged_and_numbers_keep_their_kind() {
        let json = serde_json::json!({
            "MetricDataResults": [{"Id": "a", "Values": [1.0, 2.5], "Timestamps": [1764000000.0, 1764000060]}],
            "MetricAlarms": [{"Period": 60, "Threshold": 5.0, "StateUpdatedTimestamp": 1764000000.5}]
        });
        let cbor = json_to_cbor(json, false);
        let text = format!("{cbor:?}");
        assert!(text.contains("Tag(1, Float(1764000000.0))") && text.contains("Tag(1, Float(1764000060.0))"), "{text}");
        assert!(text.contains("Integer(Integer(60))") && text.contains("Float(5.0)") && text.contains("Float(2.5)"), "{text}");
        assert!(text.contains("Tag(1, Float(1764000000.5))"), "{text}");
        assert!(!text.contains("Tag(1, Float(5.0))") && !text.contains("Tag(1, Integer"), "{text}");
    }

    #[test]
    fn cbor_requests_become_json_with_epoch_seconds() {
        let cbor = Cbor::Map(vec![
            (Cbor::Text("StartTime".into()), Cbor::Tag(1, Box::new(Cbor::Float(1764000000.0)))),
            (Cbor::Text("MaxDatapoints".into()), Cbor::Integer(100.into())),
        ]);
        assert_eq!(cbor_to_json(cbor), serde_json::json!({"StartTime": 1764000000.0, "MaxDatapoints": 100}));
    }
}
