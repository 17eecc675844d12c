use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::LocalStripeError;

/// Where webhooks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookTarget {
    /// POSTed, signed, to this URL with Stripe's retries (the dev stack).
    Post(String),
    /// Kept for the owner to take with [`crate::LocalStripe::take_webhooks`] and deliver as it pleases: late,
    /// twice, out of order or never (tests of what real Stripe does to webhooks).
    Collect,
}

/// The server's notion of now, in Unix seconds. The dev stack passes its adjustable clock so timestamps,
/// webhook signatures and authorization expiry follow `POST /dev/clock`.
#[derive(Clone)]
pub struct UnixClock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl UnixClock {
    pub fn system() -> Self {
        UnixClock(Arc::new(crate::ids::system_now))
    }

    pub fn new(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        UnixClock(Arc::new(now))
    }

    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl fmt::Debug for UnixClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnixClock({})", self.now())
    }
}

#[derive(Clone)]
pub struct LocalStripeConfig {
    pub secret_key: String,
    pub publishable_key: String,
    pub webhook_secret: String,
    pub webhooks: WebhookTarget,
    /// state file lives here ("stripe.json"); survives restarts
    pub data_dir: PathBuf,
    pub clock: UnixClock,
}

impl fmt::Debug for LocalStripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalStripeConfig")
            .field("secret_key", &"[redacted]")
            .field("publishable_key", &self.publishable_key)
            .field("webhook_secret", &"[redacted]")
            .field("webhooks", &self.webhooks)
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
        let WebhookTarget::Post(target) = &self.webhooks else { return Ok(()) };
        match url::Url::parse(target) {
            Ok(url) if url.scheme() == "http" && url.has_host() => Ok(()),
            _ => invalid("the webhook URL must be an absolute http:// URL"),
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
            webhooks: WebhookTarget::Post("http://127.0.0.1:9000/webhooks/stripe".into()),
            data_dir: PathBuf::from("/tmp/x"),
            clock: UnixClock::system(),
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
        check(|c| c.webhooks = WebhookTarget::Post("https://example.com/hook".into()));
        check(|c| c.webhooks = WebhookTarget::Post("not a url".into()));
        let mut collect = config();
        collect.webhooks = WebhookTarget::Collect;
        assert!(collect.validate().is_ok());
    }
}
