//! Builds each function from its settings, once per process: the Lambda binary from the environment
//! (`config::Env`), the local stack from its own values, through these same functions. Each function gets exactly
//! the ports its `FunctionSpec` declares (a use case that never pays is never handed a payment gateway: the port
//! sets are types), and its store is scoped to the calls it declares.
//!
//! Each function also gets its metrics emitter (`crate::metrics`), so every host serves it through the same
//! `MetricsLayer`.
//!
//! The clock is an argument: the Lambda binaries pass the system clock; only the local stack passes its adjustable
//! one (and the binaries do not link the local stack: `xtask/tests/tidy.rs`).

use std::sync::Arc;

use booking_app::{NotifyPorts, ReadPorts};
use booking_aws::{AwsNotifier, DynamoStore, OutboxMarking, SesSettings, sdk_config};
use booking_domain::Hotel;
use booking_ports::{BookingStore, Clock, Notifier};

use crate::config::{CommonSettings, ConfigError, NotifierSettings, NotifySettings, OutboxDelivery, QuerySettings, StoreSettings};
use crate::functions::{FunctionSpec, NOTIFY, QUERY};
use crate::notify::Notify;
use crate::query::Query;
use crate::scope::ScopedStore;
#[cfg(feature = "stripe")]
use stripe_wiring::*;

/// What only the functions that pay use (the `stripe` feature).
#[cfg(feature = "stripe")]
mod stripe_wiring {
    pub(super) use booking_app::{MoneyPorts, SettlePorts};
    pub(super) use booking_aws::stripe_secrets;
    pub(super) use booking_stripe::{StripeConfig, StripeGateway};

    pub(super) use crate::config::{
        PaymentSettings, RecordSettings, STRIPE_SECRET_ARN, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, Secret, StripeKeys, StripeSettings,
        SweeperSettings,
    };
    pub(super) use crate::functions::{PAYMENT, RECORD, SWEEPER};
    pub(super) use crate::payment::Payment;
    pub(super) use crate::record::Record;
    pub(super) use crate::sweeper::Sweeper;
}

#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("could not open {what}: {reason}")]
    Open { what: &'static str, reason: String },
}

#[cfg(feature = "stripe")]
pub async fn payment(settings: PaymentSettings, clock: Arc<dyn Clock>) -> Result<Payment, WiringError> {
    let base = Base::open(&settings.common, &PAYMENT).await?;
    let (payments, _) = stripe(&settings.stripe, &base).await?;
    let emitter = base.emitter.clone();
    Ok(Payment::new(money(base, payments, clock), emitter))
}

#[cfg(feature = "stripe")]
pub async fn record(settings: RecordSettings, clock: Arc<dyn Clock>) -> Result<Record, WiringError> {
    let base = Base::open(&settings.common, &RECORD).await?;
    let (payments, webhook_secret) = stripe(&settings.stripe, &base).await?;
    let secret = webhook_secret.ok_or(ConfigError::Missing(STRIPE_WEBHOOK_SECRET))?;
    let emitter = base.emitter.clone();
    Ok(Record::new(money(base, payments, clock), secret, emitter))
}

pub async fn query(settings: QuerySettings, clock: Arc<dyn Clock>) -> Result<Query, WiringError> {
    let base = Base::open(&settings.common, &QUERY).await?;
    let store = base.store;
    Ok(Query::new(ReadPorts { hotel: base.hotel, bookings: store.clone(), deliveries: store, clock }, base.emitter))
}

pub async fn notify(settings: NotifySettings, clock: Arc<dyn Clock>) -> Result<Notify, WiringError> {
    let base = Base::open(&settings.common, &NOTIFY).await?;
    let notifier: Arc<dyn Notifier> = match &settings.notifier {
        NotifierSettings::Aws { ses_from_address, ses_configuration_set, booking_events_topic_arn } => Arc::new(AwsNotifier::new(
            &base.aws,
            SesSettings { from_address: ses_from_address.clone(), configuration_set: ses_configuration_set.clone() },
            booking_events_topic_arn.clone(),
        )),
        #[cfg(feature = "local")]
        NotifierSettings::OutboxFile { path } => Arc::new(
            booking_embedded::FileOutbox::open(path, clock.clone())
                .map_err(|e| WiringError::Open { what: "the outbox file", reason: e.to_string() })?,
        ),
        #[cfg(not(feature = "local"))]
        NotifierSettings::OutboxFile { .. } => return Err(not_in_this_build("the outbox file")),
    };
    let store = base.store;
    Ok(Notify::new(
        NotifyPorts { hotel: base.hotel, bookings: store.clone(), idempotency: store.clone(), notifier, deliveries: store, clock },
        base.emitter,
    ))
}

#[cfg(feature = "stripe")]
pub async fn sweeper(settings: SweeperSettings, clock: Arc<dyn Clock>) -> Result<Sweeper, WiringError> {
    let base = Base::open(&settings.common, &SWEEPER).await?;
    let (payments, _) = stripe(&settings.stripe, &base).await?;
    let store = base.store;
    Ok(Sweeper::new(SettlePorts { hotel: base.hotel, bookings: store.clone(), changes: store, payments, clock }, base.emitter))
}

/// What every function opens: its catalogue, its scoped store, and the AWS SDK configuration (built once; it
/// contacts nothing until a client uses it).
struct Base {
    hotel: Arc<Hotel>,
    store: Arc<ScopedStore>,
    aws: aws_config::SdkConfig,
    /// Its metrics: one flush per invocation through `MetricsLayer` (`crate::metrics`).
    emitter: Arc<emf::Emitter>,
}

impl Base {
    async fn open(common: &CommonSettings, spec: &'static FunctionSpec) -> Result<Base, WiringError> {
        let hotel = Arc::new(common.catalog.load()?);
        let aws = sdk_config(common.aws_endpoint.as_deref()).await;
        let store: Arc<dyn BookingStore> = match &common.store {
            StoreSettings::DynamoDb { table, outbox } => {
                let marking = match outbox {
                    OutboxDelivery::Stream => OutboxMarking::StreamOnly,
                    OutboxDelivery::Polled => OutboxMarking::MarkPending,
                };
                Arc::new(DynamoStore::new(&aws, table.clone(), marking))
            }
            #[cfg(feature = "local")]
            StoreSettings::Embedded { path } => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| WiringError::Open { what: "the data directory", reason: e.to_string() })?;
                }
                Arc::new(
                    booking_embedded::EmbeddedStore::open(path)
                        .map_err(|e| WiringError::Open { what: "the embedded store", reason: e.to_string() })?,
                )
            }
            #[cfg(not(feature = "local"))]
            StoreSettings::Embedded { .. } => return Err(not_in_this_build("the embedded store")),
        };
        let emitter = crate::metrics::emitter(&common.metrics, spec)?;
        Ok(Base { hotel, store: Arc::new(ScopedStore::new(store, spec)), aws, emitter })
    }
}

#[cfg(feature = "stripe")]
fn money(base: Base, payments: Arc<dyn booking_ports::PaymentGateway>, clock: Arc<dyn Clock>) -> MoneyPorts {
    let store = base.store;
    MoneyPorts {
        settle: SettlePorts { hotel: base.hotel, bookings: store.clone(), changes: store.clone(), payments, clock },
        idempotency: store,
    }
}

#[cfg(feature = "stripe")]
/// The Stripe adapter and the webhook secret, from Secrets Manager or from the settings.
async fn stripe(settings: &StripeSettings, base: &Base) -> Result<(Arc<dyn booking_ports::PaymentGateway>, Option<Secret>), WiringError> {
    let (secret_key, webhook_secret) = match &settings.keys {
        StripeKeys::SecretsManager { arn } => {
            let secrets = stripe_secrets(&base.aws, arn)
                .await
                .map_err(|e| ConfigError::Invalid { name: STRIPE_SECRET_ARN, reason: e.to_string() })?;
            (Secret::new(secrets.secret_key), Some(Secret::new(secrets.webhook_secret)))
        }
        StripeKeys::Direct { secret_key, webhook_secret } => (secret_key.clone(), webhook_secret.clone()),
    };
    let gateway = StripeGateway::new(&StripeConfig { secret_key: secret_key.expose().to_owned(), base_url: settings.base_url.clone() })
        .map_err(|e| ConfigError::Invalid { name: STRIPE_SECRET_KEY, reason: e.to_string() })?;
    Ok((Arc::new(gateway), webhook_secret))
}

/// DATA_DIR asks for the local stack's adapters, which a Lambda build leaves out (the `local` feature).
#[cfg(not(feature = "local"))]
fn not_in_this_build(what: &'static str) -> WiringError {
    WiringError::Open { what, reason: "DATA_DIR is for the local stack; this build has no `local` feature (set TABLE_NAME)".into() }
}
