use std::fmt;
use std::path::PathBuf;

use crate::LocalStripeError;

#[derive(Clone)]
pub struct LocalStripeConfig {
    pub secret_key: String,
    pub publishable_key: String,
    pub webhook_secret: String,
    /// full URL webhooks are POSTed to
    pub webhook_url: String,
    /// state file lives here ("stripe.json"); survives restarts
    pub data_dir: PathBuf,
}

impl fmt::Debug for LocalStripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalStripeConfig")
            .field("secret_key", &"[redacted]")
            .field("publishable_key", &self.publishable_key)
            .field("webhook_secret", &"[redacted]")
            .field("webhook_url", &self.webhook_url)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl LocalStripeConfig {
    /// Fails fast on settings that would otherwise surface as puzzling 401s or silently lost webhooks.
    pub(crate) fn validate(&self) -> Result<(), LocalStripeError> {
        let invalid = |msg: &str| Err(LocalStripeError::InvalidConfig(msg.to_owned()));
        if self.secret_key.trim().is_empty() || self.publishable_key.trim().is_empty() {
            return invalid("secret_key and publishable_key must not be empty");
        }
        if self.secret_key == self.publishable_key {
            return invalid("secret_key and publishable_key must differ");
        }
        if self.webhook_secret.is_empty() {
            return invalid("webhook_secret must not be empty");
        }
        // The webhook client is built without TLS: the receiver is always a local process.
        match url::Url::parse(&self.webhook_url) {
            Ok(url) if url.scheme() == "http" && url.has_host() => Ok(()),
            _ => invalid("webhook_url must be an absolute http:// URL"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LocalStripeConfig {
        LocalStripeConfig {
            secret_key: "sk_test_hidden".into(),
            publishable_key: "pk_test_shown".into(),
            webhook_secret: "whsec_hidden".into(),
            webhook_url: "http://127.0.0.1:9000/webhooks/stripe".into(),
            data_dir: PathBuf::from("/tmp/x"),
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let text = format!("{:?}", config());
        assert!(!text.contains("hidden"), "{text}");
        assert!(text.contains("pk_test_shown"));
    }

    #[test]
    fn validation() {
        assert!(config().validate().is_ok());
        let check = |change: fn(&mut LocalStripeConfig)| {
            let mut c = config();
            change(&mut c);
            assert!(c.validate().is_err(), "{c:?}");
        };
        check(|c| c.secret_key.clear());
        check(|c| c.publishable_key = c.secret_key.clone());
        check(|c| c.webhook_secret.clear());
        check(|c| c.webhook_url = "https://example.com/hook".into());
        check(|c| c.webhook_url = "not a url".into());
    }
}
