//! Each function's configuration as typed values, parsed once from the environment at cold start (zero2prod's
//! `Settings` shape): every error names the variable, secrets sit in a wrapper that never prints. The local stack
//! builds the same settings from its own values and hands them to the same wiring.
//!
//! | variable             | read by                         | meaning                                                      |
//! |----------------------|---------------------------------|--------------------------------------------------------------|
//! | `TABLE_NAME`         | all                             | the DynamoDB table (else `DATA_DIR` for the embedded store)  |
//! | `BOOKING_EVENTS_TOPIC_ARN` | notify                    | SNS topic of the staff's booking events (else the outbox file under `DATA_DIR`) |
//! | `SES_FROM_ADDRESS`   | notify                          | guest email sender, on the verified SES identity             |
//! | `SES_CONFIGURATION_SET` | notify                       | SES configuration set (bounce/complaint/delivery events)     |
//! | `STRIPE_SECRET_ARN`  | payment, record, sweeper        | Secrets Manager secret `{"secret_key","webhook_secret"}`     |
//! | `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_API_BASE` | the same, locally | instead of the secret ARN |
//! | `AWS_ENDPOINT_URL`   | all                             | an AWS-compatible endpoint (moto)                            |
//! | `HOTEL_CATALOG_PATH` | all                             | catalogue JSON (else the demo hotel)                         |
//! | `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_SERVICE_NAME` | all | EMF namespace and `service` dimension (`AWS_LAMBDA_FUNCTION_NAME` gives `function`; `POWERTOOLS_METRICS_DISABLED` switches metrics off) |

use std::path::PathBuf;

use booking_domain::{DEMO_CATALOG_JSON, Hotel};

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const BOOKING_EVENTS_TOPIC_ARN: &str = "BOOKING_EVENTS_TOPIC_ARN";
pub const SES_FROM_ADDRESS: &str = "SES_FROM_ADDRESS";
pub const SES_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";
pub const STRIPE_SECRET_ARN: &str = "STRIPE_SECRET_ARN";
pub const STRIPE_SECRET_KEY: &str = "STRIPE_SECRET_KEY";
pub const STRIPE_WEBHOOK_SECRET: &str = "STRIPE_WEBHOOK_SECRET";
pub const STRIPE_API_BASE: &str = "STRIPE_API_BASE";
pub const DATA_DIR: &str = "DATA_DIR";
pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
pub const HOTEL_CATALOG_PATH: &str = "HOTEL_CATALOG_PATH";
pub const METRICS_NAMESPACE: &str = emf::NAMESPACE_VAR;
pub const METRICS_SERVICE: &str = emf::SERVICE_VAR;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A secret value: `Debug` never shows it, and reading it takes an explicit call.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Where the hotel's catalogue comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSource {
    Demo,
    File(PathBuf),
}

impl CatalogSource {
    pub fn load(&self) -> Result<Hotel, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid { name: HOTEL_CATALOG_PATH, reason };
        let text = match self {
            CatalogSource::Demo => DEMO_CATALOG_JSON.to_owned(),
            CatalogSource::File(path) => std::fs::read_to_string(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?,
        };
        Hotel::from_json(&text).map_err(|e| invalid(e.to_string()))
    }
}

/// How the table's outbox items reach `notify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxDelivery {
    /// The table's DynamoDB stream invokes `notify` (AWS).
    Stream,
    /// Items are also marked pending for the local stack's poller (moto has no stream-triggered Lambda).
    Polled,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSettings {
    DynamoDb { table: String, outbox: OutboxDelivery },
    Embedded { path: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeKeys {
    /// The Secrets Manager secret holding `{"secret_key", "webhook_secret"}` (AWS).
    SecretsManager { arn: String },
    /// The keys themselves (local runs, or the developer's own test-mode keys).
    Direct { secret_key: Secret, webhook_secret: Option<Secret> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeSettings {
    pub keys: StripeKeys,
    /// A Stripe-compatible base URL (the local server); `None` is api.stripe.com.
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifierSettings {
    /// Guest email through SES, SMS and staff events through SNS.
    Aws { ses_from_address: String, ses_configuration_set: String, booking_events_topic_arn: String },
    /// The local outbox file the dev stack shows at `/dev/outbox`.
    OutboxFile { path: PathBuf },
}

/// What every function has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommonSettings {
    pub catalog: CatalogSource,
    /// An AWS-compatible endpoint (moto) instead of AWS's own.
    pub aws_endpoint: Option<String>,
    pub store: StoreSettings,
    pub metrics: MetricsSettings,
}

/// Where each invocation's EMF documents go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsSettings {
    /// Standard output, which Lambda captures into the log group where CloudWatch extracts the metrics; configured
    /// by the `POWERTOOLS_*` variables like any Powertools function.
    Stdout(emf::Config),
    /// The local stack's metric stream: one JSON-lines file for every function, in `namespace`, each document with
    /// `service` = `booking` and `function` = `function_prefix` + the function's name (`harbour-local-payment`, as
    /// deployed functions are named, so the dashboard's rows match).
    File { namespace: emf::Namespace, function_prefix: String, path: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSettings {
    pub common: CommonSettings,
    pub stripe: StripeSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSettings {
    pub common: CommonSettings,
    pub stripe: StripeSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySettings {
    pub common: CommonSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    pub common: CommonSettings,
    pub notifier: NotifierSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweeperSettings {
    pub common: CommonSettings,
    pub stripe: StripeSettings,
}

/// Reads variables through `lookup` (the process environment in production, a map in tests).
pub struct Env<F: Fn(&str) -> Option<String>> {
    lookup: F,
}

impl<F: Fn(&str) -> Option<String>> std::fmt::Debug for Env<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env")
    }
}

impl Env<fn(&str) -> Option<String>> {
    pub fn process() -> Self {
        Env { lookup: |name| std::env::var(name).ok() }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn with(lookup: F) -> Self {
        Env { lookup }
    }

    fn optional(&self, name: &'static str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    fn common(&self) -> Result<CommonSettings, ConfigError> {
        let store = match (self.optional(TABLE_NAME), self.optional(DATA_DIR)) {
            (Some(table), _) => StoreSettings::DynamoDb { table, outbox: OutboxDelivery::Stream },
            (None, Some(dir)) => StoreSettings::Embedded { path: PathBuf::from(dir).join("store.redb") },
            (None, None) => return Err(ConfigError::Missing("TABLE_NAME (or DATA_DIR locally)")),
        };
        let aws_endpoint = self.optional(AWS_ENDPOINT_URL);
        if let Some(url) = &aws_endpoint
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid { name: AWS_ENDPOINT_URL, reason: "must be an http(s) URL".into() });
        }
        let catalog = self.optional(HOTEL_CATALOG_PATH).map_or(CatalogSource::Demo, |p| CatalogSource::File(p.into()));
        let metrics = emf::Config::from_lookup(|name| (self.lookup)(name)).map_err(|e| match e {
            emf::Error::MissingVariable(name) => ConfigError::Missing(name),
            emf::Error::InvalidVariable { name, reason } => ConfigError::Invalid { name, reason },
            other => ConfigError::Invalid { name: METRICS_NAMESPACE, reason: other.to_string() },
        })?;
        Ok(CommonSettings { catalog, aws_endpoint, store, metrics: MetricsSettings::Stdout(metrics) })
    }

    /// `needs_webhook_secret`: the local keys must include the webhook secret (the `record` function).
    fn stripe(&self, needs_webhook_secret: bool) -> Result<StripeSettings, ConfigError> {
        let keys = match self.optional(STRIPE_SECRET_ARN) {
            Some(arn) if arn.starts_with("arn:") => StripeKeys::SecretsManager { arn },
            Some(_) => return Err(ConfigError::Invalid { name: STRIPE_SECRET_ARN, reason: "must be a Secrets Manager ARN".into() }),
            None => {
                let webhook_secret = self.optional(STRIPE_WEBHOOK_SECRET).map(Secret);
                if needs_webhook_secret && webhook_secret.is_none() {
                    return Err(ConfigError::Missing("STRIPE_WEBHOOK_SECRET (or STRIPE_SECRET_ARN)"));
                }
                StripeKeys::Direct { secret_key: Secret(self.required(STRIPE_SECRET_KEY)?), webhook_secret }
            }
        };
        Ok(StripeSettings { keys, base_url: self.optional(STRIPE_API_BASE) })
    }

    pub fn payment(&self) -> Result<PaymentSettings, ConfigError> {
        Ok(PaymentSettings { common: self.common()?, stripe: self.stripe(false)? })
    }

    pub fn record(&self) -> Result<RecordSettings, ConfigError> {
        Ok(RecordSettings { common: self.common()?, stripe: self.stripe(true)? })
    }

    pub fn query(&self) -> Result<QuerySettings, ConfigError> {
        Ok(QuerySettings { common: self.common()? })
    }

    pub fn notify(&self) -> Result<NotifySettings, ConfigError> {
        let notifier = match (self.optional(BOOKING_EVENTS_TOPIC_ARN), self.optional(DATA_DIR)) {
            (Some(booking_events_topic_arn), _) => NotifierSettings::Aws {
                ses_from_address: self.required(SES_FROM_ADDRESS)?,
                ses_configuration_set: self.required(SES_CONFIGURATION_SET)?,
                booking_events_topic_arn,
            },
            (None, Some(dir)) => NotifierSettings::OutboxFile { path: PathBuf::from(dir).join("outbox.jsonl") },
            (None, None) => return Err(ConfigError::Missing("BOOKING_EVENTS_TOPIC_ARN (or DATA_DIR locally)")),
        };
        Ok(NotifySettings { common: self.common()?, notifier })
    }

    pub fn sweeper(&self) -> Result<SweeperSettings, ConfigError> {
        Ok(SweeperSettings { common: self.common()?, stripe: self.stripe(false)? })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    type TestEnv = Env<Box<dyn Fn(&str) -> Option<String>>>;

    fn env(vars: &[(&str, &str)]) -> TestEnv {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Env::with(Box::new(move |name: &str| vars.get(name).cloned()))
    }

    #[test]
    fn deployed_settings_come_from_the_documented_variables() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:harbour/prod/stripe-AbCdEf";
        let vars = [
            ("TABLE_NAME", "harbour-prod-bookings"),
            ("STRIPE_SECRET_ARN", arn),
            ("BOOKING_EVENTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t"),
            ("SES_FROM_ADDRESS", "Harbour View <bookings@hotel.example>"),
            ("SES_CONFIGURATION_SET", "harbour-prod-guest-mail"),
            ("POWERTOOLS_METRICS_NAMESPACE", "HarbourView/prod"),
            ("POWERTOOLS_SERVICE_NAME", "booking"),
            ("AWS_LAMBDA_FUNCTION_NAME", "harbour-prod-payment"),
        ];
        let e = env(&vars);
        let payment = e.payment().unwrap();
        assert_eq!(payment.common.store, StoreSettings::DynamoDb { table: "harbour-prod-bookings".into(), outbox: OutboxDelivery::Stream });
        assert_eq!(payment.stripe.keys, StripeKeys::SecretsManager { arn: arn.into() });
        assert_eq!(payment.common.catalog, CatalogSource::Demo);
        let MetricsSettings::Stdout(emf::Config::Enabled(target)) = &payment.common.metrics else { panic!("{:?}", payment.common.metrics) };
        assert_eq!((target.namespace().as_str(), target.function().as_str()), ("HarbourView/prod", "harbour-prod-payment"));
        assert_eq!(
            e.notify().unwrap().notifier,
            NotifierSettings::Aws {
                ses_from_address: "Harbour View <bookings@hotel.example>".into(),
                ses_configuration_set: "harbour-prod-guest-mail".into(),
                booking_events_topic_arn: "arn:aws:sns:eu-west-1:1:t".into()
            }
        );
        assert!(e.query().is_ok());
    }

    #[test]
    fn errors_name_the_variable() {
        let check = |vars: &[(&str, &str)], which: fn(&TestEnv) -> Result<(), ConfigError>, expected: &str| {
            let err = which(&env(vars)).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        };
        check(&[], |e| e.query().map(|_| ()), "TABLE_NAME");
        check(&[("TABLE_NAME", "t")], |e| e.query().map(|_| ()), "POWERTOOLS_METRICS_NAMESPACE");
        let metrics = [("POWERTOOLS_METRICS_DISABLED", "true")];
        let with = |vars: &[(&'static str, &'static str)]| [vars, &metrics[..]].concat();
        check(&with(&[("TABLE_NAME", "t")]), |e| e.payment().map(|_| ()), "STRIPE_SECRET_KEY");
        check(&with(&[("TABLE_NAME", "t"), ("STRIPE_SECRET_KEY", "sk_test_x")]), |e| e.record().map(|_| ()), "STRIPE_WEBHOOK_SECRET");
        check(
            &with(&[("TABLE_NAME", "t"), ("STRIPE_SECRET_ARN", "harbour/prod/stripe")]),
            |e| e.sweeper().map(|_| ()),
            "STRIPE_SECRET_ARN",
        );
        check(&with(&[("TABLE_NAME", "t")]), |e| e.notify().map(|_| ()), "BOOKING_EVENTS_TOPIC_ARN");
        check(
            &with(&[("TABLE_NAME", "t"), ("BOOKING_EVENTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:1:t")]),
            |e| e.notify().map(|_| ()),
            "SES_FROM_ADDRESS",
        );
        check(&with(&[("TABLE_NAME", "t"), ("AWS_ENDPOINT_URL", "localhost:5000")]), |e| e.query().map(|_| ()), "AWS_ENDPOINT_URL");
    }

    #[test]
    fn secrets_never_print() {
        let e = env(&[
            ("DATA_DIR", "/tmp/x"),
            ("STRIPE_SECRET_KEY", "sk_test_supersecret"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_hush"),
            ("POWERTOOLS_METRICS_DISABLED", "true"),
        ]);
        let shown = format!("{:?}", e.record().unwrap());
        assert!(!shown.contains("supersecret") && !shown.contains("hush"), "{shown}");
    }
}
