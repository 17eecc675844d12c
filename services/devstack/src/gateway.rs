//! An emulation of API Gateway (REST API, Lambda proxy integration) in front of the handler functions.
//!
//! Per request, like API Gateway: match the route table, run the Cognito user-pool authorizer where the route
//! wants it (the same checks, through `booking-identity`), build the REST proxy event (with the verified claims in
//! `requestContext.authorizer.claims`, all values strings, as Cognito's authorizer passes them), invoke the function,
//! and turn its response back into HTTP.

use std::sync::Arc;

use axum::body::{Body as AxumBody, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request as AxumRequest, Response as AxumResponse, StatusCode};
use booking_app::ErrorCode;
use booking_functions::http::{ApiError, WWW_AUTHENTICATE};
use booking_functions::notify::Notify;
use booking_functions::payment::Payment;
use booking_functions::query::Query;
use booking_functions::record::Record;
use booking_functions::sweeper::Sweeper;
use booking_functions::{Auth, FunctionName, RouteMatch, RouteMiss, match_route};
use booking_ports::{Clock, TokenVerifier};
use lambda_http::Body;
use serde_json::{Map, Value, json};
use tower::ServiceExt;
use tracing::Instrument;

/// API Gateway's own payload limit is 10 MB; the functions apply their tighter limits.
const MAX_GATEWAY_BODY: usize = 10 * 1024 * 1024;

/// Every function, built by `booking_functions::wiring` as its Lambda binary builds it.
#[derive(Debug)]
pub struct Functions {
    pub payment: Arc<Payment>,
    pub record: Arc<Record>,
    pub query: Arc<Query>,
    pub notify: Arc<Notify>,
    pub sweeper: Arc<Sweeper>,
}

/// The Lambda context the runtime hands a function: here only its request id (the API Gateway request id, so
/// the metrics, the logs and the error body name the same request).
pub fn lambda_context(request_id: &str) -> lambda_runtime::Context {
    let mut context = lambda_runtime::Context::default();
    context.request_id = request_id.to_owned();
    context
}

pub struct Gateway {
    pub functions: Arc<Functions>,
    pub verifier: Arc<dyn TokenVerifier>,
    pub clock: Arc<crate::DevClock>,
}

pub async fn handle(State(gw): State<Arc<Gateway>>, request: AxumRequest<AxumBody>) -> AxumResponse<AxumBody> {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = %request.uri().path());
    async move {
        let response = match route(&gw, request, &request_id).await {
            Ok(response) => response,
            Err(e) => error(&e, &request_id),
        };
        tracing::info!(status = response.status().as_u16(), "request done");
        response
    }
    .instrument(span)
    .await
}

async fn route(gw: &Gateway, request: AxumRequest<AxumBody>, request_id: &str) -> Result<AxumResponse<AxumBody>, ApiError> {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let RouteMatch { function, route, params } = match match_route(&method, &path) {
        Ok(found) => found,
        Err(RouteMiss::MethodNotAllowed(allowed)) => {
            // RFC 9110: a 405 lists the methods the resource has.
            let mut response = error(&ApiError::method_not_allowed(), request_id);
            if let Ok(value) = axum::http::HeaderValue::from_str(&allowed.join(", ")) {
                response.headers_mut().insert(axum::http::header::ALLOW, value);
            }
            return Ok(response);
        }
        Err(RouteMiss::NoSuchPath) => return Err(ApiError::not_found()),
    };
    let claims = match route.auth {
        Auth::Public => None,
        Auth::Cognito => {
            let token = parts.headers.get("authorization").and_then(|v| v.to_str().ok()).ok_or_else(ApiError::unauthorized)?;
            let claims = gw.verifier.verify(token).await.map_err(|e| {
                tracing::info!(error = %e, "authorizer refused the token");
                ApiError::unauthorized()
            })?;
            Some(claims)
        }
    };
    let bytes = to_bytes(body, MAX_GATEWAY_BODY)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, "Request body too large."))?;
    let event = proxy_event(
        &parts.method,
        &path,
        parts.uri.query(),
        &parts.headers,
        &bytes,
        route.resource,
        &params,
        claims.as_ref(),
        request_id,
        gw.clock.now().timestamp_millis(),
    );
    let mut lambda_request = lambda_http::request::from_str(&event.to_string())
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError, format!("proxy event: {e}")))?;
    lambda_request.extensions_mut().insert(lambda_context(request_id));
    let functions = &gw.functions;
    // Through each function's service, as `lambda_http::run` invokes it: one metrics flush per request.
    let response = match function {
        FunctionName::Payment => functions.payment.clone().service().oneshot(lambda_request).await,
        FunctionName::Query => functions.query.clone().service().oneshot(lambda_request).await,
        FunctionName::Record => functions.record.clone().service().oneshot(lambda_request).await,
        // Not behind API Gateway: the stream and the schedule invoke them (see `background`).
        FunctionName::Notify | FunctionName::Sweeper => return Err(ApiError::not_found()),
    };
    let response = response
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::InternalError, format!("function failed: {e}")))?;
    Ok(from_lambda(response))
}

/// The REST API proxy event for this request, shaped exactly like API Gateway's.
#[allow(clippy::too_many_arguments)]
fn proxy_event(
    method: &axum::http::Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
    resource: &str,
    params: &[(&str, String)],
    claims: Option<&booking_ports::Claims>,
    request_id: &str,
    request_time_ms: i64,
) -> Value {
    let mut single = Map::new();
    let mut multi = Map::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        single.insert(name.as_str().to_owned(), Value::String(value.clone()));
        push_multi(&mut multi, name.as_str(), value);
    }
    let mut query_single = Map::new();
    let mut query_multi = Map::new();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        query_single.insert(k.to_string(), Value::String(v.to_string()));
        push_multi(&mut query_multi, &k, v.to_string());
    }
    let path_params: Map<String, Value> = params.iter().map(|(k, v)| ((*k).to_owned(), Value::String(v.clone()))).collect();
    let (body, is_base64) = match std::str::from_utf8(body) {
        Ok("") => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (Value::String(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, body)), true),
    };
    let authorizer = match claims {
        Some(c) => {
            // API Gateway hands Cognito claims to the function as strings.
            let claims: Map<String, Value> = serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, Value::String(v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))))
                .collect();
            json!({ "claims": claims })
        }
        None => Value::Null,
    };
    let source_ip = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": method.as_str(),
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": if query_single.is_empty() { Value::Null } else { Value::Object(query_single) },
        "multiValueQueryStringParameters": if query_multi.is_empty() { Value::Null } else { Value::Object(query_multi) },
        "pathParameters": if path_params.is_empty() { Value::Null } else { Value::Object(path_params) },
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "resourceId": "local",
            "stage": "local",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": request_time_ms,
            "httpMethod": method.as_str(),
            "resourcePath": resource,
            "path": path,
            "protocol": "HTTP/1.1",
            "identity": { "sourceIp": source_ip, "userAgent": headers.get("user-agent").and_then(|v| v.to_str().ok()) },
            "authorizer": authorizer
        },
        "body": body,
        "isBase64Encoded": is_base64
    })
}

/// Appends to a `multiValue*` map, as API Gateway builds them.
fn push_multi(map: &mut Map<String, Value>, key: &str, value: String) {
    if let Value::Array(values) = map.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new())) {
        values.push(Value::String(value));
    }
}

fn from_lambda(response: lambda_http::Response<Body>) -> AxumResponse<AxumBody> {
    let (parts, body) = response.into_parts();
    let bytes: Vec<u8> = match body {
        Body::Text(s) => s.into_bytes(),
        Body::Binary(b) => b,
        _ => Vec::new(),
    };
    let mut out = AxumResponse::new(AxumBody::from(bytes));
    *out.status_mut() = parts.status;
    *out.headers_mut() = parts.headers;
    out
}

fn error(e: &ApiError, request_id: &str) -> AxumResponse<AxumBody> {
    let body = json!({"error": {"code": e.code, "message": e.message, "request_id": request_id}});
    let mut out = AxumResponse::new(AxumBody::from(body.to_string()));
    *out.status_mut() = e.status;
    out.headers_mut().insert("content-type", axum::http::HeaderValue::from_static("application/json"));
    out.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-store"));
    if e.status == StatusCode::UNAUTHORIZED {
        // RFC 6750: a refused bearer token says which scheme to use (API Gateway's UNAUTHORIZED response does too).
        out.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static(WWW_AUTHENTICATE));
    }
    out
}
