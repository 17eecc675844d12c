//! What became of each message: per booking and channel, the state the guest and the operator see, and the
//! addresses that bounced or complained (never mailed again).

use async_trait::async_trait;
use booking_domain::BookingRef;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A guest-facing channel whose state the booking view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestChannel {
    Email,
    Sms,
}

impl GuestChannel {
    pub const ALL: [GuestChannel; 2] = [GuestChannel::Email, GuestChannel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            GuestChannel::Email => "email",
            GuestChannel::Sms => "sms",
        }
    }
}

/// Why a message did not reach the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The receiving server refused it for good (SES `Permanent` bounce).
    Bounced,
    /// The recipient marked it as spam (SES complaint).
    Complained,
    /// The provider refused to send it (bad number, unverified sender, ...).
    Rejected,
    /// Not sent: the address bounced or complained before.
    AddressUndeliverable,
}

/// Where a message is, as far as the provider tells us. `Delivered` exists only where the provider reports it
/// (SES delivery events; SNS SMS only in its delivery-status logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum DeliveryState {
    Sent,
    Delivered,
    Failed(FailureReason),
}

/// The latest message of a booking on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelDelivery {
    pub channel: GuestChannel,
    /// The outbox event the message was about (`<reference>#v<version>`).
    pub event_id: String,
    #[serde(flatten)]
    pub state: DeliveryState,
    pub at: DateTime<Utc>,
}

/// A provider's report about a message it accepted earlier (SES bounce, complaint or delivery), parsed at the
/// edge into what the use case needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub reference: BookingRef,
    pub channel: GuestChannel,
    pub event_id: String,
    pub state: DeliveryState,
    /// Addresses to never use again (permanent bounces, complaints).
    pub undeliverable: Vec<String>,
    pub at: DateTime<Utc>,
}

/// How a delivery record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryUpdate {
    /// A message just sent or refused: it becomes the channel's record, unless the record is already about the
    /// same event (a replayed delivery must not undo a bounce reported since).
    Message,
    /// A provider's later report (bounce, complaint, delivery): applies only to the record of the same event,
    /// never creates one (a report about an older message leaves the newer one's state alone).
    Report,
}

/// Delivery states and undeliverable addresses.
///
/// Contract (`booking-store-contract`): `Message` and `Report` as documented on [`DeliveryUpdate`]; an address
/// marked undeliverable stays so, compared by [`address_key`].
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    async fn record_delivery(&self, reference: &BookingRef, delivery: &ChannelDelivery, update: DeliveryUpdate) -> Result<(), StoreError>;

    /// The booking's channels that have a record, email before SMS.
    async fn deliveries(&self, reference: &BookingRef) -> Result<Vec<ChannelDelivery>, StoreError>;

    async fn mark_undeliverable(&self, address: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    async fn is_undeliverable(&self, address: &str) -> Result<bool, StoreError>;
}

/// The one spelling of an address as a key: trimmed, lower-case (mail providers treat addresses that way).
pub fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}
