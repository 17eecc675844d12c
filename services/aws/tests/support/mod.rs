//! A recording pass-through in front of moto: every request body is kept, then forwarded unchanged. Used where
//! moto does not keep what it received (SNS message attributes on SMS), to check what went over the wire.

use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{Request, Response};

#[derive(Clone)]
pub struct Recorder {
    pub bodies: Arc<Mutex<Vec<String>>>,
    pub endpoint: String,
}

pub async fn record_in_front_of(upstream: &str) -> Recorder {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let state = (bodies.clone(), upstream.to_owned(), reqwest::Client::new());
    let app = axum::Router::new().fallback(forward).with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Recorder { bodies, endpoint }
}

type Shared = (Arc<Mutex<Vec<String>>>, String, reqwest::Client);

async fn forward(State((bodies, upstream, client)): State<Shared>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 10 << 20).await.unwrap();
    bodies.lock().unwrap().push(String::from_utf8_lossy(&bytes).into_owned());
    let url = format!("{upstream}{}", parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    let mut outgoing = client.request(parts.method, url).body(bytes);
    for (name, value) in &parts.headers {
        if name != "host" {
            outgoing = outgoing.header(name, value);
        }
    }
    let answer = outgoing.send().await.unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response.body(Body::from(answer.bytes().await.unwrap())).unwrap()
}
