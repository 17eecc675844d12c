//! The HTTP targets' harness (the whole local stack, started once per process, driven over
//! loopback with requests written in a small text format) and the check every API answer must pass.
//!
//! A fuzz input for an HTTP target is a request as text, so the committed seeds read like the requests they are:
//!
//! ```text
//! POST /api/bookings?debug=1
//! authorization: $TOKEN
//! idempotency-key: seed-1
//!
//! {"room_type": "classic-double", ...}
//! ```
//!
//! The first line is the method and the target (path and query); header lines follow up to an empty line; the
//! rest is the body, sent as bytes. Two placeholders stand for what a fuzzer cannot forge: `$TOKEN` (a header value)
//! becomes a real ID token of the demo guest, `$SIGN` (or `$SIGN-400`, `$SIGN+90`: seconds from the stack's now)
//! becomes a valid `Stripe-Signature` over the body, and `$DAY+N` (in the target or the body) the date N days
//! after the stack's today, so the seeds stay within the booking horizon whenever they run. Everything else,
//! including broken tokens and signatures, is the fuzzer's.
//!
//! The requests go through the same path a guest's do: the local API Gateway (route table, Cognito authorizer,
//! REST proxy event) into each function's `service()`, on the embedded store and the local Stripe server.

use std::sync::OnceLock;

use booking_app::ErrorCode;
use booking_e2e::{DEMO_EMAIL, DEMO_PASSWORD, TestStack};
use booking_functions::{FunctionName, RouteMatch, RouteMiss, match_route};
use serde_json::Value;

/// The stack and what stands behind the placeholders, built on the first input.
pub struct Harness {
    runtime: tokio::runtime::Runtime,
    stack: TestStack,
    token: String,
    webhook_secret: String,
}

static HARNESS: OnceLock<Harness> = OnceLock::new();

fn harness() -> &'static Harness {
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (stack, token) = runtime.block_on(async {
            let stack = booking_e2e::spawn().await;
            let token = stack.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
            (stack, token)
        });
        let webhook_secret = stack.webhook_secret();
        Harness { runtime, stack, token, webhook_secret }
    })
}

/// One request read from a fuzz input.
#[derive(Debug)]
pub struct TextRequest<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub headers: Vec<(&'a str, &'a [u8])>,
    pub body: &'a [u8],
}

/// Reads the text format (see the module's documentation); `None` when the input is not a request at all.
pub fn parse_request(data: &[u8]) -> Option<TextRequest<'_>> {
    let (head, body) = match find(data, b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &b""[..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let first = std::str::from_utf8(lines.next()?).ok()?;
    let (method, target) = first.split_once(' ')?;
    let mut headers = Vec::new();
    for line in lines {
        let at = line.iter().position(|b| *b == b':')?;
        let name = std::str::from_utf8(&line[..at]).ok()?;
        let value = line[at + 1..].strip_prefix(b" ").unwrap_or(&line[at + 1..]);
        headers.push((name, value));
    }
    Some(TextRequest { method, target, headers, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Sends one fuzz input to the stack when its route belongs to `function` (or to no function: the gateway's own
/// 404 and 405 answers), and checks the answer. Inputs that are not requests, or that no HTTP client could send
/// (a header name with a space, a method with a slash), are skipped.
pub fn fuzz_http(function: FunctionName, data: &[u8]) {
    let Some(request) = parse_request(data) else { return };
    let Ok(method) = reqwest::Method::from_bytes(request.method.as_bytes()) else { return };
    let target = if request.target.starts_with("/api/") { request.target.to_owned() } else { format!("/api/{}", request.target) };
    let path = target.split(['?', '#']).next().unwrap_or_default();
    match match_route(method.as_str(), path) {
        Ok(RouteMatch { function: routed, .. }) if routed != function => return,
        Ok(_) | Err(RouteMiss::NoSuchPath) | Err(RouteMiss::MethodNotAllowed(_)) => {}
    }
    let h = harness();
    let today = booking_ports::Clock::now(h.stack.stack.clock.as_ref()).date_naive();
    let target = days(target.as_bytes(), today);
    let body = days(request.body, today);
    let Ok(target) = String::from_utf8(target) else { return };
    let Ok(url) = reqwest::Url::parse(&h.stack.url(&target)) else { return };
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &request.headers {
        let Ok(name) = reqwest::header::HeaderName::from_bytes(name.as_bytes()) else { return };
        let value = match placeholder(h, value, &body) {
            Some(replaced) => replaced.into_bytes(),
            None => value.to_vec(),
        };
        let Ok(value) = reqwest::header::HeaderValue::from_bytes(&value) else { return };
        headers.append(name, value);
    }
    let shown = String::from_utf8_lossy(data).into_owned();
    let builder = h.stack.http.request(method, url).headers(headers).body(body);
    h.runtime.block_on(async move {
        let response = match builder.send().await {
            Ok(response) => response,
            // The client refused to send it (e.g. a body on a method hyper will not frame): not our API's answer.
            Err(e) if e.is_builder() || e.is_request() => return,
            Err(e) => panic!("the stack did not answer: {e}\n--- request ---\n{shown}"),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        if let Err(why) = check_answer(status.as_u16(), &headers, &body) {
            panic!("{why}\n--- request ---\n{shown}\n--- answer ---\n{status} {}", String::from_utf8_lossy(&body));
        }
    });
}

/// Replaces each `$DAY+N` with the date N days after `today` (as `YYYY-MM-DD`).
fn days(text: &[u8], today: chrono::NaiveDate) -> Vec<u8> {
    const MARK: &[u8] = b"$DAY+";
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = find(rest, MARK) {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at + MARK.len()..];
        let digits = rest.iter().take(5).take_while(|b| b.is_ascii_digit()).count();
        let n: u64 = std::str::from_utf8(&rest[..digits]).ok().and_then(|d| d.parse().ok()).unwrap_or(0);
        match today.checked_add_days(chrono::Days::new(n)) {
            Some(day) => out.extend_from_slice(day.to_string().as_bytes()),
            None => out.extend_from_slice(MARK),
        }
        rest = &rest[digits..];
    }
    out.extend_from_slice(rest);
    out
}

fn placeholder(h: &Harness, value: &[u8], body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?;
    if let Some(rest) = text.strip_prefix("$TOKEN") {
        return Some(format!("Bearer {}{rest}", h.token));
    }
    let offset = text.strip_prefix("$SIGN")?;
    let offset: i64 = if offset.is_empty() { 0 } else { offset.trim_start_matches('+').parse().ok()? };
    let now = booking_ports::Clock::now(h.stack.stack.clock.as_ref()).timestamp();
    Some(booking_stripe::signature::sign(body, &h.webhook_secret, now.saturating_add(offset)))
}

/// The API's promise for any request: never a 5xx, and every 4xx in the documented error shape
/// (`{"error": {"code", "message", "request_id"}}` with a code `ErrorCode` names; the id may be null, as
/// `openapi.yaml` allows), a 401 with
/// `WWW-Authenticate`, a 405 with `Allow`.
pub fn check_answer(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("a {status} for a request"));
    }
    if !(400..500).contains(&status) {
        return Ok(());
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("a {status} whose body is not JSON: {e}"))?;
    let error = value.get("error").and_then(Value::as_object).ok_or_else(|| format!("a {status} without an error object"))?;
    let code = error.get("code").and_then(Value::as_str).ok_or_else(|| format!("a {status} without an error code"))?;
    if !ErrorCode::ALL.iter().any(|c| c.as_str() == code) {
        return Err(format!("a {status} with the undocumented code {code:?}"));
    }
    if !error.get("message").is_some_and(Value::is_string) {
        return Err(format!("a {status} whose error has no message"));
    }
    if !error.get("request_id").is_some_and(|id| id.is_string() || id.is_null()) {
        return Err(format!("a {status} whose error has no request_id"));
    }
    if status == 401 && !headers.contains_key(reqwest::header::WWW_AUTHENTICATE) {
        return Err("a 401 without WWW-Authenticate".into());
    }
    if status == 405 && !headers.contains_key(reqwest::header::ALLOW) {
        return Err("a 405 without Allow".into());
    }
    Ok(())
}
