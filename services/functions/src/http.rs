//! The HTTP edge shared by the API functions: JSON bodies in, JSON responses and errors out. Every status code
//! the API returns is decided in [`ApiError::from`] and [`ApiError`]'s constructors, nowhere else.

use booking_app::{AppError, ErrorCode, fields};
use booking_domain::{BookingRef, DomainError, GuestId};
use http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::{Serialize, de::DeserializeOwned};

use crate::functions::{FunctionName, Operation};

/// The challenge on every 401 (RFC 6750), here, in the local gateway and in `api.yaml`'s `UNAUTHORIZED` response.
pub const WWW_AUTHENTICATE: &str = "Bearer realm=\"harbour-view\"";

/// Bodies larger than this are refused before parsing: no request of ours needs more.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// An error on its way to the client: `{"error": {"code", "message", "request_id"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds until trying again can succeed: the `Retry-After` header of a 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, "Sign in to continue.")
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such resource.")
    }
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed, "This method is not allowed here.")
    }
    fn unavailable(code: ErrorCode) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, "The service is temporarily unavailable. Please try again in a moment.")
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        use StatusCode as S;
        match &e {
            AppError::Rule(DomainError::TransitionRefused { .. }) => ApiError::new(S::CONFLICT, ErrorCode::InvalidState, e.to_string()),
            AppError::Rule(DomainError::CancellationClosed { .. }) => {
                ApiError::new(S::CONFLICT, ErrorCode::CancellationClosed, e.to_string())
            }
            AppError::Rule(DomainError::InvalidCatalog(_) | DomainError::AmountOverflow | DomainError::CurrencyMismatch { .. }) => {
                tracing::error!(error = %e, "internal rule failure");
                ApiError::new(S::INTERNAL_SERVER_ERROR, ErrorCode::InternalError, "Something went wrong on our side.")
            }
            AppError::Rule(rule) => ApiError::new(S::UNPROCESSABLE_ENTITY, ErrorCode::from(rule), e.to_string()),
            AppError::BadRequest { code, message } => ApiError::bad_request(*code, message.clone()),
            AppError::SoldOut { .. } => ApiError::new(S::CONFLICT, ErrorCode::SoldOut, e.to_string()),
            AppError::NotFound => ApiError::new(S::NOT_FOUND, ErrorCode::BookingNotFound, e.to_string()),
            AppError::InProgress => ApiError::new(S::CONFLICT, ErrorCode::RequestInProgress, e.to_string()),
            AppError::IdempotencyKeyReused => ApiError::new(S::UNPROCESSABLE_ENTITY, ErrorCode::IdempotencyKeyReused, e.to_string()),
            AppError::Conflict => ApiError::new(S::CONFLICT, ErrorCode::Conflict, e.to_string()),
            AppError::NotConfirmed { .. } => ApiError::new(S::CONFLICT, ErrorCode::BookingNotConfirmed, e.to_string()),
            AppError::ResendLimitReached { retry_after } => ApiError {
                retry_after: Some(u64::try_from(retry_after.num_seconds()).unwrap_or(1).max(1)),
                ..ApiError::new(S::TOO_MANY_REQUESTS, ErrorCode::ResendLimitReached, e.to_string())
            },
            AppError::PaymentDeclined(_) => ApiError::new(S::PAYMENT_REQUIRED, ErrorCode::CardDeclined, e.to_string()),
            AppError::Payment(source) => {
                tracing::error!(error = %source, "payment provider failure");
                ApiError::new(
                    S::BAD_GATEWAY,
                    ErrorCode::PaymentUnavailable,
                    "The payment service is not answering. Please try again in a moment.",
                )
            }
            AppError::Store(source) => {
                tracing::error!(error = %source, "store failure");
                ApiError::unavailable(ErrorCode::ServiceUnavailable)
            }
            AppError::Notify(source) => {
                tracing::error!(error = %source, "notifier failure");
                ApiError::unavailable(ErrorCode::NotificationUnavailable)
            }
        }
    }
}

/// The API Gateway request id, for logs and for the guest to quote to support.
pub fn request_id(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
}

/// The API Gateway resource (`/api/bookings/{ref}`) the request was routed to, or its path when run without one.
pub fn resource(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) if ctx.resource_path.is_some() => ctx.resource_path.clone().unwrap_or_default(),
        _ => req.raw_http_path().to_owned(),
    }
}

/// Which of `function`'s operations API Gateway routed this request to.
pub fn operation_of(function: FunctionName, req: &Request) -> Option<Operation> {
    crate::functions::operation(function, req.method().as_str(), &resource(req))
}

/// The `{ref}` path parameter as a booking reference; a malformed one is as unknown as a missing one.
pub fn reference(req: &Request) -> Result<BookingRef, ApiError> {
    let raw = req.path_parameters().first("ref").map(str::to_owned).unwrap_or_default();
    BookingRef::parse(&raw).map_err(|e| ApiError::new(StatusCode::NOT_FOUND, ErrorCode::BookingNotFound, e.to_string()))
}

/// The signed-in guest, from the claims the Cognito authorizer put in the request context. The function trusts
/// them because API Gateway only invokes it after verifying the token; without claims it refuses.
pub fn guest(req: &Request) -> Result<GuestId, ApiError> {
    let Some(RequestContext::ApiGatewayV1(ctx)) = req.request_context_ref() else { return Err(ApiError::unauthorized()) };
    let sub = ctx.authorizer.fields.get("claims").and_then(|c| c.get("sub")).and_then(|s| s.as_str()).ok_or_else(ApiError::unauthorized)?;
    GuestId::new(sub).map_err(|_| ApiError::unauthorized())
}

pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(s) => s.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    }
}

/// Parses a JSON body strictly: JSON content type, size limit, no unknown fields (the types say so).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Send the body as application/json.",
        ));
    }
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("The body must be at most {MAX_BODY_BYTES} bytes."),
        ));
    }
    if bytes.is_empty() {
        return Err(ApiError::bad_request(ErrorCode::EmptyBody, "A JSON body is required."));
    }
    // Syntax first (depth-limited by serde_json), so every broken document gets the same answer whatever its shape.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| malformed(&e))?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(ErrorCode::InvalidParameter, "The body must be a JSON object."));
    }
    let mut document = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut document).map_err(|e| refused_field(&e))?;
    document.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request(ErrorCode::MalformedJson, format!("The body is not valid JSON: {e}."))
}

/// Names the field a well-formed body got wrong, in the API's words (`booking_app::fields`), never serde's: its
/// messages name Rust types (`expected u8`).
fn refused_field(e: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = e.inner();
    if !inner.is_data() {
        return malformed(inner);
    }
    let text = inner.to_string();
    let path = e.path().to_string();
    let at = |name: &str| match path.as_str() {
        "." => name.to_owned(),
        p if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
        p => format!("{p}.{name}"),
    };
    let named = |prefix: &str| text.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).map(at);
    if let Some(field) = named("duplicate field `") {
        return ApiError::bad_request(ErrorCode::MalformedJson, format!("The body gives {field} twice."));
    }
    let refusal = if let Some(field) = named("missing field `") {
        fields::missing(&field)
    } else if let Some(field) = named("unknown field `") {
        fields::unknown(&field)
    } else {
        fields::invalid(&path)
    };
    refusal.into()
}

pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_string(value) {
        Ok(body) => with_headers(status, body),
        Err(e) => {
            tracing::error!(error = %e, "response serialization failed");
            with_headers(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"code":"internal_error","message":"Something went wrong on our side."}}"#.into(),
            )
        }
    }
}

pub fn error_response(req: &Request, error: &ApiError) -> Response<Body> {
    if error.status.is_server_error() {
        tracing::error!(status = error.status.as_u16(), code = %error.code, "request failed");
    } else {
        tracing::info!(status = error.status.as_u16(), code = %error.code, "request refused");
    }
    let body = serde_json::json!({"error": {"code": error.code, "message": error.message, "request_id": request_id(req)}});
    let mut response = json_response(error.status, &body);
    if error.status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(WWW_AUTHENTICATE));
    }
    if let Some(seconds) = error.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn with_headers(status: StatusCode, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Turns a handler result into a response, mapping errors in the one place above.
pub fn respond<T: Serialize>(req: &Request, status: StatusCode, result: Result<T, ApiError>) -> Response<Body> {
    match result {
        Ok(value) => json_response(status, &value),
        Err(e) => error_response(req, &e),
    }
}
