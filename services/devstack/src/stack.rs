use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use booking_aws::OutboxMarking;
use booking_embedded::EmbeddedStore;
use booking_functions::config::{
    CatalogSource, CommonSettings, MetricsSettings, NotifierSettings, NotifySettings, OutboxDelivery, PaymentSettings, QuerySettings,
    RecordSettings, Secret, StoreSettings, StripeKeys, StripeSettings, SweeperSettings,
};
use booking_functions::wiring;
use booking_identity::{JwksVerifier, TokenUse, VerifierConfig};
use booking_ports::{Clock, DeliveryLog, OutboxFeed, PaymentGateway};
use booking_stripe::{StripeConfig, StripeGateway};
use local_idp::{DemoUser, Idp, IdpConfig};
use local_stripe::{LocalStripe, LocalStripeConfig};
use serde_json::json;
use tokio::sync::watch;

use crate::dev_clock::DevClock;
use crate::gateway::Functions;
use crate::secrets::LocalSecrets;
use crate::{background, dev_clock, gateway, metrics_forward, metrics_page, outbox_page, site};

/// The metric stream's file under the data directory (JSON lines, one EMF document each); `/dev/metrics` reads it.
pub const METRICS_FILE: &str = "metrics.jsonl";
/// The environment the local stack's metrics are in (namespace `HarbourView/local`).
pub const LOCAL_ENVIRONMENT: &str = "local";

/// The app client id of the local user pool; public, like a Cognito app client id.
pub const CLIENT_ID: &str = "hotel-site-local";

/// Real Stripe test-mode credentials, when the developer wants the real thing instead of the local server.
#[derive(Clone)]
pub struct RealStripe {
    pub secret_key: String,
    pub publishable_key: String,
    pub webhook_secret: String,
}

impl std::fmt::Debug for RealStripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RealStripe(..)")
    }
}

#[derive(Debug, Clone)]
pub struct StackConfig {
    /// 0 picks a free port (tests).
    pub port: u16,
    pub data_dir: PathBuf,
    pub site_dir: PathBuf,
    /// The stack's adjustable clock (`/dev/clock`); every part of the stack reads it.
    pub clock: Arc<DevClock>,
    pub catalog: CatalogSource,
    pub sweep_every: Duration,
    pub dispatch_every: Duration,
    pub real_stripe: Option<RealStripe>,
    pub demo_user: DemoUser,
    /// Run the store and notifier on the AWS adapters against this endpoint (moto) instead of embedded ones.
    pub aws_endpoint: Option<String>,
    /// In AWS mode, where the metric stream is forwarded with PutMetricData; `None` is `aws_endpoint`. (moto
    /// 5.2.5 does not speak the CloudWatch SDK's protocol, so tests put a protocol bridge here.)
    pub cloudwatch_endpoint: Option<String>,
    /// Whether the metric stream is forwarded at all in AWS mode (default yes). The soak turns it off: against
    /// moto alone every PutMetricData fails, and each failure still costs moto's one thread.
    pub forward_metrics: bool,
}

impl StackConfig {
    pub fn new(data_dir: PathBuf, site_dir: PathBuf) -> Result<Self, StackError> {
        Ok(StackConfig {
            port: 8080,
            data_dir,
            site_dir,
            clock: Arc::new(DevClock::default()),
            catalog: CatalogSource::Demo,
            sweep_every: Duration::from_secs(5),
            dispatch_every: Duration::from_millis(200),
            real_stripe: None,
            demo_user: DemoUser { email: "guest@example.com".into(), password: "demo-password".into(), name: "Demo Guest".into() },
            aws_endpoint: None,
            cloudwatch_endpoint: None,
            forward_metrics: true,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("setup failed: {0}")]
    Setup(String),
    #[error("server failed: {0}")]
    Serve(String),
}

fn setup(what: &str) -> impl FnOnce(String) -> StackError + '_ {
    move |e| StackError::Setup(format!("{what}: {e}"))
}

/// A started stack. Dropping it without [`RunningStack::shutdown`] leaves the loops running until the runtime
/// ends; shutting down is cleaner.
pub struct RunningStack {
    pub addr: SocketAddr,
    pub base_url: String,
    pub data_dir: PathBuf,
    /// The stack's clock (what `/dev/clock` moves).
    pub clock: Arc<DevClock>,
    /// The stack's payment provider through the real adapter, for tests that look at what it holds.
    pub payments: Arc<dyn PaymentGateway>,
    pub local_stripe_publishable_key: Option<String>,
    functions: Arc<Functions>,
    outbox: Arc<dyn OutboxFeed>,
    feedback: Option<Arc<background::Feedback>>,
    forwarder: Option<Arc<metrics_forward::Forwarder>>,
    local_stripe: Option<LocalStripe>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    server: tokio::task::JoinHandle<Result<(), std::io::Error>>,
}

impl std::fmt::Debug for RunningStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningStack").field("base_url", &self.base_url).field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl RunningStack {
    /// The addresses a developer wants to see, in print order.
    pub fn urls(&self) -> Vec<(&'static str, String)> {
        let b = &self.base_url;
        let mut urls = vec![
            ("site", format!("{b}/")),
            ("api", format!("{b}/api/rooms")),
            ("identity provider", format!("{b}/idp/.well-known/openid-configuration")),
            ("outbox", format!("{b}/dev/outbox")),
            ("clock", format!("{b}/dev/clock")),
            ("metrics", format!("{b}/dev/metrics")),
        ];
        if self.local_stripe.is_some() {
            urls.push(("local stripe", format!("{b}/stripe/v1/")));
        }
        urls
    }

    /// Delivers pending outbox events (and feeds pending email feedback) now instead of waiting for the next tick
    /// (tests).
    pub async fn dispatch_now(&self) -> usize {
        let delivered = background::dispatch_once(&self.functions.notify, self.outbox.as_ref()).await;
        if let Some(feedback) = &self.feedback {
            feedback.feed_once(&self.functions.notify).await;
        }
        delivered
    }

    /// Runs the scheduled reconciliation now instead of waiting for the next tick (tests).
    pub async fn sweep_now(&self) {
        background::sweep_once(&self.functions).await;
    }

    /// In AWS mode, forwards the metric documents written so far to CloudWatch now; returns how many (tests).
    pub async fn forward_metrics_now(&self) -> usize {
        match &self.forwarder {
            Some(forwarder) => forwarder.forward_new().await,
            None => 0,
        }
    }

    /// The metric stream: every EMF document the functions wrote, one per line.
    pub fn metrics_path(&self) -> PathBuf {
        self.data_dir.join(METRICS_FILE)
    }

    /// Waits until webhooks the local Stripe server has queued are delivered (or given up).
    pub async fn drain_webhooks(&self, timeout: Duration) {
        if let Some(stripe) = &self.local_stripe {
            stripe.drain_webhooks(timeout).await;
        }
    }

    /// Stops accepting requests, lets in-flight ones finish, delivers queued webhooks and events, then returns.
    pub async fn shutdown(self) -> Result<(), StackError> {
        let _ = self.stop.send(true);
        let served = self.server.await.map_err(|e| StackError::Serve(e.to_string()))?;
        if let Some(stripe) = &self.local_stripe {
            stripe.drain_webhooks(Duration::from_secs(2)).await;
        }
        for task in self.tasks {
            let _ = task.await;
        }
        served.map_err(|e| StackError::Serve(e.to_string()))
    }
}

/// The SES identity, sender and configuration set of local AWS mode.
const LOCAL_MAIL_DOMAIN: &str = "harbour.example";
const LOCAL_MAIL_FROM: &str = "Harbour View <bookings@harbour.example>";
const LOCAL_MAIL_SET: &str = "local-guest-mail";

/// Where the functions keep bookings and send messages: an embedded store and the outbox file, or DynamoDB, SES
/// and SNS on an AWS-compatible endpoint (moto: table `local-bookings`, topic `local-notifications`, SES identity
/// `harbour.example` with configuration set `local-guest-mail`, created if missing, so the AWS adapters run the
/// whole product).
struct Storage {
    store: StoreSettings,
    notifier: NotifierSettings,
    /// How the local stack reads the outbox (a DynamoDB stream does it in AWS).
    outbox: Arc<dyn OutboxFeed>,
    sent: outbox_page::Source,
    /// The delivery states, for the outbox page.
    deliveries: Arc<dyn DeliveryLog>,
    /// SES-shaped feedback (bounces) the embedded outbox writes, which the stack feeds to `notify` as SNS would.
    feedback: Option<PathBuf>,
}

async fn storage(config: &StackConfig) -> Result<Storage, StackError> {
    match &config.aws_endpoint {
        None => {
            let path = config.data_dir.join("store.redb");
            let feed = Arc::new(EmbeddedStore::open(&path).map_err(|e| setup("store")(e.to_string()))?);
            let outbox_path = config.data_dir.join("outbox.jsonl");
            Ok(Storage {
                store: StoreSettings::Embedded { path },
                notifier: NotifierSettings::OutboxFile { path: outbox_path.clone() },
                outbox: feed.clone(),
                deliveries: feed,
                feedback: Some(outbox_path.clone()),
                sent: outbox_page::Source::File(outbox_path),
            })
        }
        Some(endpoint) => {
            let aws = booking_aws::emulator_config(endpoint);
            let table = "local-bookings";
            booking_local_aws::create_table(&aws, table).await.map_err(|e| setup("DynamoDB table")(e.to_string()))?;
            let topic_arn =
                booking_local_aws::create_topic(&aws, "local-notifications").await.map_err(|e| setup("SNS topic")(e.to_string()))?;
            booking_local_aws::create_email_identity(&aws, LOCAL_MAIL_DOMAIN, LOCAL_MAIL_SET)
                .await
                .map_err(|e| setup("SES identity")(e.to_string()))?;
            Ok(Storage {
                store: StoreSettings::DynamoDb { table: table.to_owned(), outbox: OutboxDelivery::Polled },
                notifier: NotifierSettings::Aws {
                    ses_from_address: LOCAL_MAIL_FROM.into(),
                    ses_configuration_set: LOCAL_MAIL_SET.into(),
                    booking_events_topic_arn: topic_arn.clone(),
                },
                outbox: Arc::new(booking_local_aws::DynamoOutboxPoller::new(&aws, table)),
                deliveries: Arc::new(booking_aws::DynamoStore::new(&aws, table, OutboxMarking::MarkPending)),
                feedback: None,
                sent: outbox_page::Source::Moto { endpoint: endpoint.to_owned(), topic_arn },
            })
        }
    }
}

/// Builds every function through the same wiring its Lambda binary uses, with the local stack's settings.
async fn functions(config: &StackConfig, storage: &Storage, stripe: StripeSettings) -> Result<Functions, StackError> {
    let namespace = emf::Namespace::new(booking_metrics::namespace(LOCAL_ENVIRONMENT)).map_err(|e| setup("metrics")(e.to_string()))?;
    let common = CommonSettings {
        catalog: config.catalog.clone(),
        aws_endpoint: config.aws_endpoint.clone(),
        store: storage.store.clone(),
        metrics: MetricsSettings::File {
            namespace,
            function_prefix: format!("harbour-{LOCAL_ENVIRONMENT}-"),
            path: config.data_dir.join(METRICS_FILE),
        },
    };
    let clock: Arc<dyn Clock> = config.clock.clone();
    let wired = |what: &'static str| move |e: wiring::WiringError| setup(what)(e.to_string());
    Ok(Functions {
        payment: Arc::new(
            wiring::payment(PaymentSettings { common: common.clone(), stripe: stripe.clone() }, clock.clone())
                .await
                .map_err(wired("payment"))?,
        ),
        record: Arc::new(
            wiring::record(RecordSettings { common: common.clone(), stripe: stripe.clone() }, clock.clone())
                .await
                .map_err(wired("record"))?,
        ),
        query: Arc::new(wiring::query(QuerySettings { common: common.clone() }, clock.clone()).await.map_err(wired("query"))?),
        notify: Arc::new(
            wiring::notify(NotifySettings { common: common.clone(), notifier: storage.notifier.clone() }, clock.clone())
                .await
                .map_err(wired("notify"))?,
        ),
        sweeper: Arc::new(wiring::sweeper(SweeperSettings { common, stripe }, clock).await.map_err(wired("sweeper"))?),
    })
}

pub async fn start(config: StackConfig) -> Result<RunningStack, StackError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| setup("data dir")(e.to_string()))?;
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await.map_err(|source| StackError::Bind { port: config.port, source })?;
    let addr = listener.local_addr().map_err(|source| StackError::Bind { port: config.port, source })?;
    let base = format!("http://{addr}");
    let secrets = LocalSecrets::load_or_create(&config.data_dir).map_err(|e| setup("local secrets")(e.to_string()))?;
    let hotel = config.catalog.load().map_err(|e| setup("catalog")(e.to_string()))?;

    let clock: Arc<dyn Clock> = config.clock.clone();
    let unix_now = {
        let clock = config.clock.clone();
        move || clock.unix_now()
    };
    let storage = storage(&config).await?;

    let (local_stripe, stripe_config, webhook_secret, publishable_key, payment_mode) = match &config.real_stripe {
        Some(real) => (
            None,
            StripeConfig { secret_key: real.secret_key.clone(), base_url: None },
            real.webhook_secret.clone(),
            real.publishable_key.clone(),
            "stripe",
        ),
        None => {
            let local = LocalStripe::open(LocalStripeConfig {
                secret_key: secrets.stripe_secret_key.clone(),
                publishable_key: secrets.stripe_publishable_key.clone(),
                webhook_secret: secrets.stripe_webhook_secret.clone(),
                webhooks: local_stripe::WebhookTarget::Post(format!("{base}/api/webhooks/stripe")),
                data_dir: config.data_dir.join("stripe"),
                clock: local_stripe::UnixClock::new(unix_now.clone()),
            })
            .await
            .map_err(|e| setup("local stripe")(e.to_string()))?;
            (
                Some(local),
                StripeConfig { secret_key: secrets.stripe_secret_key.clone(), base_url: Some(format!("{base}/stripe/")) },
                secrets.stripe_webhook_secret.clone(),
                secrets.stripe_publishable_key.clone(),
                "local",
            )
        }
    };
    let payments = StripeGateway::new(&stripe_config).map_err(|e| setup("stripe adapter")(e.to_string()))?;
    let stripe = StripeSettings {
        keys: StripeKeys::Direct {
            secret_key: Secret::new(stripe_config.secret_key.clone()),
            webhook_secret: Some(Secret::new(webhook_secret)),
        },
        base_url: stripe_config.base_url.clone(),
    };
    let functions = Arc::new(functions(&config, &storage, stripe).await?);

    let issuer = format!("{base}/idp");
    let idp = Idp::open(IdpConfig {
        issuer: issuer.clone(),
        client_id: CLIENT_ID.into(),
        redirect_uris: vec![format!("{base}/"), format!("{base}/callback.html")],
        data_dir: config.data_dir.join("idp"),
        demo_user: Some(config.demo_user.clone()),
        clock: local_idp::UnixClock::new(unix_now),
    })
    .await
    .map_err(|e| setup("identity provider")(e.to_string()))?;
    let verifier = JwksVerifier::new(
        VerifierConfig { issuer: issuer.clone(), client_id: CLIENT_ID.into(), token_use: TokenUse::Id, leeway_secs: 0 },
        idp.jwks(),
    )
    .with_clock(clock.clone());

    let gw = Arc::new(gateway::Gateway { functions: functions.clone(), verifier: Arc::new(verifier), clock: config.clock.clone() });

    let site_config = json!({
        "hotel": hotel.name(),
        "apiBase": "/api",
        "identity": {
            "issuer": issuer,
            "clientId": CLIENT_ID,
            "authorizeUrl": format!("{issuer}/oauth2/authorize"),
            "tokenUrl": format!("{issuer}/oauth2/token"),
            "logoutUrl": format!("{issuer}/logout"),
            "redirectUri": format!("{base}/callback.html"),
        },
        "payments": { "mode": payment_mode, "publishableKey": publishable_key, "apiBase": format!("{base}/stripe/") },
    });
    let site_state = Arc::new(site::Site { root: config.site_dir.clone(), config: site_config });
    let outbox_state = Arc::new(outbox_page::OutboxPage { source: storage.sent, deliveries: storage.deliveries });
    let metrics_state = Arc::new(metrics_page::MetricsPage {
        path: config.data_dir.join(METRICS_FILE),
        environment: LOCAL_ENVIRONMENT,
        clock: config.clock.clone(),
    });

    let mut app = Router::new()
        // `/api/` apart: axum's `{*rest}` needs at least one character, and the site's fallback would answer it.
        .merge(
            Router::new()
                .route("/api", any(gateway::handle))
                .route("/api/", any(gateway::handle))
                .route("/api/{*rest}", any(gateway::handle))
                .with_state(gw),
        )
        .merge(
            Router::new()
                .route("/dev/outbox", get(outbox_page::html))
                .route("/dev/outbox.json", get(outbox_page::json))
                .route("/dev/outbox/bounce-next", post(outbox_page::bounce_next))
                .route("/dev/outbox.css", get(outbox_page::css))
                .with_state(outbox_state),
        )
        .merge(
            Router::new()
                .route("/dev/metrics", get(metrics_page::html))
                .route("/dev/metrics.css", get(metrics_page::css))
                .route("/dev/metrics.js", get(metrics_page::script))
                .with_state(metrics_state),
        )
        .merge(Router::new().route("/dev/clock", get(dev_clock::show).post(dev_clock::change)).with_state(config.clock.clone()))
        .nest("/idp", idp.router());
    if let Some(local) = &local_stripe {
        app = app.nest("/stripe", local.router());
    }
    let app = app.fallback(get(site::serve).with_state(site_state));

    let (stop, stop_rx) = watch::channel(false);
    let mut server_stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = server_stop.changed().await;
            })
            .await
    });
    let outbox = storage.outbox;
    let feedback = storage.feedback.map(|path| Arc::new(background::Feedback::new(path)));
    let mut tasks = vec![
        background::spawn_dispatcher(functions.clone(), outbox.clone(), feedback.clone(), config.dispatch_every, stop_rx.clone()),
        background::spawn_sweeper(functions.clone(), config.sweep_every, stop_rx.clone()),
    ];
    let forwarder = config
        .cloudwatch_endpoint
        .as_ref()
        .or(config.aws_endpoint.as_ref())
        .filter(|_| config.forward_metrics)
        .map(|endpoint| Arc::new(metrics_forward::Forwarder::new(endpoint, config.data_dir.join(METRICS_FILE))));
    if let Some(forwarder) = &forwarder {
        tasks.push(metrics_forward::spawn(forwarder.clone(), config.dispatch_every, stop_rx));
    }
    tracing::info!(%base, payments = payment_mode, aws_endpoint = config.aws_endpoint.as_deref().unwrap_or("none"), "local stack started");
    Ok(RunningStack {
        addr,
        base_url: base,
        data_dir: config.data_dir,
        clock: config.clock,
        payments: Arc::new(payments),
        local_stripe_publishable_key: local_stripe.as_ref().map(|_| publishable_key),
        functions,
        outbox,
        feedback,
        forwarder,
        local_stripe,
        stop,
        tasks,
        server,
    })
}
