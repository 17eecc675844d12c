//! The wrapper around a handler: a `tower` layer, so it wraps whatever `lambda_runtime::run` or
//! `lambda_http::run` is given (`service_fn(handler)`), and no handler can forget to flush.
//!
//! ```no_run
//! use std::sync::Arc;
//! use emf::{Builtins, Config, Emitter, MetricDef, MetricsLayer, Resolution, Scope, Unit};
//! use lambda_http::{Body, Error, Request, Response, service_fn};
//! use tower::Layer;
//!
//! const BUILTINS: Builtins = Builtins {
//!     cold_start: MetricDef::new("ColdStart", Unit::Count, Resolution::Standard, Scope::Function),
//!     latency: MetricDef::new("HandlerLatency", Unit::Milliseconds, Resolution::Standard, Scope::Function),
//! };
//! const CONFIRMED: MetricDef = MetricDef::new("BookingConfirmed", Unit::Count, Resolution::Standard, Scope::FunctionAndService);
//!
//! async fn handler(_request: Request) -> Result<Response<Body>, Error> {
//!     emf::metrics().add(CONFIRMED, 1.0);
//!     Ok(Response::new(Body::Empty))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Error> {
//!     let emitter = Arc::new(Emitter::new(Config::from_env()?, BUILTINS, emf::Stdout));
//!     lambda_http::run(MetricsLayer::new(emitter).layer(service_fn(handler))).await
//! }
//! ```
//!
//! Inside the handler, [`metrics()`] is the current invocation's handle (a tokio task-local, set for every poll
//! of the handler's future and for the synchronous `call`).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::task::futures::TaskLocalFuture;
use tower::{Layer, Service};

use crate::emitter::{Emitter, Invocation, Metrics};

tokio::task_local! {
    pub(crate) static CURRENT: Metrics;
}

static WARNED_DETACHED: AtomicBool = AtomicBool::new(false);

/// The current invocation's metrics handle; outside an invocation, a detached handle that records nothing (the
/// first such call in a process logs a warning, since it means a handler runs unwrapped).
pub fn metrics() -> Metrics {
    CURRENT.try_with(Metrics::clone).unwrap_or_else(|_| {
        if !WARNED_DETACHED.swap(true, Ordering::Relaxed) {
            tracing::warn!("metrics recorded outside an invocation are discarded: wrap the handler with emf::MetricsLayer");
        }
        Metrics::detached()
    })
}

/// The Lambda request id of an event, when it carries one.
pub trait RequestId {
    fn request_id(&self) -> Option<&str>;
}

/// `lambda_runtime` events carry their context.
#[cfg(feature = "lambda")]
impl<T> RequestId for lambda_runtime::LambdaEvent<T> {
    fn request_id(&self) -> Option<&str> {
        Some(&self.context.request_id)
    }
}

/// `lambda_http` puts the Lambda context into the request's extensions.
#[cfg(feature = "lambda")]
impl<B> RequestId for http::Request<B> {
    fn request_id(&self) -> Option<&str> {
        self.extensions().get::<lambda_runtime::Context>().map(|context| context.request_id.as_str())
    }
}

/// Wraps a service so that each call is one [`Invocation`].
#[derive(Debug, Clone)]
pub struct MetricsLayer {
    emitter: Arc<Emitter>,
}

impl MetricsLayer {
    pub fn new(emitter: Arc<Emitter>) -> Self {
        MetricsLayer { emitter }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = WithMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithMetrics { inner, emitter: Arc::clone(&self.emitter) }
    }
}

#[derive(Debug, Clone)]
pub struct WithMetrics<S> {
    inner: S,
    emitter: Arc<Emitter>,
}

impl<S, R> Service<R> for WithMetrics<S>
where
    S: Service<R>,
    R: RequestId,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let invocation = self.emitter.start(request.request_id());
        let metrics = invocation.metrics();
        let inner = CURRENT.sync_scope(metrics.clone(), || self.inner.call(request));
        Instrumented { future: Box::pin(CURRENT.scope(metrics, inner)), invocation: Some(invocation) }
    }
}

/// The handler's future, run with its invocation's metrics in scope; flushes when it completes (or, through the
/// invocation's `Drop`, when it is dropped unfinished).
pub struct Instrumented<F> {
    future: Pin<Box<TaskLocalFuture<Metrics, F>>>,
    invocation: Option<Invocation>,
}

impl<F> std::fmt::Debug for Instrumented<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instrumented").field("invocation", &self.invocation).finish_non_exhaustive()
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let output = std::task::ready!(self.future.as_mut().poll(cx));
        if let Some(invocation) = self.invocation.take() {
            invocation.finish();
        }
        Poll::Ready(output)
    }
}
