//! A Lambda Runtime API for one invocation, on loopback: hands out one event on the first
//! `GET /2018-06-01/runtime/invocation/next`, records when it was asked for and when the function posted its
//! response (or an error), and leaves later `next` calls waiting, as Lambda does between invocations.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::sync::Notify;

/// What the function did, with the instants it did it.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub first_next: Option<Instant>,
    pub response: Option<(Instant, Vec<u8>)>,
    pub error: Option<String>,
}

#[derive(Debug)]
struct Shared {
    event: Vec<u8>,
    observed: Mutex<Observed>,
    done: Notify,
}

/// A running emulator.
#[derive(Debug)]
pub struct RuntimeApi {
    pub address: String,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

impl RuntimeApi {
    pub async fn start(event: Vec<u8>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let shared = Arc::new(Shared { event, observed: Mutex::new(Observed::default()), done: Notify::new() });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi { address, shared, server })
    }

    /// Waits until the function responded or failed.
    pub async fn finished(&self) -> Observed {
        loop {
            let notified = self.shared.done.notified();
            if let Ok(observed) = self.shared.observed.lock()
                && (observed.response.is_some() || observed.error.is_some())
            {
                return observed.clone();
            }
            notified.await;
        }
    }

    pub fn observed(&self) -> Observed {
        self.shared.observed.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let first = match shared.observed.lock() {
        Ok(mut observed) if observed.first_next.is_none() => {
            observed.first_next = Some(Instant::now());
            true
        }
        _ => false,
    };
    if !first {
        // The next invocation never comes; the measurement kills the process.
        std::future::pending::<()>().await;
    }
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() + 30_000).unwrap_or_default();
    headers.insert("lambda-runtime-aws-request-id", HeaderValue::from_static(REQUEST_ID));
    headers.insert("lambda-runtime-deadline-ms", HeaderValue::from_str(&deadline.to_string()).unwrap_or(HeaderValue::from_static("0")));
    headers.insert("lambda-runtime-invoked-function-arn", HeaderValue::from_static("arn:aws:lambda:eu-west-1:123456789012:function:bench"));
    headers.insert(
        "lambda-runtime-trace-id",
        HeaderValue::from_static("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, shared.event.clone())
}

async fn response(State(shared): State<Arc<Shared>>, Path(_id): Path<String>, body: Bytes) -> StatusCode {
    if let Ok(mut observed) = shared.observed.lock() {
        observed.response = Some((Instant::now(), body.to_vec()));
    }
    shared.done.notify_waiters();
    StatusCode::ACCEPTED
}

async fn error(State(shared): State<Arc<Shared>>, Path(_id): Path<String>, body: Bytes) -> StatusCode {
    record_error(&shared, body);
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    record_error(&shared, body);
    StatusCode::ACCEPTED
}

fn record_error(shared: &Shared, body: Bytes) {
    if let Ok(mut observed) = shared.observed.lock() {
        observed.error = Some(String::from_utf8_lossy(&body).into_owned());
    }
    shared.done.notify_waiters();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// One HTTP/1.1 request over a fresh connection, as lambda_runtime's client sends them; the raw response.
    async fn request(address: &str, head: &str, body: &[u8]) -> String {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let request = format!("{head} HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn hands_out_the_event_once_and_records_the_response() {
        let api = RuntimeApi::start(br#"{"hello":1}"#.to_vec()).await.unwrap();
        let started = Instant::now();
        let next = request(&api.address, "GET /2018-06-01/runtime/invocation/next", b"").await;
        assert!(next.starts_with("HTTP/1.1 200"), "{next}");
        assert!(next.contains(&format!("lambda-runtime-aws-request-id: {REQUEST_ID}")), "{next}");
        assert!(next.ends_with(r#"{"hello":1}"#), "{next}");
        let posted = request(&api.address, &format!("POST /2018-06-01/runtime/invocation/{REQUEST_ID}/response"), b"{\"ok\":true}").await;
        assert!(posted.starts_with("HTTP/1.1 202"), "{posted}");
        let observed = api.finished().await;
        let (first_next, (responded, body)) = (observed.first_next.unwrap(), observed.response.unwrap());
        assert!(started <= first_next && first_next <= responded);
        assert_eq!(body, b"{\"ok\":true}");
        assert_eq!(observed.error, None);
        // A second `next` waits, as Lambda does between invocations: nothing answers it.
        let second = tokio::time::timeout(
            std::time::Duration::from_millis(200),
            request(&api.address, "GET /2018-06-01/runtime/invocation/next", b""),
        )
        .await;
        assert!(second.is_err(), "a second event was handed out");
    }

    #[tokio::test]
    async fn an_init_error_ends_the_measurement() {
        let api = RuntimeApi::start(b"{}".to_vec()).await.unwrap();
        request(&api.address, "POST /2018-06-01/runtime/init/error", br#"{"errorMessage":"TABLE_NAME missing"}"#).await;
        let observed = api.finished().await;
        assert_eq!(observed.error.as_deref(), Some(r#"{"errorMessage":"TABLE_NAME missing"}"#));
        assert!(observed.response.is_none() && observed.first_next.is_none());
    }
}
