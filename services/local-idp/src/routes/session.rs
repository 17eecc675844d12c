//! `userInfo` (the signed-in user's attributes, for an access token) and `logout` (back to the app).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::respond::{BearerError, found, message};
use crate::Idp;
use crate::tokens::read;

pub(crate) async fn user_info(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    let inner = &idp.inner;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(claims) = token.and_then(|t| read(&inner.key, t, &inner.config.issuer, &inner.config.client_id, "access")) else {
        return BearerError::InvalidToken.into_response();
    };
    // Cognito answers userInfo only for access tokens that carry the openid scope.
    if !claims.scope.split(' ').any(|s| s == "openid") {
        return BearerError::InsufficientScope.into_response();
    }
    let Some(user) = inner.users.by_sub(&claims.sub).await else {
        return BearerError::InvalidToken.into_response();
    };
    // Cognito's userInfo sends `email_verified` as the string "true", unlike the boolean in the id token.
    Json(json!({
        "sub": user.sub,
        "email": user.email,
        "email_verified": "true",
        "name": user.name,
        "username": user.sub,
    }))
    .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LogoutParams {
    client_id: Option<String>,
    logout_uri: Option<String>,
}

/// Sessions are not kept server-side (each sign-in asks for the password), so logging out is only the redirect
/// back; it goes only to the origin of a registered redirect URI, so it cannot be used as an open redirector.
pub(crate) async fn logout(State(idp): State<Idp>, query: Result<Query<LogoutParams>, QueryRejection>) -> Response {
    let inner = &idp.inner;
    let params = query.map(|Query(p)| p).unwrap_or_default();
    if params.client_id.as_deref() != Some(inner.config.client_id.as_str()) {
        return message(
            inner,
            StatusCode::BAD_REQUEST,
            "Sign-out link is not valid",
            "The app that sent you here is not registered with this sign-in service.",
        );
    }
    let allowed = params
        .logout_uri
        .as_deref()
        .and_then(|uri| Url::parse(uri).ok())
        .filter(|url| inner.redirect_origins.contains(&url.origin().ascii_serialization()));
    match allowed {
        Some(url) => found(url.as_str()),
        None => message(
            inner,
            StatusCode::BAD_REQUEST,
            "Sign-out link is not valid",
            "The address to return to after signing out is not registered for this app.",
        ),
    }
}
