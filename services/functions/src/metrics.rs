//! Every function is served through `emf::MetricsLayer`, by its Lambda binary and by the local stack alike, so
//! each invocation flushes its EMF documents exactly once (handler latency, `ColdStart` on the first, and what
//! the use cases counted). The emitter is built by the wiring from the function's `MetricsSettings`.

use std::sync::Arc;

use emf::{Config, DimensionValue, Emitter, JsonLinesFile, MetricsLayer, Stdout, Target, WithMetrics};
use lambda_http::{Body, Request, Response};
use lambda_runtime::LambdaEvent;
use tower::util::ServiceFn;
use tower::{Layer, Service, service_fn};

use crate::config::MetricsSettings;
use crate::functions::FunctionSpec;
use crate::wiring::WiringError;

/// The emitter of one function: documents on standard output in Lambda, or appended to the local stack's file.
pub fn emitter(settings: &MetricsSettings, spec: &FunctionSpec) -> Result<Arc<Emitter>, WiringError> {
    let emitter = match settings {
        MetricsSettings::Stdout(config) => Emitter::new(config.clone(), booking_metrics::BUILTINS, Stdout),
        MetricsSettings::File { namespace, function_prefix, path } => {
            let invalid = |e: emf::Error| WiringError::Open { what: "the metrics target", reason: e.to_string() };
            let target = Target::new(
                namespace.clone(),
                DimensionValue::new(booking_metrics::SERVICE).map_err(invalid)?,
                DimensionValue::new(format!("{function_prefix}{}", spec.name.as_str())).map_err(invalid)?,
            );
            let sink = JsonLinesFile::open(path).map_err(|e| WiringError::Open { what: "the metrics file", reason: e.to_string() })?;
            Emitter::new(Config::Enabled(target), booking_metrics::BUILTINS, sink)
        }
    };
    Ok(Arc::new(emitter))
}

/// `handler` as a service whose every call is one metrics invocation (what `lambda_runtime::run` and
/// `lambda_http::run` take, and what the local stack calls).
pub fn serve<H>(emitter: &Arc<Emitter>, handler: H) -> WithMetrics<ServiceFn<H>> {
    MetricsLayer::new(Arc::clone(emitter)).layer(service_fn(handler))
}

/// What an API function (payment, record, query) is to both hosts: `lambda_http::run` takes it, the local
/// gateway calls it.
pub trait HttpService:
    Service<Request, Response = Response<Body>, Error = lambda_http::Error, Future: Send + 'static> + Clone + Send + 'static
{
}

impl<S> HttpService for S where
    S: Service<Request, Response = Response<Body>, Error = lambda_http::Error, Future: Send + 'static> + Clone + Send + 'static
{
}

/// An API function as an [`HttpService`]: each request one metrics invocation, answered by `handle`.
pub fn api_service<F, Fut>(emitter: Arc<Emitter>, function: Arc<F>, handle: fn(Arc<F>, Request) -> Fut) -> impl HttpService
where
    F: Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    serve(&emitter, move |request: Request| {
        let answer = handle(Arc::clone(&function), request);
        async move { Ok(answer.await) }
    })
}

/// What an event function (notify, sweeper) is to both hosts: `lambda_runtime::run` takes it, the local stack's
/// loops call it.
pub trait EventService<E, R>:
    Service<LambdaEvent<E>, Response = R, Error = lambda_runtime::Error, Future: Send + 'static> + Clone + Send + 'static
{
}

impl<S, E, R> EventService<E, R> for S where
    S: Service<LambdaEvent<E>, Response = R, Error = lambda_runtime::Error, Future: Send + 'static> + Clone + Send + 'static
{
}

/// An event function as an [`EventService`]: each event one metrics invocation, answered by `handle`.
pub fn event_service<F, E, R, Fut, Err>(emitter: Arc<Emitter>, function: Arc<F>, handle: fn(Arc<F>, E) -> Fut) -> impl EventService<E, R>
where
    F: Send + Sync + 'static,
    E: Send + 'static,
    Fut: Future<Output = Result<R, Err>> + Send + 'static,
    Err: Into<lambda_runtime::Error>,
{
    serve(&emitter, move |event: LambdaEvent<E>| {
        let answer = handle(Arc::clone(&function), event.payload);
        async move { answer.await.map_err(Into::into) }
    })
}
