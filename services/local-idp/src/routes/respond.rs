//! Every HTTP status and security header the provider sends is decided here.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::IdpError;
use crate::idp::Inner;

/// An HTML page with the hosted UI's security headers: the CSP allows only same-origin resources and form posts
/// to this provider or a registered redirect origin (the login form's 302 lands there).
pub(crate) fn page(idp: &Inner, status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, idp.csp.clone());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) fn message(idp: &Inner, status: StatusCode, title: &str, text: &str) -> Response {
    page(idp, status, crate::html::message_page(&idp.base_path, title, text))
}

/// A 302, as Cognito's hosted UI sends; never cached since the URL may carry a code.
pub(crate) fn found(location: &str) -> Response {
    match HeaderValue::try_from(location) {
        Ok(value) => {
            (StatusCode::FOUND, [(header::LOCATION, value), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))]).into_response()
        }
        Err(_) => internal(IdpError::Config("redirect location is not a valid header value".into())),
    }
}

/// A generic 500; the detail goes to the log only.
pub(crate) fn internal(error: IdpError) -> Response {
    tracing::error!(error = %error, source = ?std::error::Error::source(&error), "local-idp request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// The token endpoint's errors (RFC 6749 §5.2), with the codes Cognito uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OAuthError {
    InvalidRequest(&'static str),
    InvalidClient,
    InvalidGrant(&'static str),
    UnsupportedGrantType,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (error, description) = match self {
            OAuthError::InvalidRequest(d) => ("invalid_request", d),
            OAuthError::InvalidClient => ("invalid_client", "unknown client"),
            OAuthError::InvalidGrant(d) => ("invalid_grant", d),
            OAuthError::UnsupportedGrantType => ("unsupported_grant_type", "grant_type must be authorization_code or refresh_token"),
        };
        no_store(StatusCode::BAD_REQUEST, Json(json!({ "error": error, "error_description": description })))
    }
}

/// Token responses must not be cached (RFC 6749 §5.1).
pub(crate) fn no_store(status: StatusCode, body: impl IntoResponse) -> Response {
    (status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store")), (header::PRAGMA, HeaderValue::from_static("no-cache"))], body)
        .into_response()
}

/// RFC 6750 §3: why a bearer token was refused, also named in `WWW-Authenticate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    InvalidToken,
    InsufficientScope,
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            BearerError::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
            BearerError::InsufficientScope => (StatusCode::FORBIDDEN, "insufficient_scope"),
        };
        let challenge = HeaderValue::try_from(format!("Bearer error=\"{error}\""));
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if let Ok(challenge) = challenge {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
