//! Builds the adapters a function needs from its environment, once per process (Lambda cold start). Fails fast,
//! naming the missing or bad variable, so a misconfigured deployment never serves a request.
//!
//! | port     | AWS (deployed)                         | embedded (local)        |
//! |----------|----------------------------------------|-------------------------|
//! | store    | `TABLE_NAME` → DynamoDB                | `DATA_DIR` → redb       |
//! | notifier | `NOTIFY_TOPIC_ARN` → SNS               | `DATA_DIR` → outbox file|
//! | Stripe   | `STRIPE_SECRET_ARN` → Secrets Manager  | `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_API_BASE` |
//!
//! `AWS_ENDPOINT_URL` points the AWS clients at a local emulator (moto).

use std::path::PathBuf;
use std::sync::Arc;

use booking_app::Services;
use booking_aws::{DynamoStore, SnsNotifier, sdk_config, stripe_secrets};
use booking_domain::{DEMO_CATALOG_JSON, Hotel};
use booking_embedded::{EmbeddedStore, FileOutbox};
use booking_ports::{BookingStore, Clock, Notifier, PaymentGateway, SystemClock};
use booking_stripe::{StripeConfig, StripeGateway};

use crate::record::WebhookSecret;
use crate::unconfigured::Unconfigured;

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("could not open {what}: {reason}")]
    Open { what: &'static str, reason: String },
}

fn var(name: &'static str) -> Result<String, WiringError> {
    optional(name).ok_or(WiringError::Missing(name))
}

fn optional(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The hotel catalog: `HOTEL_CATALOG_PATH` if set, else the demo hotel compiled in.
pub fn catalog() -> Result<Hotel, WiringError> {
    let invalid = |e: String| WiringError::Invalid { name: "HOTEL_CATALOG_PATH", reason: e };
    match optional("HOTEL_CATALOG_PATH") {
        Some(path) => {
            Hotel::from_json(&std::fs::read_to_string(&path).map_err(|e| invalid(e.to_string()))?).map_err(|e| invalid(e.to_string()))
        }
        None => Hotel::from_json(DEMO_CATALOG_JSON).map_err(|e| invalid(e.to_string())),
    }
}

/// Stripe's secret key and webhook secret: from Secrets Manager when `STRIPE_SECRET_ARN` is set, else from
/// `STRIPE_SECRET_KEY` / `STRIPE_WEBHOOK_SECRET` (local runs).
async fn stripe_keys(aws: &aws_config::SdkConfig) -> Result<(String, Option<String>), WiringError> {
    match optional("STRIPE_SECRET_ARN") {
        Some(arn) => {
            let secrets =
                stripe_secrets(aws, &arn).await.map_err(|e| WiringError::Invalid { name: "STRIPE_SECRET_ARN", reason: e.to_string() })?;
            Ok((secrets.secret_key, Some(secrets.webhook_secret)))
        }
        None => Ok((var("STRIPE_SECRET_KEY")?, optional("STRIPE_WEBHOOK_SECRET"))),
    }
}

/// Everything a function needs, wired from the environment.
#[derive(Debug)]
pub struct Wired {
    pub services: Services,
    /// Present when a webhook secret was configured (the `record` function requires it).
    pub webhook_secret: Option<WebhookSecret>,
}

impl Wired {
    pub fn webhook_secret(&self) -> Result<WebhookSecret, WiringError> {
        self.webhook_secret.clone().ok_or(WiringError::Missing("STRIPE_WEBHOOK_SECRET (or STRIPE_SECRET_ARN)"))
    }
}

/// Which ports a function uses. Each Lambda gets only the permissions and configuration for these (least
/// privilege), so the others are wired to [`Unconfigured`], which refuses loudly if ever called. The template's
/// environment variables and IAM actions are checked against these (`infra/check/tests/parity.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub payments: bool,
    pub notifier: bool,
    /// DynamoDB actions its use cases perform (transactions need the actions of their parts).
    pub dynamodb_actions: &'static [&'static str],
}

/// Idempotency records: claim (Put), read (Get), complete (Update), release (Delete).
const IDEMPOTENCY: [&str; 4] = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"];

impl Needs {
    /// Holds (transaction of Update + Put), reads, idempotency.
    pub const PAYMENT: Needs = Needs { payments: true, notifier: false, dynamodb_actions: &IDEMPOTENCY };
    /// Transitions (Update + Put in a transaction), reads, idempotency.
    pub const RECORD: Needs = Needs { payments: true, notifier: false, dynamodb_actions: &IDEMPOTENCY };
    /// Availability (BatchGetItem), the guest index (Query), cancellation transitions.
    pub const QUERY: Needs = Needs {
        payments: true,
        notifier: false,
        dynamodb_actions: &["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
    };
    /// The held-by-expiry index (Query) and expiry transitions.
    pub const SWEEPER: Needs = Needs {
        payments: true,
        notifier: false,
        dynamodb_actions: &["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
    };
    /// Reads the booking, idempotency per message.
    pub const NOTIFY: Needs = Needs { payments: false, notifier: true, dynamodb_actions: &IDEMPOTENCY };

    /// Every function, by the name its binary and template resources use.
    pub const BY_FUNCTION: [(&'static str, Needs); 5] = [
        ("payment", Self::PAYMENT),
        ("record", Self::RECORD),
        ("query", Self::QUERY),
        ("sweeper", Self::SWEEPER),
        ("notify", Self::NOTIFY),
    ];

    /// The environment variables the function reads when deployed (besides the optional `HOTEL_CATALOG_PATH`
    /// and `RUST_LOG`).
    pub fn aws_environment(self) -> Vec<&'static str> {
        let mut vars = vec!["TABLE_NAME"];
        if self.notifier {
            vars.push("NOTIFY_TOPIC_ARN");
        }
        if self.payments {
            vars.push("STRIPE_SECRET_ARN");
        }
        vars
    }
}

pub async fn from_env(needs: Needs) -> Result<Wired, WiringError> {
    let aws = sdk_config(optional("AWS_ENDPOINT_URL").as_deref(), None).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let data_dir = optional("DATA_DIR").map(PathBuf::from);
    let local_dir = || -> Result<PathBuf, WiringError> {
        let dir = data_dir.clone().ok_or(WiringError::Missing("TABLE_NAME or DATA_DIR"))?;
        std::fs::create_dir_all(&dir).map_err(|e| WiringError::Open { what: "DATA_DIR", reason: e.to_string() })?;
        Ok(dir)
    };
    let store: Arc<dyn BookingStore> = match optional("TABLE_NAME") {
        Some(table) => Arc::new(DynamoStore::new(&aws, table)),
        None => Arc::new(
            EmbeddedStore::open(&local_dir()?.join("store.redb"))
                .map_err(|e| WiringError::Open { what: "store", reason: e.to_string() })?,
        ),
    };
    let notifier: Arc<dyn Notifier> = match (needs.notifier, optional("NOTIFY_TOPIC_ARN")) {
        (false, _) => Arc::new(Unconfigured("notifier")),
        (true, Some(topic)) => Arc::new(SnsNotifier::new(&aws, topic)),
        (true, None) => Arc::new(
            FileOutbox::open(&local_dir()?.join("outbox.jsonl"), clock.clone())
                .map_err(|e| WiringError::Open { what: "outbox", reason: e.to_string() })?,
        ),
    };
    let (payments, webhook_secret): (Arc<dyn PaymentGateway>, _) = if needs.payments {
        let (secret_key, webhook_secret) = stripe_keys(&aws).await?;
        let stripe = StripeGateway::new(&StripeConfig { secret_key, base_url: optional("STRIPE_API_BASE") })
            .map_err(|e| WiringError::Invalid { name: "STRIPE_SECRET_KEY", reason: e.to_string() })?;
        (Arc::new(stripe), webhook_secret.map(WebhookSecret::new))
    } else {
        (Arc::new(Unconfigured("payment gateway")), None)
    };
    Ok(Wired { services: Services { hotel: Arc::new(catalog()?), store, payments, notifier, clock }, webhook_secret })
}
