//! SMS and the staff's booking-events topic through Amazon SNS.
//!
//! - SMS: a direct publish to the guest's E.164 number, typed `Transactional` so carriers deliver it even to
//!   numbers that opted out of promotional messages (SNS's SMS preferences and delivery-status logging: README).
//! - Staff: a publish to the booking-events topic, which the hotel's own subscribers (front desk, operations)
//!   receive; a handful of subscriptions, no per-guest filter policy. Guest email goes through SES (`ses.rs`).
//!
//! SNS standard topics do not deduplicate: exactly-once comes from the caller's idempotency record per
//! `dedup_key`. No phone number or message body is ever logged.

use aws_sdk_sns::Client;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_sdk_sns::types::MessageAttributeValue;
use booking_domain::is_e164;
use booking_ports::{NotifyError, OutboundMessage};

#[derive(Debug, Clone)]
pub struct SnsMessages {
    client: Client,
    booking_events_topic_arn: String,
}

fn attribute(value: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().map_err(|e| NotifyError::Rejected(e.to_string()))
}

impl SnsMessages {
    pub fn new(config: &aws_config::SdkConfig, booking_events_topic_arn: impl Into<String>) -> Self {
        SnsMessages { client: Client::new(config), booking_events_topic_arn: booking_events_topic_arn.into() }
    }

    pub fn booking_events_topic_arn(&self) -> &str {
        &self.booking_events_topic_arn
    }

    pub async fn sms(&self, message: &OutboundMessage, to: &str) -> Result<(), NotifyError> {
        if !is_e164(to) {
            return Err(NotifyError::Rejected("phone number is not E.164".into()));
        }
        let sent = self
            .client
            .publish()
            .phone_number(to)
            .message(&message.body)
            .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional")?)
            .send()
            .await;
        outcome(message, sent)
    }

    pub async fn staff(&self, message: &OutboundMessage, subject: &str) -> Result<(), NotifyError> {
        // SNS subjects: at most 100 characters, no line breaks.
        let subject: String = subject.chars().filter(|c| !c.is_control()).take(100).collect();
        let sent = self
            .client
            .publish()
            .topic_arn(&self.booking_events_topic_arn)
            .subject(subject)
            .message(&message.body)
            .message_attributes("booking", attribute(message.reference.as_str())?)
            .send()
            .await;
        outcome(message, sent)
    }
}

fn outcome(message: &OutboundMessage, sent: Result<PublishOutput, SdkError<PublishError>>) -> Result<(), NotifyError> {
    match sent {
        Ok(out) => {
            tracing::info!(dedup_key = %message.dedup_key, message_id = out.message_id.as_deref().unwrap_or(""), "published to SNS");
            Ok(())
        }
        Err(e) => {
            let throttled_or_down = e
                .as_service_error()
                .is_none_or(|se| se.is_internal_error_exception() || se.code().is_some_and(|c| c.starts_with("Throttl")));
            let detail = DisplayErrorContext(e).to_string();
            if throttled_or_down { Err(NotifyError::Unavailable(detail)) } else { Err(NotifyError::Rejected(detail)) }
        }
    }
}
