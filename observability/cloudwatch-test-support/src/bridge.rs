//! A protocol bridge between `aws-sdk-cloudwatch` and moto.
//!
//! The Rust SDK speaks CloudWatch's Smithy RPCv2 CBOR protocol only (`POST /service/GraniteServiceVersion20100801/
//! operation/<Operation>`, CBOR bodies); moto 5.2.5 has no CBOR support. The bridge turns each request into
//! CloudWatch's query protocol (see [`Model`]), which moto answers whatever botocore the venv holds, and the XML
//! answer back into CBOR, and changes nothing else: the SDK's own serializers and moto's CloudWatch (its metric
//! store, statistics, alarms) meet over HTTP as they would without it.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use ciborium::Value as Cbor;

use crate::Error;
use crate::query::Model;
use crate::wire::{cbor_value_response, request_json};

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
    model: std::sync::Arc<Model>,
}

impl Bridge {
    /// Listens on a free loopback port and forwards to moto at `upstream` (e.g. `http://127.0.0.1:5000`),
    /// speaking the query protocol of `model`.
    pub async fn start(upstream: &str, model: Model) -> Result<Bridge, Error> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.map_err(Error::Bind)?;
        let address = listener.local_addr().map_err(Error::Bind)?;
        let state = Upstream {
            url: format!("{}/", upstream.trim_end_matches('/')),
            http: reqwest::Client::new(),
            model: std::sync::Arc::new(model),
        };
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

async fn translate(upstream: &Upstream, operation: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, Error> {
    let form = upstream.model.encode(operation, &request_json(body)?)?;
    let mut request =
        upstream.http.post(&upstream.url).header("content-type", "application/x-www-form-urlencoded; charset=utf-8").body(form);
    // moto finds the service from the credential scope of the (unverified) signature.
    for name in ["authorization", "x-amz-date", "x-amz-security-token", "amz-sdk-invocation-id"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.as_bytes());
        }
    }
    let answer = request.send().await.map_err(Error::Upstream)?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let request_id = answer.headers().get("x-amzn-requestid").cloned();
    let text = answer.text().await.map_err(Error::Upstream)?;
    let output = if text.trim().is_empty() {
        Cbor::Map(Vec::new())
    } else {
        // moto answers what it cannot handle with an HTML error page: pass it on as a protocol error the SDK can
        // show, with moto's status.
        upstream.model.decode(operation, &text).unwrap_or_else(|error| {
            Cbor::Map(vec![
                (Cbor::Text("__type".into()), Cbor::Text("MotoError".into())),
                (
                    Cbor::Text("message".into()),
                    Cbor::Text(format!("moto answered HTTP {} with no CloudWatch answer ({error}): {}", status.as_u16(), text.trim())),
                ),
            ])
        })
    };
    let mut response = cbor_value_response(status, &output)?;
    if let Some(id) = request_id {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    Ok(response)
}
