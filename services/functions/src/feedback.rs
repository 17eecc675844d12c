//! SES event notifications (bounce, complaint, delivery, reject), which the configuration set's event
//! destination publishes to the email feedback topic, which invokes `notify`. Parsed here, at the edge, into the
//! `DeliveryReport` the use case takes.
//!
//! Wire format (SES "Contents of event data that Amazon SES publishes to Amazon SNS"): a JSON object with
//! `eventType` (`notificationType` in identity notifications), `mail.tags` (the adapter's `booking`, `event` and
//! `channel` tags, each a list of one value) and, per type, `bounce.bounceType` with `bouncedRecipients[]`,
//! `complaint.complainedRecipients[]`, `delivery.timestamp`.

use booking_domain::BookingRef;
use booking_ports::{DeliveryReport, DeliveryState, FailureReason, GuestChannel, event_id_from_tag};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Why a notification says nothing to record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotReported {
    #[error("not an SES event notification: {0}")]
    Unreadable(String),
    #[error("SES event type {0} changes no delivery state")]
    Ignored(String),
    #[error("the message carries no booking tags (not sent by notify)")]
    Untagged,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    event_type: Option<String>,
    notification_type: Option<String>,
    mail: Mail,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
    delivery: Option<Timestamped>,
    reject: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Mail {
    timestamp: DateTime<Utc>,
    #[serde(default)]
    tags: std::collections::HashMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    bounced_recipients: Vec<Recipient>,
    timestamp: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
    timestamp: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

#[derive(Debug, Deserialize)]
struct Timestamped {
    timestamp: DateTime<Utc>,
}

/// The report an SES event notification (the SNS message's body) makes.
pub fn delivery_report(message: &str) -> Result<DeliveryReport, NotReported> {
    let n: Notification = serde_json::from_str(message).map_err(|e| NotReported::Unreadable(e.to_string()))?;
    let kind = n.event_type.or(n.notification_type).ok_or_else(|| NotReported::Unreadable("no eventType".into()))?;
    let (state, undeliverable, at) = match kind.as_str() {
        "Bounce" => {
            let b = n.bounce.ok_or_else(|| NotReported::Unreadable("Bounce without bounce".into()))?;
            // Only a permanent bounce says the address is bad; a transient one failed this message only.
            let bad =
                if b.bounce_type == "Permanent" { b.bounced_recipients.into_iter().map(|r| r.email_address).collect() } else { vec![] };
            (DeliveryState::Failed(FailureReason::Bounced), bad, b.timestamp)
        }
        "Complaint" => {
            let c = n.complaint.ok_or_else(|| NotReported::Unreadable("Complaint without complaint".into()))?;
            (
                DeliveryState::Failed(FailureReason::Complained),
                c.complained_recipients.into_iter().map(|r| r.email_address).collect(),
                c.timestamp,
            )
        }
        "Delivery" => (DeliveryState::Delivered, vec![], n.delivery.map_or(n.mail.timestamp, |d| d.timestamp)),
        "Reject" if n.reject.is_some() => (DeliveryState::Failed(FailureReason::Rejected), vec![], n.mail.timestamp),
        other => return Err(NotReported::Ignored(other.to_owned())),
    };
    let tag = |name: &str| n.mail.tags.get(name).and_then(|values| values.first()).cloned();
    let (Some(reference), Some(event)) = (tag(booking_aws::BOOKING_TAG), tag(booking_aws::EVENT_TAG)) else {
        return Err(NotReported::Untagged);
    };
    let reference = BookingRef::parse(&reference).map_err(|e| NotReported::Unreadable(e.to_string()))?;
    let event_id = event_id_from_tag(&event);
    if !event_id.starts_with(&format!("{reference}#")) {
        return Err(NotReported::Unreadable("event tag does not belong to the booking tag".into()));
    }
    Ok(DeliveryReport { reference, channel: GuestChannel::Email, event_id, state, undeliverable, at })
}
