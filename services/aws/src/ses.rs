//! Guest email through Amazon SES (API v2 `SendEmail`), from the hotel's verified identity and through its
//! configuration set, whose event destination sends bounces, complaints and deliveries to an SNS topic that
//! invokes `notify` (see `record_delivery_report`).
//!
//! Why SES and not an SNS email subscription: SNS delivers to an address only after its owner confirmed the
//! subscription (a first-time guest would miss their confirmation) and allows 200 filter policies per topic by
//! default (one per guest). SES needs no opt-in and has no per-recipient resource.
//!
//! Each message carries tags (`booking`, `event`, `channel`) that SES copies into its event notifications, so a
//! bounce names the booking and the message it is about. No address or message body is ever logged.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{DisplayErrorContext, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};
use booking_ports::{NotifyError, OutboundMessage};

/// The tag naming the booking reference.
pub const BOOKING_TAG: &str = "booking";
/// The tag naming the outbox event ([`OutboundMessage::event_tag`]).
pub const EVENT_TAG: &str = "event";
/// The tag naming the channel (`email`).
pub const CHANNEL_TAG: &str = "channel";

/// The sending identity and configuration set (template resources, `SES_FROM_ADDRESS` and
/// `SES_CONFIGURATION_SET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesSettings {
    /// `Name <bookings@hotel.example>` or a bare address on the verified domain.
    pub from_address: String,
    pub configuration_set: String,
}

#[derive(Debug, Clone)]
pub struct SesEmail {
    client: Client,
    settings: SesSettings,
}

fn text(data: &str) -> Result<Content, NotifyError> {
    Content::builder().data(data).charset("UTF-8").build().map_err(|e| NotifyError::Rejected(e.to_string()))
}

fn tag(name: &str, value: &str) -> Result<MessageTag, NotifyError> {
    MessageTag::builder().name(name).value(value).build().map_err(|e| NotifyError::Rejected(e.to_string()))
}

impl SesEmail {
    pub fn new(config: &aws_config::SdkConfig, settings: SesSettings) -> Self {
        SesEmail { client: Client::new(config), settings }
    }

    pub async fn send(&self, message: &OutboundMessage, to: &str, subject: &str) -> Result<(), NotifyError> {
        if to.trim().is_empty() {
            return Err(NotifyError::Rejected("empty email address".into()));
        }
        // A subject is one line.
        let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
        let content = EmailContent::builder()
            .simple(Message::builder().subject(text(&subject)?).body(Body::builder().text(text(&message.body)?).build()).build())
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.settings.from_address)
            .destination(Destination::builder().to_addresses(to).build())
            .content(content)
            .configuration_set_name(&self.settings.configuration_set)
            .email_tags(tag(BOOKING_TAG, message.reference.as_str())?)
            .email_tags(tag(EVENT_TAG, &message.event_tag())?)
            .email_tags(tag(CHANNEL_TAG, "email")?)
            .send()
            .await;
        match sent {
            Ok(out) => {
                tracing::info!(dedup_key = %message.dedup_key, message_id = out.message_id().unwrap_or(""), "email sent through SES");
                Ok(())
            }
            Err(e) => Err(classify(e)),
        }
    }
}

/// A refusal SES will repeat (bad address or content, unverified sender) is final; throttling, quotas, a paused
/// account and transport failures are worth retrying later.
fn classify(e: SdkError<SendEmailError>) -> NotifyError {
    let rejected = e.as_service_error().is_some_and(|se| {
        matches!(
            se,
            SendEmailError::MessageRejected(_)
                | SendEmailError::BadRequestException(_)
                | SendEmailError::MailFromDomainNotVerifiedException(_)
        )
    });
    let detail = DisplayErrorContext(e).to_string();
    if rejected { NotifyError::Rejected(detail) } else { NotifyError::Unavailable(detail) }
}
