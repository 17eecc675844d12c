//! A harness for end-to-end tests: the local stack on a random port with a fresh data directory, and a guest's
//! view of it over real HTTP (sign-in through the identity provider, API calls, card payments at the local Stripe
//! server, the outbox).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test support: failing loudly is the point")]

pub mod round_trips;
pub mod soak;

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use devstack::{CLIENT_ID, RunningStack, StackConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Each scenario as two tests: `embedded::<name>` and `aws::<name>`.
#[macro_export]
macro_rules! in_both_modes {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::spawn().await).await
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::spawn_aws().await).await
                }
            )*
        }
    };
}

pub const DEMO_EMAIL: &str = "guest@example.com";
pub const DEMO_PASSWORD: &str = "demo-password";
pub const CARD_OK: &str = "4242 4242 4242 4242";
pub const CARD_DECLINED: &str = "4000 0000 0000 0002";
pub const CARD_NO_FUNDS: &str = "4000 0000 0000 9995";

#[derive(Debug)]
pub struct TestStack {
    pub stack: RunningStack,
    pub http: reqwest::Client,
    pub base: String,
    pub data_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
    /// In AWS mode, the emulator the stack's DynamoDB and SNS clients talk to (killed on drop).
    pub moto: Option<booking_local_aws::moto::MotoServer>,
}

pub fn site_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../site")
}

/// Starts a fresh stack with its own data directory.
pub async fn spawn() -> TestStack {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_owned();
    let mut stack = spawn_in(&data_dir).await;
    stack._dir = Some(dir);
    stack
}

/// Starts a fresh stack whose store and notifier are the AWS adapters, against a fresh moto.
pub async fn spawn_aws() -> TestStack {
    let moto = booking_local_aws::moto::MotoServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut stack = start(dir.path(), Some(moto.endpoint.clone())).await;
    stack._dir = Some(dir);
    stack.moto = Some(moto);
    stack
}

/// Starts a stack on an existing data directory (restart tests).
pub async fn spawn_in(data_dir: &Path) -> TestStack {
    start(data_dir, None).await
}

/// Starts a fresh stack whose background loops wait for the test (`dispatch_now`, `sweep_now`) after their first
/// pass, so each function is invoked with the same events on every run (metric snapshots). `aws`: the DynamoDB
/// and SNS endpoint (moto) and the CloudWatch endpoint the metric stream is forwarded to.
pub async fn spawn_driven(aws: Option<(String, String)>) -> TestStack {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.dispatch_every = Duration::from_secs(3600);
    config.sweep_every = Duration::from_secs(3600);
    if let Some((endpoint, cloudwatch)) = aws {
        config.aws_endpoint = Some(endpoint);
        config.cloudwatch_endpoint = Some(cloudwatch);
    }
    let mut stack = start_with(config).await;
    stack._dir = Some(dir);
    stack
}

fn config(data_dir: &Path) -> StackConfig {
    let mut config = StackConfig::new(data_dir.to_owned(), site_dir()).unwrap();
    config.port = 0;
    config.dispatch_every = Duration::from_millis(50);
    config.sweep_every = Duration::from_millis(200);
    config
}

async fn start(data_dir: &Path, aws_endpoint: Option<String>) -> TestStack {
    let mut config = config(data_dir);
    config.aws_endpoint = aws_endpoint;
    start_with(config).await
}

async fn start_with(config: StackConfig) -> TestStack {
    let data_dir = config.data_dir.clone();
    let data_dir = data_dir.as_path();
    let stack = devstack::start(config).await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(20)).build().unwrap();
    let base = stack.base_url.clone();
    TestStack { stack, http, base, data_dir: data_dir.to_owned(), _dir: None, moto: None }
}

/// A date `days` from today (UTC), as the API wants it.
pub fn day(days: u64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(days)).to_string()
}

/// The `name="value"` pairs of the hidden inputs of an HTML form.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            let attr = |name: &str| -> Option<String> {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                let end = tag[start..].find('"')? + start;
                Some(unescape(&tag[start..end]))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

impl TestStack {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs the authorization code flow with PKCE through the hosted-UI-like pages and returns the ID token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        id_token(self.sign_in_tokens(email, password).await)
    }

    /// The token endpoint's whole answer (ID, access and refresh tokens) for a sign-in.
    pub async fn sign_in_tokens(&self, email: &str, password: &str) -> Value {
        self.authorize_flow("login", &[("email", email), ("password", password)]).await
    }

    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> String {
        id_token(self.authorize_flow("signup", &[("name", name), ("email", email), ("password", password)]).await)
    }

    async fn authorize_flow(&self, page: &str, fields: &[(&str, &str)]) -> Value {
        authorize_flow(&self.http, &self.base, page, fields).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, idempotency_key: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut request = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(k) = idempotency_key {
            request = request.header("Idempotency-Key", k);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST /api/bookings` for `room` from `check_in` for `nights`, as the demo guest would fill the form.
    pub async fn book(&self, token: &str, key: &str, room: &str, check_in: u64, nights: u64, guests: u8) -> (StatusCode, Value) {
        let body = json!({
            "room_type": room,
            "check_in": day(check_in),
            "check_out": day(check_in + nights),
            "guests": guests,
            "guest": { "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+14155550100", "notify_by": "both" }
        });
        self.post("/api/bookings", Some(token), Some(key), &body).await
    }

    /// Confirms the payment intent with a card the way the browser does (publishable key + client secret), at the
    /// local Stripe server. Card data never touches our API.
    pub async fn pay(&self, payment: &Value, card: &str) -> (StatusCode, Value) {
        let key = self.stack.local_stripe_publishable_key.clone().unwrap();
        let response = pay_request(&self.http, &self.base, &key, payment, card).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Polls the guest's booking until it reaches `state` (webhooks are asynchronous, as with Stripe).
    pub async fn wait_for_state(&self, token: &str, reference: &str, state: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let (status, booking) = self.get(&format!("/api/bookings/{reference}"), Some(token)).await;
            assert_eq!(status, StatusCode::OK, "{booking}");
            if booking["state"] == state {
                return booking;
            }
            assert!(tokio::time::Instant::now() < deadline, "booking {reference} stuck in {} (wanted {state})", booking["state"]);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Guest messages (email, SMS) in the outbox that mention `reference`.
    pub async fn outbox_for(&self, reference: &str) -> Vec<Value> {
        self.outbox_on(reference, |channel| channel != "staff").await
    }

    /// The staff's booking events in the outbox that mention `reference`.
    pub async fn staff_events_for(&self, reference: &str) -> Vec<Value> {
        self.outbox_on(reference, |channel| channel == "staff").await
    }

    async fn outbox_on(&self, reference: &str, channel: impl Fn(&str) -> bool) -> Vec<Value> {
        let (status, all) = self.get("/dev/outbox.json", None).await;
        assert_eq!(status, StatusCode::OK);
        all.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["body"].as_str().is_some_and(|b| b.contains(reference)) && m["channel"].as_str().is_some_and(&channel))
            .cloned()
            .collect()
    }

    /// Waits until `count` messages about `reference` are in the outbox, then a little longer to catch extras.
    pub async fn wait_for_outbox(&self, reference: &str, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while self.outbox_for(reference).await.len() < count {
            assert!(tokio::time::Instant::now() < deadline, "outbox never got {count} messages for {reference}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.stack.drain_webhooks(Duration::from_secs(5)).await;
        self.stack.dispatch_now().await;
        self.outbox_for(reference).await
    }

    /// How many rooms of `room` are free on every night of the stay.
    pub async fn available(&self, room: &str, check_in: u64, nights: u64, guests: u8) -> u64 {
        let path = format!("/api/availability?check_in={}&check_out={}&guests={guests}", day(check_in), day(check_in + nights));
        let (status, view) = self.get(&path, None).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        view["rooms"].as_array().unwrap().iter().find(|r| r["room_type"] == room).unwrap()["available"].as_u64().unwrap()
    }

    /// The webhook signing secret of this stack's local Stripe server, to forge or replay events in tests.
    pub fn webhook_secret(&self) -> String {
        let text = std::fs::read_to_string(self.data_dir.join("local-secrets.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["stripe_webhook_secret"].as_str().unwrap().to_owned()
    }

    /// POSTs `event` to the webhook route, signed as Stripe signs it (at the stack's clock's now).
    pub async fn send_webhook(&self, event: &Value) -> (StatusCode, Value) {
        let now = booking_ports::Clock::now(self.stack.clock.as_ref()).timestamp();
        post_signed_webhook(self.http.clone(), self.url("/api/webhooks/stripe"), self.webhook_secret(), event.to_string(), now).await
    }

    /// Moves the stack's clock through `POST /dev/clock` (`{"advance": "PT20M"}`, `{"set": ...}`).
    pub async fn move_clock(&self, change: Value) -> Value {
        let (status, clock) = self.post("/dev/clock", None, None, &change).await;
        assert_eq!(status, StatusCode::OK, "{clock}");
        clock
    }

    /// Books and pays `room` for `nights` from `check_in` days ahead, and waits for the confirmation.
    pub async fn book_and_pay(&self, token: &str, key: &str, room: &str, check_in: u64, nights: u64) -> Value {
        let (status, created) = self.book(token, key, room, check_in, nights, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let (status, paid) = self.pay(&created["payment"], CARD_OK).await;
        assert_eq!(status, StatusCode::OK, "{paid}");
        let reference = created["booking"]["reference"].as_str().unwrap().to_owned();
        self.wait_for_state(token, &reference, "confirmed").await
    }

    pub async fn shutdown(self) {
        self.stack.shutdown().await.unwrap();
    }
}

/// Signs `payload` with `secret` at `now` (Unix seconds) and POSTs it to `url`; a free function so tests can fire
/// many at once.
pub async fn post_signed_webhook(http: reqwest::Client, url: String, secret: String, payload: String, now: i64) -> (StatusCode, Value) {
    let header = booking_stripe::signature::sign(payload.as_bytes(), &secret, now);
    let response =
        http.post(url).header("content-type", "application/json").header("stripe-signature", header).body(payload).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Runs the authorization code flow with PKCE through the identity provider's `page` (`login` or `signup`) at
/// `base`, as the site does, and returns the token endpoint's answer. A free function so the soak can sign in to a
/// stack running in another process.
pub async fn authorize_flow(http: &reqwest::Client, base: &str, page: &str, fields: &[(&str, &str)]) -> Value {
    let url = |path: &str| format!("{base}{path}");
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    let state = URL_SAFE_NO_PAD.encode(rand_bytes());
    let redirect_uri = url("/callback.html");
    let query = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", redirect_uri.as_str()),
        ("scope", "openid email profile"),
        ("state", state.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let authorize = http.get(url("/idp/oauth2/authorize")).query(&query).send().await.unwrap();
    let login_page = if authorize.status().is_redirection() {
        let location = authorize.headers()["location"].to_str().unwrap().to_owned();
        let location = if location.starts_with("http") { location } else { url(&location) };
        http.get(location).send().await.unwrap()
    } else {
        authorize
    };
    assert_eq!(login_page.status(), StatusCode::OK);
    let html = login_page.text().await.unwrap();
    let mut form = hidden_inputs(&html);
    assert!(form.iter().any(|(k, _)| k == "code_challenge"), "login page keeps the OAuth request: {html}");
    form.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let submitted = http.post(url(&format!("/idp/{page}"))).form(&form).send().await.unwrap();
    assert_eq!(submitted.status(), StatusCode::FOUND, "{page} should redirect back to the site");
    let location = url::Url::parse(submitted.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(&redirect_uri));
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params.get("state"), Some(&state));
    let code = params.get("code").expect("authorization code").clone();
    http.post(url("/idp/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn id_token(tokens: Value) -> String {
    tokens["id_token"].as_str().expect("id_token").to_owned()
}

/// The browser's card confirmation at the local Stripe server at `base` (publishable key + client secret from the
/// booking's `payment`), ready to send.
pub fn pay_request(http: &reqwest::Client, base: &str, publishable_key: &str, payment: &Value, card: &str) -> reqwest::RequestBuilder {
    let intent = payment["intent_id"].as_str().unwrap();
    let secret = payment["client_secret"].as_str().unwrap();
    http.post(format!("{base}/stripe/v1/payment_intents/{intent}/confirm")).form(&[
        ("key", publishable_key),
        ("client_secret", secret),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", card),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2034"),
        ("payment_method_data[card][cvc]", "123"),
    ])
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    bytes
}
