use async_trait::async_trait;
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Channel {
    Email { to: String, subject: String },
    Sms { to: String },
}

impl std::fmt::Debug for Channel {
    // Addresses are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channel::Email { .. } => f.write_str("Email"),
            Channel::Sms { .. } => f.write_str("Sms"),
        }
    }
}

/// One email or SMS. `dedup_key` is `<event id>/<channel>`, so a notifier can refuse a repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub dedup_key: String,
    /// Flattened: `{"channel": "email", "to": .., "subject": .., ..}`.
    #[serde(flatten)]
    pub channel: Channel,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    #[error("notification refused: {0}")]
    Rejected(String),
    #[error("notification service unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError>;
}
