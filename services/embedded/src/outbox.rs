use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use booking_ports::{Channel, Clock, Notifier, NotifyError, OutboundMessage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

/// One line of `outbox.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub sent_at: DateTime<Utc>,
    #[serde(flatten)]
    pub message: OutboundMessage,
}

/// The local stand-in for SES and SNS: appends every message (guest email, SMS, staff event) to a JSON-lines
/// file (fsynced) and refuses a repeated `dedup_key`, so the outbox page shows exactly what a guest and the
/// front desk would have received.
///
/// Like SES, it can bounce: when the bounce switch ([`FileOutbox::bounce_switch`], a file beside the outbox) is
/// armed, the next email is accepted and then bounces: an SES bounce notification, in the shape SES publishes to
/// SNS, is appended to [`FileOutbox::feedback_path`], which the local stack feeds to `notify` as SNS would.
#[derive(Clone)]
pub struct FileOutbox {
    path: PathBuf,
    clock: Arc<dyn Clock>,
    seen: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for FileOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileOutbox").field("path", &self.path).finish_non_exhaustive()
    }
}

impl FileOutbox {
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, std::io::Error> {
        let seen = Self::read(path)?.into_iter().map(|m| m.message.dedup_key).collect();
        Ok(FileOutbox { path: path.to_owned(), clock, seen: Arc::new(Mutex::new(seen)) })
    }

    /// Every message sent so far, oldest first. A torn last line (a crash mid-write) is skipped.
    pub fn read(path: &Path) -> Result<Vec<SentMessage>, std::io::Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file whose presence makes the next email bounce (consumed by that email).
    pub fn bounce_switch(outbox: &Path) -> PathBuf {
        outbox.with_extension("bounce-next")
    }

    /// SES event notifications (JSON lines) about sent emails: what SES would publish to the feedback topic.
    pub fn feedback_path(outbox: &Path) -> PathBuf {
        outbox.with_extension("feedback.jsonl")
    }

    /// Every SES notification written so far, oldest first.
    pub fn read_feedback(outbox: &Path) -> Result<Vec<serde_json::Value>, std::io::Error> {
        match std::fs::read_to_string(Self::feedback_path(outbox)) {
            Ok(text) => Ok(text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    writeln!(file, "{line}")?;
    file.sync_data()
}

/// An SES `Bounce` event notification (event publishing through a configuration set, "Contents of event data
/// that Amazon SES publishes to Amazon SNS"), with the tags the SES adapter sets.
pub fn ses_bounce_notification(message: &OutboundMessage, to: &str, at: DateTime<Utc>, message_id: &str) -> serde_json::Value {
    let timestamp = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    serde_json::json!({
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": timestamp,
            "feedbackId": format!("local-{message_id}"),
            "reportingMTA": "dsn; local.outbox"
        },
        "mail": {
            "timestamp": timestamp,
            "source": "bookings@localhost",
            "sendingAccountId": "000000000000",
            "messageId": message_id,
            "destination": [to],
            "tags": {
                "booking": [message.reference.as_str()],
                "event": [message.event_tag()],
                "channel": ["email"]
            }
        }
    })
}

#[async_trait]
impl Notifier for FileOutbox {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        match &message.channel {
            Channel::Email { to, .. } | Channel::Sms { to } if to.trim().is_empty() => {
                return Err(NotifyError::Rejected("empty recipient".into()));
            }
            _ => {}
        }
        let mut seen = self.seen.lock().await;
        if seen.contains(&message.dedup_key) {
            return Ok(());
        }
        let line = serde_json::to_string(&SentMessage { sent_at: self.clock.now(), message: message.clone() })
            .map_err(|e| NotifyError::Rejected(e.to_string()))?;
        let bounce = match &message.channel {
            Channel::Email { to, .. } => {
                // Removing the switch is the test-and-clear: exactly one email takes it.
                let armed = std::fs::remove_file(Self::bounce_switch(&self.path)).is_ok();
                armed.then(|| ses_bounce_notification(message, to, self.clock.now(), &format!("local-{}", seen.len() + 1)).to_string())
            }
            Channel::Sms { .. } | Channel::Staff { .. } => None,
        };
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            append_line(&path, &line)?;
            if let Some(notification) = bounce {
                append_line(&Self::feedback_path(&path), &notification)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| NotifyError::Unavailable(e.to_string()))?
        .map_err(|e| NotifyError::Unavailable(e.to_string()))?;
        seen.insert(message.dedup_key.clone());
        Ok(())
    }
}
