//! The HTTP surface, mirroring Cognito's hosted UI and OAuth endpoints, relative to the nest point.

mod pages;
mod respond;
mod session;
mod token;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::json;

use crate::Idp;
use crate::oauth::SUPPORTED_SCOPES;

pub(crate) fn router(idp: Idp) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/oauth2/authorize", get(pages::authorize))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/signup", get(pages::signup_form).post(pages::signup))
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/userInfo", get(session::user_info).post(session::user_info))
        .route("/logout", get(session::logout))
        .route("/assets/login.css", get(stylesheet))
        .with_state(idp)
}

async fn discovery(State(idp): State<Idp>) -> impl IntoResponse {
    let issuer = idp.issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "userinfo_endpoint": format!("{issuer}/oauth2/userInfo"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": SUPPORTED_SCOPES,
        "token_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(idp): State<Idp>) -> impl IntoResponse {
    Json(idp.jwks())
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
        ],
        crate::html::LOGIN_CSS,
    )
}
