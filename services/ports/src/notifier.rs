use async_trait::async_trait;
use booking_domain::BookingRef;
use serde::{Deserialize, Serialize};

use crate::GuestChannel;

/// Where a message goes. Email and SMS reach the guest; `Staff` is the hotel's booking-events feed (front desk,
/// operations), which carries no personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Channel {
    Email { to: String, subject: String },
    Sms { to: String },
    Staff { subject: String },
}

impl Channel {
    /// The guest channel whose state this message sets, if it goes to the guest.
    pub fn guest_channel(&self) -> Option<GuestChannel> {
        match self {
            Channel::Email { .. } => Some(GuestChannel::Email),
            Channel::Sms { .. } => Some(GuestChannel::Sms),
            Channel::Staff { .. } => None,
        }
    }
}

impl std::fmt::Debug for Channel {
    // Addresses are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channel::Email { .. } => f.write_str("Email"),
            Channel::Sms { .. } => f.write_str("Sms"),
            Channel::Staff { .. } => f.write_str("Staff"),
        }
    }
}

/// One email, SMS or staff event. `dedup_key` is `<event id>/<channel>`, so a notifier can refuse a repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub dedup_key: String,
    /// The outbox event this message is about (`<reference>#v<version>`): providers' later reports (bounces)
    /// name it, so they land on the right booking and message.
    pub event_id: String,
    pub reference: BookingRef,
    /// Flattened: `{"channel": "email", "to": .., "subject": .., ..}`.
    #[serde(flatten)]
    pub channel: Channel,
    pub body: String,
}

impl OutboundMessage {
    /// The event id spelled in the alphabet providers allow in message tags (letters, digits, `_ - @ .`):
    /// `<reference>#v<version>` with `#` as `_` (references never contain `_`).
    pub fn event_tag(&self) -> String {
        self.event_id.replace('#', "_")
    }
}

/// The event id an [`OutboundMessage::event_tag`] stands for.
pub fn event_id_from_tag(tag: &str) -> String {
    tag.replace('_', "#")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// A final answer: sending again will not help (bad number, unverified sender, refused content).
    #[error("notification refused: {0}")]
    Rejected(String),
    #[error("notification service unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError>;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn event_ids_survive_the_tag_alphabet() {
        for (entropy, version) in [(1, 3), (u64::MAX, 12)] {
            let reference = BookingRef::from_entropy(entropy);
            let event_id = format!("{reference}#v{version}");
            let message = OutboundMessage {
                dedup_key: format!("{event_id}/email"),
                event_id: event_id.clone(),
                reference,
                channel: Channel::Staff { subject: String::new() },
                body: String::new(),
            };
            let tag = message.event_tag();
            assert!(tag.chars().all(|c| c.is_ascii_alphanumeric() || "_-@.".contains(c)), "{tag}");
            assert_eq!(event_id_from_tag(&tag), event_id);
        }
    }
}
