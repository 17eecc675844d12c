//! `POST /oauth2/token`: the authorization-code grant (with PKCE) and the refresh-token grant, for the one public
//! app client. Errors use RFC 6749's codes in a JSON body, as Cognito does.

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::respond::{OAuthError, internal, no_store};
use crate::Idp;
use crate::grants::pkce_s256_matches;
use crate::idp::Inner;
use crate::tokens::{Session, TokenResponse, mint, read};

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

enum Failure {
    OAuth(OAuthError),
    Internal(crate::IdpError),
}

impl From<OAuthError> for Failure {
    fn from(e: OAuthError) -> Self {
        Failure::OAuth(e)
    }
}

impl From<crate::IdpError> for Failure {
    fn from(e: crate::IdpError) -> Self {
        Failure::Internal(e)
    }
}

pub(crate) async fn token(State(idp): State<Idp>, form: Result<Form<TokenForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return OAuthError::InvalidRequest("body must be application/x-www-form-urlencoded").into_response();
    };
    let result = match form.grant_type.as_deref() {
        Some("authorization_code") => authorization_code(&idp.inner, &form).await,
        Some("refresh_token") => refresh(&idp.inner, &form).await,
        Some(_) => Err(OAuthError::UnsupportedGrantType.into()),
        None => Err(OAuthError::InvalidRequest("grant_type is required").into()),
    };
    match result {
        Ok(tokens) => no_store(StatusCode::OK, Json(tokens)),
        Err(Failure::OAuth(e)) => e.into_response(),
        Err(Failure::Internal(e)) => internal(e),
    }
}

fn client(inner: &Inner, form: &TokenForm) -> Result<(), OAuthError> {
    match form.client_id.as_deref() {
        Some(id) if id == inner.config.client_id => Ok(()),
        Some(_) => Err(OAuthError::InvalidClient),
        None => Err(OAuthError::InvalidRequest("client_id is required")),
    }
}

async fn authorization_code(inner: &Inner, form: &TokenForm) -> Result<TokenResponse, Failure> {
    client(inner, form)?;
    let (Some(code), Some(redirect_uri), Some(verifier)) =
        (form.code.as_deref(), form.redirect_uri.as_deref(), form.code_verifier.as_deref())
    else {
        return Err(OAuthError::InvalidRequest("code, redirect_uri and code_verifier are required").into());
    };
    let now = inner.config.clock.now();
    // Taken before any check, so a failed redemption also spends the code (no guessing the verifier).
    let grant = inner.codes.take(code, now).ok_or(OAuthError::InvalidGrant("code is invalid, used or expired"))?;
    if grant.client_id != inner.config.client_id || grant.redirect_uri != redirect_uri {
        return Err(OAuthError::InvalidGrant("code was issued for another client or redirect_uri").into());
    }
    if !pkce_s256_matches(verifier, &grant.code_challenge) {
        return Err(OAuthError::InvalidGrant("code_verifier does not match the code_challenge").into());
    }
    let user = inner.users.by_sub(&grant.sub).await.ok_or(OAuthError::InvalidGrant("user no longer exists"))?;
    let session = Session {
        user: &user,
        issuer: &inner.config.issuer,
        client_id: &inner.config.client_id,
        scope: &grant.scope,
        auth_time: grant.auth_time,
        nonce: grant.nonce.as_deref(),
    };
    Ok(mint(&inner.key, &session, now, true)?)
}

async fn refresh(inner: &Inner, form: &TokenForm) -> Result<TokenResponse, Failure> {
    client(inner, form)?;
    let token = form.refresh_token.as_deref().ok_or(OAuthError::InvalidRequest("refresh_token is required"))?;
    let claims = read(&inner.key, token, &inner.config.issuer, &inner.config.client_id, "refresh")
        .ok_or(OAuthError::InvalidGrant("refresh token is invalid or expired"))?;
    let user = inner.users.by_sub(&claims.sub).await.ok_or(OAuthError::InvalidGrant("user no longer exists"))?;
    let session = Session {
        user: &user,
        issuer: &inner.config.issuer,
        client_id: &inner.config.client_id,
        scope: &claims.scope,
        auth_time: claims.auth_time,
        nonce: None,
    };
    Ok(mint(&inner.key, &session, inner.config.clock.now(), false)?)
}
