//! `/dev/outbox`: what the guest (email, SMS) and the front desk (booking events) would have received, each guest
//! message with its delivery state as the store records it (sent, delivered, failed and why). Local modes only.
//! In embedded mode the messages come from the outbox file, and `POST /dev/outbox/bounce-next` makes the next
//! email bounce (as SES reports it, through the same feedback path); in local AWS mode they come from what moto's
//! SES and SNS recorded.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use booking_domain::BookingRef;
use booking_embedded::FileOutbox;
use booking_ports::{Channel, DeliveryLog, DeliveryState, FailureReason, GuestChannel};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

pub enum Source {
    File(PathBuf),
    /// moto's `/moto-api/data.json`: SES's sent email, SNS's SMS and the booking-events topic's messages.
    Moto {
        endpoint: String,
        topic_arn: String,
    },
}

pub struct OutboxPage {
    pub source: Source,
    /// Where the delivery states are (the stack's store).
    pub deliveries: Arc<dyn DeliveryLog>,
}

/// One message as the page shows it. moto keeps no timestamp, key or tags, so those are empty there.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub sent_at: Option<DateTime<Utc>>,
    pub channel: &'static str,
    pub to: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub reference: Option<String>,
    pub event_id: Option<String>,
    pub dedup_key: Option<String>,
    /// For a guest message: its state (`{"state": "failed", "reason": "bounced"}`).
    pub delivery: Option<DeliveryState>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unreadable(String);

async fn entries(page: &OutboxPage) -> Result<Vec<Entry>, Unreadable> {
    let mut list = match &page.source {
        Source::File(path) => FileOutbox::read(path)
            .map_err(|e| Unreadable(e.to_string()))?
            .into_iter()
            .map(|m| {
                let (channel, to, subject) = match m.message.channel {
                    Channel::Email { to, subject } => ("email", Some(to), Some(subject)),
                    Channel::Sms { to } => ("sms", Some(to), None),
                    Channel::Staff { subject } => ("staff", None, Some(subject)),
                };
                Entry {
                    sent_at: Some(m.sent_at),
                    channel,
                    to,
                    subject,
                    body: m.message.body,
                    reference: Some(m.message.reference.to_string()),
                    event_id: Some(m.message.event_id),
                    dedup_key: Some(m.message.dedup_key),
                    delivery: None,
                }
            })
            .collect(),
        Source::Moto { endpoint, topic_arn } => {
            let data: Value = async { reqwest::get(format!("{endpoint}/moto-api/data.json")).await?.json().await }
                .await
                .map_err(|e: reqwest::Error| Unreadable(e.to_string()))?;
            from_moto(&data, topic_arn)
        }
    };
    for entry in &mut list {
        entry.delivery = delivery_of(page.deliveries.as_ref(), entry).await.map_err(|e| Unreadable(e.to_string()))?;
    }
    Ok(list)
}

/// The state the store records for this message's channel. A record about a newer message of the same channel
/// says nothing about this one, which then shows as sent.
async fn delivery_of(log: &dyn DeliveryLog, entry: &Entry) -> Result<Option<DeliveryState>, booking_ports::StoreError> {
    let channel = match entry.channel {
        "email" => GuestChannel::Email,
        "sms" => GuestChannel::Sms,
        _ => return Ok(None),
    };
    let Some(reference) = entry.reference.as_deref().and_then(|r| BookingRef::parse(r).ok()) else { return Ok(None) };
    let record = log.deliveries(&reference).await?.into_iter().find(|d| d.channel == channel);
    Ok(match (record, &entry.event_id) {
        (Some(d), Some(event)) if &d.event_id == event => Some(d.state),
        // moto keeps no event id: the channel's latest state stands for its latest message.
        (Some(d), None) => Some(d.state),
        _ => Some(DeliveryState::Sent),
    })
}

/// The first booking reference (`HB-XXXX-XXXX`) in a text: how moto's messages are tied to bookings.
fn reference_in(text: &str) -> Option<String> {
    text.match_indices("HB-").find_map(|(i, _)| {
        let candidate = text.get(i..i + 12)?;
        BookingRef::parse(candidate).ok().map(|r| r.to_string())
    })
}

/// moto keeps SES messages as objects (`source`, `subject`, `body`, `destinations`), topic messages as
/// `[id, message, subject, attributes, group]` and SMS as objects.
fn from_moto(data: &Value, topic_arn: &str) -> Vec<Entry> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let entry = |channel, to: Option<String>, subject: Option<String>, body: String| Entry {
        sent_at: None,
        channel,
        to,
        reference: reference_in(&body),
        subject,
        body,
        event_id: None,
        dedup_key: None,
        delivery: None,
    };
    let mut out = Vec::new();
    for m in data["ses"]["Message"].as_array().into_iter().flatten() {
        out.push(entry("email", m["destinations"]["ToAddresses"].get(0).map(text), Some(text(&m["subject"])), text(&m["body"])));
    }
    for sms in data["sns"]["SMS"].as_array().into_iter().flatten() {
        out.push(entry("sms", Some(text(&sms["phone_number"])), None, text(&sms["message"])));
    }
    let topics = data["sns"]["Topic"].as_array().cloned().unwrap_or_default();
    for topic in topics.iter().filter(|t| t["arn"] == topic_arn) {
        for n in topic["sent_notifications"].as_array().into_iter().flatten() {
            out.push(entry("staff", None, Some(text(&n[2])), text(&n[1])));
        }
    }
    out
}

fn unreadable(e: &Unreadable) -> Response {
    tracing::error!(error = %e, "outbox unreadable");
    (StatusCode::INTERNAL_SERVER_ERROR, "outbox unreadable").into_response()
}

pub async fn json(State(page): State<Arc<OutboxPage>>) -> Response {
    match entries(&page).await {
        Ok(list) => Json(list).into_response(),
        Err(e) => unreadable(&e),
    }
}

/// Arms the bounce switch: the next email is accepted, then bounces (embedded mode only; moto's SES has no event
/// destinations).
pub async fn bounce_next(State(page): State<Arc<OutboxPage>>) -> Response {
    let Source::File(path) = &page.source else {
        return (StatusCode::CONFLICT, "bouncing needs the embedded outbox (moto's SES reports no events)").into_response();
    };
    match std::fs::write(FileOutbox::bounce_switch(path), b"") {
        Ok(()) => Redirect::to("/dev/outbox").into_response(),
        Err(e) => unreadable(&Unreadable(e.to_string())),
    }
}

fn state_label(state: Option<DeliveryState>) -> (&'static str, &'static str) {
    match state {
        None => ("", ""),
        Some(DeliveryState::Sent) => ("sent", "Sent"),
        Some(DeliveryState::Delivered) => ("delivered", "Delivered"),
        Some(DeliveryState::Failed(reason)) => (
            "failed",
            match reason {
                FailureReason::Bounced => "Failed: bounced",
                FailureReason::Complained => "Failed: marked as spam",
                FailureReason::Rejected => "Failed: refused by the provider",
                FailureReason::AddressUndeliverable => "Failed: address undeliverable (not sent)",
            },
        ),
    }
}

pub async fn html(State(page): State<Arc<OutboxPage>>) -> Response {
    let list = match entries(&page).await {
        Ok(list) => list,
        Err(e) => return unreadable(&e),
    };
    let mut items = String::new();
    for m in list.iter().rev() {
        let kind = match m.channel {
            "email" => "Email",
            "sms" => "SMS",
            _ => "Staff booking event",
        };
        let to = m.to.as_deref().map(|to| format!(" to {}", escape(to))).unwrap_or_default();
        let (class, label) = state_label(m.delivery);
        let state = if label.is_empty() { String::new() } else { format!(" · <span class=\"state {class}\">{label}</span>") };
        items.push_str(&format!(
            "<li><article data-channel=\"{channel}\" data-state=\"{class}\"><h2>{kind}{to}</h2><p class=\"meta\">{sent}{state} · <code>{key}</code></p>{subject}<pre>{body}</pre></article></li>\n",
            channel = m.channel,
            sent = m.sent_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            key = escape(m.dedup_key.as_deref().unwrap_or_default()),
            subject = m.subject.as_deref().filter(|s| !s.is_empty()).map(|s| format!("<p><strong>{}</strong></p>", escape(s))).unwrap_or_default(),
            body = escape(&m.body),
        ));
    }
    let empty = if list.is_empty() { "<p>Nothing sent yet.</p>" } else { "" };
    let bounce = match &page.source {
        Source::File(path) if FileOutbox::bounce_switch(path).exists() => "<p class=\"armed\">The next email will bounce.</p>".to_owned(),
        Source::File(_) => {
            "<form method=\"post\" action=\"/dev/outbox/bounce-next\"><button type=\"submit\">Make the next email bounce</button></form>"
                .to_owned()
        }
        Source::Moto { .. } => String::new(),
    };
    let page_html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Outbox – local stack</title><link rel=\"stylesheet\" href=\"/dev/outbox.css\"></head><body><main><h1>Outbox</h1>\
         <p>Emails, SMS and staff booking events the local stack has sent, newest first ({count}), with each guest message's delivery state. \
         In AWS email goes through Amazon SES, SMS and staff events through Amazon SNS.</p>{bounce}{empty}<ol>{items}</ol></main></body></html>",
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
               h2{font-size:1.05rem;margin:0}.meta{color:#555;font-size:.85rem}pre{white-space:pre-wrap;font-family:inherit}\
               .state{font-weight:600}.state.failed{color:#a01c1c}.state.delivered{color:#1b6b2f}.armed{color:#a01c1c;font-weight:600}\
               button{font:inherit;padding:.4rem .8rem}";
    let mut response = css.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    response
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
