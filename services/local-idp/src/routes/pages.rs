//! The hosted UI: `/oauth2/authorize` sends the browser to the login page, whose form (or the sign-up form)
//! ends the flow with a 302 to the client's redirect URI carrying a single-use code.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use super::respond::{found, internal, message, page};
use crate::Idp;
use crate::grants::CodeGrant;
use crate::html;
use crate::idp::Inner;
use crate::oauth::{AuthParams, AuthRequest, AuthRequestError};
use crate::users::{NewUser, User};

/// Shown for a wrong password and an unknown email alike, so the page does not reveal which accounts exist.
const BAD_CREDENTIALS: &str = "Incorrect email or password.";

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    params: AuthParams,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    params: AuthParams,
}

pub(crate) async fn authorize(State(idp): State<Idp>, query: Result<Query<AuthParams>, QueryRejection>) -> Response {
    // Cognito's /oauth2/authorize sends the browser on to its /login page with the same request.
    match checked(&idp.inner, query.map(|Query(p)| p).ok()) {
        Ok(request) => found(&format!("{}/login?{}", idp.issuer(), request.query())),
        Err(error) => refusal(&idp.inner, error),
    }
}

pub(crate) async fn login_form(State(idp): State<Idp>, query: Result<Query<AuthParams>, QueryRejection>) -> Response {
    match checked(&idp.inner, query.map(|Query(p)| p).ok()) {
        Ok(request) => page(&idp.inner, StatusCode::OK, html::login_page(&idp.inner.base_path, &request, "", None)),
        Err(error) => refusal(&idp.inner, error),
    }
}

pub(crate) async fn signup_form(State(idp): State<Idp>, query: Result<Query<AuthParams>, QueryRejection>) -> Response {
    match checked(&idp.inner, query.map(|Query(p)| p).ok()) {
        Ok(request) => page(&idp.inner, StatusCode::OK, html::signup_page(&idp.inner.base_path, &request, "", "", None)),
        Err(error) => refusal(&idp.inner, error),
    }
}

pub(crate) async fn login(State(idp): State<Idp>, headers: HeaderMap, form: Result<Form<LoginForm>, FormRejection>) -> Response {
    let inner = &idp.inner;
    if let Some(refused) = refuse_cross_site(inner, &headers) {
        return refused;
    }
    let Ok(Form(form)) = form else { return bad_form(inner) };
    let request = match checked(inner, Some(form.params)) {
        Ok(request) => request,
        Err(error) => return refusal(inner, error),
    };
    match inner.users.authenticate(&form.email, &form.password).await {
        Ok(Some(user)) => complete(inner, &request, &user),
        Ok(None) => {
            tracing::info!("sign-in refused: bad credentials");
            let body = html::login_page(&inner.base_path, &request, form.email.trim(), Some(BAD_CREDENTIALS));
            page(inner, StatusCode::BAD_REQUEST, body)
        }
        Err(e) => internal(e),
    }
}

pub(crate) async fn signup(State(idp): State<Idp>, headers: HeaderMap, form: Result<Form<SignupForm>, FormRejection>) -> Response {
    let inner = &idp.inner;
    if let Some(refused) = refuse_cross_site(inner, &headers) {
        return refused;
    }
    let Ok(Form(form)) = form else { return bad_form(inner) };
    let request = match checked(inner, Some(form.params)) {
        Ok(request) => request,
        Err(error) => return refusal(inner, error),
    };
    let refused = |problem: crate::users::SignUpProblem| {
        let body = html::signup_page(&inner.base_path, &request, form.email.trim(), form.name.trim(), Some(problem.message()));
        page(inner, StatusCode::BAD_REQUEST, body)
    };
    let new = match NewUser::parse(&form.email, &form.name, &form.password) {
        Ok(new) => new,
        Err(problem) => return refused(problem),
    };
    match inner.users.create(new, inner.config.clock.now()).await {
        Ok(Ok(user)) => {
            tracing::info!(sub = %user.sub, "user signed up");
            complete(inner, &request, &user)
        }
        Ok(Err(problem)) => refused(problem),
        Err(e) => internal(e),
    }
}

/// Validates the authorization request carried by a query or form (a missing or unreadable one counts as an
/// unknown client).
fn checked(inner: &Inner, params: Option<AuthParams>) -> Result<AuthRequest, AuthRequestError> {
    params.unwrap_or_default().validate(&inner.config)
}

/// The response to an authorization request that cannot go ahead.
fn refusal(inner: &Inner, error: AuthRequestError) -> Response {
    match error {
        AuthRequestError::UnknownClient => message(
            inner,
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "The app that sent you here is not registered with this sign-in service.",
        ),
        AuthRequestError::BadRedirectUri => message(
            inner,
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "The address to return to after signing in is not registered for this app.",
        ),
        AuthRequestError::Redirect(location) => found(&location),
    }
}

fn bad_form(inner: &Inner) -> Response {
    message(inner, StatusCode::BAD_REQUEST, "Something went wrong", "The form could not be read. Please start again from the app.")
}

/// Sign-in forms are only ever posted by this provider's own pages, so a browser saying the post came from
/// another site is a login-CSRF attempt. Non-browser clients send no `Sec-Fetch-Site` and are let through.
/// (`Origin` cannot be used: with `Referrer-Policy: no-referrer` browsers send `Origin: null`.)
fn refuse_cross_site(inner: &Inner, headers: &HeaderMap) -> Option<Response> {
    let site = headers.get("sec-fetch-site")?.to_str().unwrap_or_default();
    (!matches!(site, "same-origin" | "none"))
        .then(|| message(inner, StatusCode::FORBIDDEN, "Sign-in blocked", "This form can only be submitted from the sign-in page."))
}

/// Signs `user` in: issues a code for `request` and sends the browser back to the client.
fn complete(inner: &Inner, request: &AuthRequest, user: &User) -> Response {
    let now = inner.config.clock.now();
    let grant = CodeGrant {
        sub: user.sub.clone(),
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        scope: request.scope.clone(),
        nonce: request.nonce.clone(),
        auth_time: now,
    };
    match inner.codes.issue(grant, now) {
        Ok(code) => found(&request.success_redirect(&code)),
        Err(e) => internal(e),
    }
}
