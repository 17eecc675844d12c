//! Stripe's keys from AWS Secrets Manager, read once at cold start. The secret is JSON:
//! `{"secret_key": "sk_...", "webhook_secret": "whsec_..."}`. Its values never reach a log or an error message.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use serde::Deserialize;

#[derive(Clone, Deserialize)]
pub struct StripeSecrets {
    pub secret_key: String,
    pub webhook_secret: String,
}

impl std::fmt::Debug for StripeSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StripeSecrets(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("could not read secret {arn}: {reason}")]
    Unavailable { arn: String, reason: String },
    #[error("secret {0} is not JSON with secret_key and webhook_secret")]
    Malformed(String),
}

pub async fn stripe_secrets(config: &aws_config::SdkConfig, arn: &str) -> Result<StripeSecrets, SecretError> {
    let out = Client::new(config)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| SecretError::Unavailable { arn: arn.to_owned(), reason: DisplayErrorContext(e).to_string() })?;
    let text = out.secret_string().ok_or_else(|| SecretError::Malformed(arn.to_owned()))?;
    serde_json::from_str(text).map_err(|_| SecretError::Malformed(arn.to_owned()))
}
