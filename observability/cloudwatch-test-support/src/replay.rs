//! A CloudWatch endpoint that answers with recorded responses, for what moto cannot answer (metric math,
//! percentile statistics). The answers are CloudWatch's documented response shapes, written as JSON and sent as
//! RPCv2 CBOR over real HTTP; the requests are kept for the test to read back. A request for another operation
//! than the next recorded one gets an error answer, so a test cannot pass on a call it did not expect.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value as Json, json};

use crate::Error;
use crate::wire::{cbor_response, request_json};

#[derive(Debug, Default)]
struct Tape {
    answers: VecDeque<(String, Json)>,
    requests: Vec<(String, Json)>,
}

/// A running replay endpoint; it stops when dropped.
#[derive(Debug)]
pub struct Replay {
    /// Give this to the SDK as its endpoint URL.
    pub endpoint: String,
    tape: Arc<Mutex<Tape>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(tape: &Mutex<Tape>) -> MutexGuard<'_, Tape> {
    tape.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Replay {
    /// Answers the given operations, in order, with the given bodies (JSON shapes of the API reference).
    pub async fn start(answers: Vec<(&str, Json)>) -> Result<Replay, Error> {
        let tape = Arc::new(Mutex::new(Tape {
            answers: answers.into_iter().map(|(operation, body)| (operation.to_owned(), body)).collect(),
            requests: Vec::new(),
        }));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.map_err(Error::Bind)?;
        let address = listener.local_addr().map_err(Error::Bind)?;
        let app = Router::new().route("/service/{service}/operation/{operation}", post(answer)).with_state(Arc::clone(&tape));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Replay { endpoint: format!("http://{address}"), tape, task })
    }

    /// The requests received so far: (operation, body as JSON).
    pub fn requests(&self) -> Vec<(String, Json)> {
        lock(&self.tape).requests.clone()
    }

    /// Recorded answers not asked for yet.
    pub fn unused(&self) -> usize {
        lock(&self.tape).answers.len()
    }
}

async fn answer(State(tape): State<Arc<Mutex<Tape>>>, Path((_, operation)): Path<(String, String)>, body: Bytes) -> Response {
    let request = match request_json(&body) {
        Ok(request) => request,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    let next = {
        let mut tape = lock(&tape);
        tape.requests.push((operation.clone(), request));
        match tape.answers.front() {
            Some((expected, _)) if *expected == operation => tape.answers.pop_front(),
            _ => None,
        }
    };
    let (status, body) = match next {
        Some((_, body)) => (StatusCode::OK, body),
        None => {
            (StatusCode::BAD_REQUEST, json!({"__type": "UnexpectedCall", "message": format!("no recorded answer for {operation} here")}))
        }
    };
    cbor_response(status, body).unwrap_or_else(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response())
}
