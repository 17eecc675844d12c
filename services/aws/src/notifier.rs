//! The notifier in AWS: each channel through the service that suits it (ARCHITECTURE.md, "Delivery
//! guarantees"): guest email through SES, SMS and the staff's booking events through SNS.

use async_trait::async_trait;
use booking_ports::{Channel, Notifier, NotifyError, OutboundMessage};

use crate::{SesEmail, SesSettings, SnsMessages};

#[derive(Debug, Clone)]
pub struct AwsNotifier {
    email: SesEmail,
    sns: SnsMessages,
}

impl AwsNotifier {
    pub fn new(config: &aws_config::SdkConfig, ses: SesSettings, booking_events_topic_arn: impl Into<String>) -> Self {
        AwsNotifier { email: SesEmail::new(config, ses), sns: SnsMessages::new(config, booking_events_topic_arn) }
    }
}

#[async_trait]
impl Notifier for AwsNotifier {
    async fn send(&self, message: &OutboundMessage) -> Result<(), NotifyError> {
        match &message.channel {
            Channel::Email { to, subject } => self.email.send(message, to, subject).await,
            Channel::Sms { to } => self.sns.sms(message, to).await,
            Channel::Staff { subject } => self.sns.staff(message, subject).await,
        }
    }
}
