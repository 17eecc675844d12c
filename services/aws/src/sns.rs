//! Notifications through Amazon SNS.
//!
//! - SMS: a direct publish to the guest's E.164 number, typed `Transactional` so carriers deliver it even to
//!   numbers that opted out of promotional messages (SNS's SMS preferences: see README).
//! - Email: a publish to the notifications topic with a `recipient` message attribute. Before it, the guest's
//!   email subscription is ensured (`Subscribe` is idempotent for the same endpoint and attributes) with a filter
//!   policy on `recipient`, so only they receive it. SNS sends a new address a confirmation link first and
//!   delivers only once it is confirmed: the first confirmation can miss a guest who has not clicked it yet
//!   (an SNS property; Amazon SES would lift it, see README).
//!
//! SNS standard topics do not deduplicate: exactly-once comes from the caller's idempotency record per
//! `dedup_key`. No address or message body is ever logged.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sns::types::MessageAttributeValue;
use booking_domain::is_e164;
use booking_ports::{Channel, Notifier, NotifyError, OutboundMessage};

#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

fn attribute(value: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder().data_type("String").string_value(value).build().map_err(|e| NotifyError::Rejected(e.to_string()))
}

impl SnsNotifier {
    pub fn new(config: &aws_config::SdkConfig, topic_arn: impl Into<String>) -> Self {
        SnsNotifier { client: Client::new(config), topic_arn: topic_arn.into() }
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }

    /// The guest's email subscription to the topic, filtered to messages addressed to them.
    async fn ensure_subscription(&self, email: &str) -> Result<(), NotifyError> {
        let policy = serde_json::json!({ "recipient": [email] }).to_string();
        self.client
            .subscribe()
            .topic_arn(&self.topic_arn)
            .protocol("email")
            .endpoint(email)
            .attributes("FilterPolicy", policy)
            .send()
            .await
            .map_err(|e| NotifyError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        let request = match &message.channel {
            Channel::Sms { to } => {
                if !is_e164(to) {
                    return Err(NotifyError::Rejected("phone number is not E.164".into()));
                }
                self.client
                    .publish()
                    .phone_number(to)
                    .message(&message.body)
                    .message_attributes("AWS.SNS.SMS.SMSType", attribute("Transactional")?)
            }
            Channel::Email { to, subject } => {
                if to.is_empty() {
                    return Err(NotifyError::Rejected("empty email address".into()));
                }
                self.ensure_subscription(to).await?;
                // SNS subjects: at most 100 ASCII-ish characters, no line breaks.
                let subject: String = subject.chars().filter(|c| !c.is_control()).take(100).collect();
                self.client
                    .publish()
                    .topic_arn(&self.topic_arn)
                    .subject(subject)
                    .message(&message.body)
                    .message_attributes("recipient", attribute(to)?)
                    .message_attributes("channel", attribute("email")?)
            }
        };
        match request.send().await {
            Ok(out) => {
                tracing::info!(dedup_key = %message.dedup_key, message_id = out.message_id.as_deref().unwrap_or(""), "notification published");
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
}
