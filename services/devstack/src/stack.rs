use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get};
use booking_app::Services;
use booking_domain::Hotel;
use booking_embedded::{EmbeddedStore, FileOutbox};
use booking_functions::record::WebhookSecret;
use booking_identity::{JwksVerifier, TokenUse, VerifierConfig};
use booking_ports::{BookingStore, Clock, Notifier, OutboxFeed};
use booking_stripe::{StripeConfig, StripeGateway};
use local_idp::{DemoUser, Idp, IdpConfig};
use local_stripe::{LocalStripe, LocalStripeConfig};
use serde_json::json;
use tokio::sync::watch;

use crate::dev_clock::DevClock;
use crate::secrets::LocalSecrets;
use crate::{background, dev_clock, gateway, outbox_page, site};

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
    pub hotel: Hotel,
    pub sweep_every: Duration,
    pub dispatch_every: Duration,
    pub real_stripe: Option<RealStripe>,
    pub demo_user: DemoUser,
    /// Run the store and notifier on the AWS adapters against this endpoint (moto) instead of embedded ones.
    pub aws_endpoint: Option<String>,
}

impl StackConfig {
    pub fn new(data_dir: PathBuf, site_dir: PathBuf) -> Result<Self, StackError> {
        Ok(StackConfig {
            port: 8080,
            data_dir,
            site_dir,
            clock: Arc::new(DevClock::default()),
            hotel: Hotel::from_json(booking_domain::DEMO_CATALOG_JSON).map_err(|e| StackError::Setup(format!("catalog: {e}")))?,
            sweep_every: Duration::from_secs(5),
            dispatch_every: Duration::from_millis(200),
            real_stripe: None,
            demo_user: DemoUser { email: "guest@example.com".into(), password: "demo-password".into(), name: "Demo Guest".into() },
            aws_endpoint: None,
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
    pub services: Services,
    pub local_stripe_publishable_key: Option<String>,
    outbox: Arc<dyn OutboxFeed>,
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
        ];
        if self.local_stripe.is_some() {
            urls.push(("local stripe", format!("{b}/stripe/v1/")));
        }
        urls
    }

    /// Delivers pending outbox events now instead of waiting for the next tick (tests).
    pub async fn dispatch_now(&self) -> usize {
        background::dispatch_once(&self.services, self.outbox.as_ref()).await
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

/// The adapters that differ between embedded and local-AWS mode.
struct Ports {
    store: Arc<dyn BookingStore>,
    outbox: Arc<dyn OutboxFeed>,
    notifier: Arc<dyn Notifier>,
    sent: outbox_page::Source,
}

fn local_ports(config: &StackConfig, outbox_path: &std::path::Path) -> Result<Ports, StackError> {
    let store = Arc::new(EmbeddedStore::open(&config.data_dir.join("store.redb")).map_err(|e| setup("store")(e.to_string()))?);
    let clock: Arc<dyn Clock> = config.clock.clone();
    let notifier = FileOutbox::open(outbox_path, clock).map_err(|e| setup("outbox")(e.to_string()))?;
    Ok(Ports { store: store.clone(), outbox: store, notifier: Arc::new(notifier), sent: outbox_page::Source::File(outbox_path.to_owned()) })
}

/// DynamoDB and SNS on an AWS-compatible endpoint (moto): table `local-bookings` and topic `local-notifications`,
/// created if missing, so the AWS adapters run the whole product.
async fn aws_ports(endpoint: &str) -> Result<Ports, StackError> {
    let aws = booking_aws::local_sdk_config(endpoint);
    let store = Arc::new(booking_aws::DynamoStore::new(&aws, "local-bookings"));
    store.create_table().await.map_err(|e| setup("DynamoDB table")(e.to_string()))?;
    let notifier =
        booking_aws::SnsNotifier::create_topic(&aws, "local-notifications").await.map_err(|e| setup("SNS topic")(e.to_string()))?;
    let sent = outbox_page::Source::Moto { endpoint: endpoint.to_owned(), topic_arn: notifier.topic_arn().to_owned() };
    Ok(Ports { store: store.clone(), outbox: store, notifier: Arc::new(notifier), sent })
}

pub async fn start(config: StackConfig) -> Result<RunningStack, StackError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| setup("data dir")(e.to_string()))?;
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await.map_err(|source| StackError::Bind { port: config.port, source })?;
    let addr = listener.local_addr().map_err(|source| StackError::Bind { port: config.port, source })?;
    let base = format!("http://{addr}");
    let secrets = LocalSecrets::load_or_create(&config.data_dir).map_err(|e| setup("local secrets")(e.to_string()))?;

    let clock: Arc<dyn Clock> = config.clock.clone();
    let unix_now = {
        let clock = config.clock.clone();
        move || clock.unix_now()
    };
    let outbox_path = config.data_dir.join("outbox.jsonl");
    let ports = match &config.aws_endpoint {
        None => local_ports(&config, &outbox_path)?,
        Some(endpoint) => aws_ports(endpoint).await?,
    };

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

    let services = Services {
        hotel: Arc::new(config.hotel.clone()),
        store: ports.store,
        payments: Arc::new(payments),
        notifier: ports.notifier,
        clock,
    };
    let gw = Arc::new(gateway::Gateway {
        services: services.clone(),
        verifier: Arc::new(verifier),
        webhook_secret: WebhookSecret::new(webhook_secret),
    });

    let site_config = json!({
        "hotel": config.hotel.name(),
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
    let outbox_state = Arc::new(outbox_page::OutboxPage { source: ports.sent });

    let mut app = Router::new()
        .merge(Router::new().route("/api", any(gateway::handle)).route("/api/{*rest}", any(gateway::handle)).with_state(gw))
        .merge(
            Router::new()
                .route("/dev/outbox", get(outbox_page::html))
                .route("/dev/outbox.json", get(outbox_page::json))
                .route("/dev/outbox.css", get(outbox_page::css))
                .with_state(outbox_state),
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
    let outbox = ports.outbox;
    let tasks = vec![
        background::spawn_dispatcher(services.clone(), outbox.clone(), config.dispatch_every, stop_rx.clone()),
        background::spawn_sweeper(services.clone(), config.sweep_every, stop_rx),
    ];
    tracing::info!(%base, payments = payment_mode, aws_endpoint = config.aws_endpoint.as_deref().unwrap_or("none"), "local stack started");
    Ok(RunningStack {
        addr,
        base_url: base,
        data_dir: config.data_dir,
        services,
        local_stripe_publishable_key: local_stripe.as_ref().map(|_| publishable_key),
        outbox,
        local_stripe,
        stop,
        tasks,
        server,
    })
}
