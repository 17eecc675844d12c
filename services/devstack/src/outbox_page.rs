//! `/dev/outbox`: what the guest would have received by email and SMS. Local modes only. In embedded mode the
//! messages come from the outbox file; in local AWS mode from what moto's SNS recorded.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use booking_embedded::{FileOutbox, SentMessage};
use booking_ports::{Channel, OutboundMessage};
use serde_json::Value;

pub enum Source {
    File(PathBuf),
    /// moto's `/moto-api/data.json`: SMS and the notifications topic's sent messages.
    Moto {
        endpoint: String,
        topic_arn: String,
    },
}

pub struct OutboxPage {
    pub source: Source,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unreadable(String);

async fn messages(page: &OutboxPage) -> Result<Vec<SentMessage>, Unreadable> {
    match &page.source {
        Source::File(path) => FileOutbox::read(path).map_err(|e| Unreadable(e.to_string())),
        Source::Moto { endpoint, topic_arn } => {
            let data: Value = async { reqwest::get(format!("{endpoint}/moto-api/data.json")).await?.json().await }
                .await
                .map_err(|e: reqwest::Error| Unreadable(e.to_string()))?;
            Ok(from_moto(&data, topic_arn))
        }
    }
}

/// moto keeps topic messages as `[id, message, subject, attributes, group]` and SMS as objects; neither has a
/// timestamp or our dedup key, so those are left empty.
fn from_moto(data: &Value, topic_arn: &str) -> Vec<SentMessage> {
    let sent_at = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let mut out = Vec::new();
    let topics = data["sns"]["Topic"].as_array().cloned().unwrap_or_default();
    for topic in topics.iter().filter(|t| t["arn"] == topic_arn) {
        for n in topic["sent_notifications"].as_array().into_iter().flatten() {
            let text = |i: usize| n[i].as_str().unwrap_or_default().to_owned();
            let to = n[3]["recipient"]["Value"].as_str().unwrap_or_default().to_owned();
            out.push(SentMessage {
                sent_at,
                message: OutboundMessage { dedup_key: String::new(), channel: Channel::Email { to, subject: text(2) }, body: text(1) },
            });
        }
    }
    for sms in data["sns"]["SMS"].as_array().into_iter().flatten() {
        let to = sms["phone_number"].as_str().unwrap_or_default().to_owned();
        let body = sms["message"].as_str().unwrap_or_default().to_owned();
        out.push(SentMessage { sent_at, message: OutboundMessage { dedup_key: String::new(), channel: Channel::Sms { to }, body } });
    }
    out
}

fn unreadable(e: &Unreadable) -> Response {
    tracing::error!(error = %e, "outbox unreadable");
    (StatusCode::INTERNAL_SERVER_ERROR, "outbox unreadable").into_response()
}

pub async fn json(State(page): State<Arc<OutboxPage>>) -> Response {
    match messages(&page).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => unreadable(&e),
    }
}

pub async fn html(State(page): State<Arc<OutboxPage>>) -> Response {
    let list = match messages(&page).await {
        Ok(list) => list,
        Err(e) => return unreadable(&e),
    };
    let mut items = String::new();
    for m in list.iter().rev() {
        let (kind, to, subject) = match &m.message.channel {
            Channel::Email { to, subject } => ("Email", to.as_str(), subject.as_str()),
            Channel::Sms { to } => ("SMS", to.as_str(), ""),
        };
        items.push_str(&format!(
            "<li><article><h2>{kind} to {to}</h2><p class=\"meta\">{sent} · <code>{key}</code></p>{subject}<pre>{body}</pre></article></li>\n",
            to = escape(to),
            sent = m.sent_at.to_rfc3339(),
            key = escape(&m.message.dedup_key),
            subject = if subject.is_empty() { String::new() } else { format!("<p><strong>{}</strong></p>", escape(subject)) },
            body = escape(&m.message.body),
        ));
    }
    let empty = if list.is_empty() { "<p>Nothing sent yet.</p>" } else { "" };
    let page_html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Outbox – local stack</title><link rel=\"stylesheet\" href=\"/dev/outbox.css\"></head><body><main><h1>Outbox</h1>\
         <p>Emails and SMS the local stack has sent, newest first ({count}). In AWS these go through Amazon SNS.</p>{empty}<ol>{items}</ol></main></body></html>",
        count = list.len()
    );
    let mut response = page_html.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    crate::site::security_headers(response.headers_mut());
    response
}

pub async fn css() -> Response {
    let css = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f5f2;color:#1d1d1b}main{max-width:50rem;margin:auto;padding:1rem}\
               ol{list-style:none;padding:0}article{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:1rem;margin:.75rem 0}\
               h2{font-size:1.05rem;margin:0}.meta{color:#555;font-size:.85rem}pre{white-space:pre-wrap;font-family:inherit}";
    let mut response = css.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    response
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
