//! The hosted-UI flow over real HTTP: the router nested under `/idp` on a 127.0.0.1:0 listener, driven by reqwest
//! with redirects off so every 302 is inspected, and id tokens checked with `booking_identity::JwksVerifier`.

#![allow(clippy::unwrap_used, reason = "a test helper failing is a failed test")]

use std::path::Path;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use booking_identity::{JwksVerifier, TokenUse, VerifierConfig};
use booking_ports::{Claims, TokenVerifier};
use local_idp::{DemoUser, Idp, IdpConfig};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION};
use serde_json::Value;
use url::Url;

const CLIENT: &str = "web-client";
const REDIRECT: &str = "http://127.0.0.1:5173/auth/callback";
const DEMO_EMAIL: &str = "demo@example.com";
const DEMO_PASSWORD: &str = "demo-password-1";
const VERIFIER: &str = "k9Vq3tM0sX1pQ8wZ2rL7nB4yH6cF5dJ0aG3eT9uK2mP";

struct App {
    base: String,
    issuer: String,
    idp: Idp,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

fn config(issuer: &str, data_dir: &Path) -> IdpConfig {
    IdpConfig {
        issuer: issuer.to_owned(),
        client_id: CLIENT.to_owned(),
        redirect_uris: vec![REDIRECT.to_owned()],
        data_dir: data_dir.to_owned(),
        demo_user: Some(DemoUser { email: DEMO_EMAIL.into(), password: DEMO_PASSWORD.into(), name: "Demo Guest".into() }),
        clock: local_idp::UnixClock::system(),
    }
}

/// Serves a fresh provider; `issuer` defaults to the listener's own URL (a re-opened pool keeps its old one).
async fn spawn_app(data_dir: &Path, issuer: Option<&str>) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = issuer.map_or_else(|| format!("{base}/idp"), str::to_owned);
    let idp = Idp::open(config(&issuer, data_dir)).await.unwrap();
    let app = axum::Router::new().nest("/idp", idp.router());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    App { base, issuer, idp, http, server }
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()))
}

fn auth_params(redirect_uri: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT.into()),
        ("redirect_uri", redirect_uri.into()),
        ("state", "st-42".into()),
        ("scope", "openid email profile".into()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".into()),
    ]
}

/// The URL with `params` as its query (reqwest's `query` feature is not enabled in this workspace).
fn with_query<K: AsRef<str>, V: AsRef<str>>(url: String, params: &[(K, V)]) -> Url {
    Url::parse_with_params(&url, params.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))).unwrap()
}

fn location(response: &reqwest::Response) -> Url {
    Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap()
}

fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}/idp{path}", self.base)
    }

    /// Posts a hosted-UI form (login or signup) with the OAuth fields as hidden inputs.
    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, String)> = auth_params(REDIRECT);
        form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        self.http.post(self.url(path)).form(&form).send().await.unwrap()
    }

    /// Signs in through the form and returns the code from the redirect back to the app.
    async fn sign_in(&self, email: &str, password: &str) -> String {
        let response = self.post_form("/login", &[("email", email), ("password", password)]).await;
        code_from(&response)
    }

    async fn exchange(&self, code: &str, verifier: &str) -> reqwest::Response {
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ];
        self.http.post(self.url("/oauth2/token")).form(&form).send().await.unwrap()
    }

    async fn tokens(&self, code: &str) -> Value {
        let response = self.exchange(code, VERIFIER).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        let form = [("grant_type", "refresh_token"), ("client_id", CLIENT), ("refresh_token", refresh_token)];
        self.http.post(self.url("/oauth2/token")).form(&form).send().await.unwrap()
    }

    /// A verifier configured like API Gateway's authorizer, with keys fetched over HTTP from this server.
    async fn verifier(&self, token_use: TokenUse) -> JwksVerifier {
        let config = VerifierConfig { issuer: self.issuer.clone(), client_id: CLIENT.into(), token_use, leeway_secs: 0 };
        JwksVerifier::fetch(config, &self.url("/.well-known/jwks.json")).await.unwrap()
    }

    async fn id_claims(&self, id_token: &str) -> Claims {
        self.verifier(TokenUse::Id).await.verify(id_token).await.unwrap()
    }
}

fn code_from(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND, "expected a redirect back to the app");
    let back = location(response);
    assert_eq!(format!("{}{}", back.origin().ascii_serialization(), back.path()), REDIRECT);
    assert_eq!(query_value(&back, "state").as_deref(), Some("st-42"));
    query_value(&back, "code").unwrap()
}

async fn error_of(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn code_flow_with_pkce_yields_tokens_the_authorizer_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), None).await;

    let discovery: Value = app.http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(discovery["issuer"], app.issuer.as_str());
    assert_eq!(discovery["jwks_uri"], format!("{}/.well-known/jwks.json", app.issuer));

    let authorize = app.http.get(with_query(app.url("/oauth2/authorize"), &auth_params(REDIRECT))).send().await.unwrap();
    assert_eq!(authorize.status(), StatusCode::FOUND);
    let login_url = location(&authorize);
    assert_eq!(login_url.path(), "/idp/login");
    assert_eq!(query_value(&login_url, "code_challenge"), Some(challenge(VERIFIER)));

    let login_page = app.http.get(login_url).send().await.unwrap();
    assert_eq!(login_page.status(), StatusCode::OK);
    let headers = login_page.headers().clone();
    assert_eq!(headers[CONTENT_SECURITY_POLICY], "default-src 'self'; frame-ancestors 'none'; form-action 'self' http://127.0.0.1:5173");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    let html = login_page.text().await.unwrap();
    assert!(html.contains(r#"<label for="email">"#) && html.contains(r#"<label for="password">"#));
    assert!(html.contains(r#"action="/idp/login""#) && !html.contains("<script"));
    let css = app.http.get(app.url("/assets/login.css")).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    let code = app.sign_in("Demo@Example.com", DEMO_PASSWORD).await;
    let tokens = app.tokens(&code).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);

    let claims = app.id_claims(tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims.email.as_deref(), Some(DEMO_EMAIL));
    assert_eq!(claims.token_use, "id");
    assert_eq!(claims.aud.as_deref(), Some(CLIENT));
    assert_eq!(claims.username.as_deref(), Some(claims.sub.as_str()));
    assert!(uuid::Uuid::parse_str(&claims.sub).is_ok());

    let access = tokens["access_token"].as_str().unwrap();
    let access_claims = app.verifier(TokenUse::Access).await.verify(access).await.unwrap();
    assert_eq!(access_claims.sub, claims.sub);
    assert_eq!(access_claims.client_id.as_deref(), Some(CLIENT));

    let info: Value = app.http.get(app.url("/oauth2/userInfo")).bearer_auth(access).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["sub"], claims.sub.as_str());
    assert_eq!(info["email"], DEMO_EMAIL);
    let refused = app.http.get(app.url("/oauth2/userInfo")).bearer_auth(tokens["id_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    assert_eq!(error_of(app.exchange(&code, VERIFIER).await).await, (StatusCode::BAD_REQUEST, "invalid_grant".into()), "code reuse");

    let refreshed = app.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_ne!(refreshed["id_token"], tokens["id_token"]);
    assert!(refreshed.get("refresh_token").is_none(), "Cognito without rotation returns no new refresh token");
    assert_eq!(app.id_claims(refreshed["id_token"].as_str().unwrap()).await.sub, claims.sub);
    let bad_refresh = app.refresh(access).await;
    assert_eq!(error_of(bad_refresh).await, (StatusCode::BAD_REQUEST, "invalid_grant".into()));
}

#[tokio::test]
async fn token_endpoint_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), None).await;

    let code = app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let wrong = app.exchange(&code, "Zz9Vq3tM0sX1pQ8wZ2rL7nB4yH6cF5dJ0aG3eT9uK2mP").await;
    assert_eq!(error_of(wrong).await, (StatusCode::BAD_REQUEST, "invalid_grant".into()), "wrong verifier");
    let after_wrong = app.exchange(&code, VERIFIER).await;
    assert_eq!(error_of(after_wrong).await, (StatusCode::BAD_REQUEST, "invalid_grant".into()), "a failed attempt spends the code");

    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("grant_type", "password"), ("client_id", CLIENT)], "unsupported_grant_type"),
        (vec![("client_id", CLIENT)], "invalid_request"),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", "other"),
                ("code", "x"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            "invalid_client",
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT),
                ("code", "made-up"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            "invalid_grant",
        ),
        (vec![("grant_type", "refresh_token"), ("client_id", CLIENT), ("refresh_token", "junk")], "invalid_grant"),
    ];
    for (form, expected) in cases {
        let response = app.http.post(app.url("/oauth2/token")).form(&form).send().await.unwrap();
        assert_eq!(error_of(response).await, (StatusCode::BAD_REQUEST, expected.to_owned()), "{form:?}");
    }

    let other_redirect = app.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT),
        ("code", other_redirect.as_str()),
        ("redirect_uri", "http://127.0.0.1:5173/other"),
        ("code_verifier", VERIFIER),
    ];
    let response = app.http.post(app.url("/oauth2/token")).form(&form).send().await.unwrap();
    assert_eq!(error_of(response).await, (StatusCode::BAD_REQUEST, "invalid_grant".into()), "redirect_uri must match");
}

#[tokio::test]
async fn bad_authorization_requests_never_redirect_to_unregistered_places() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), None).await;
    let with = |name: &'static str, value: &str| {
        let mut params = auth_params(REDIRECT);
        params.retain(|(k, _)| *k != name);
        params.push((name, value.to_owned()));
        params
    };

    for params in [with("redirect_uri", "http://evil.test/callback"), with("client_id", "someone-else"), with("redirect_uri", "")] {
        for path in ["/oauth2/authorize", "/login", "/signup"] {
            let response = app.http.get(with_query(app.url(path), &params)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path} {params:?}");
            assert!(response.headers().get(LOCATION).is_none());
            assert!(response.text().await.unwrap().contains("This sign-in link is not valid"));
        }
    }
    let evil_post = app.http.post(app.url("/login")).form(&with("redirect_uri", "http://evil.test/callback")).send().await.unwrap();
    assert_eq!(evil_post.status(), StatusCode::BAD_REQUEST);
    assert!(evil_post.headers().get(LOCATION).is_none());

    // With a registered redirect URI, other problems go back to the app as OAuth errors.
    let cases = [
        (with("code_challenge_method", "plain"), "invalid_request"),
        (with("code_challenge", "too-short"), "invalid_request"),
        (with("response_type", "token"), "unsupported_response_type"),
        (with("scope", "openid admin"), "invalid_scope"),
    ];
    for (params, expected) in cases {
        let response = app.http.get(with_query(app.url("/oauth2/authorize"), &params)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        let back = location(&response);
        assert!(back.as_str().starts_with(REDIRECT));
        assert_eq!(query_value(&back, "error").as_deref(), Some(expected));
        assert_eq!(query_value(&back, "state").as_deref(), Some("st-42"));
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), None).await;
    for (email, password) in [(DEMO_EMAIL, "wrong-password"), ("nobody@example.com", DEMO_PASSWORD), (DEMO_EMAIL, "")] {
        let response = app.post_form("/login", &[("email", email), ("password", password)]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{email}");
        assert!(response.headers().get(LOCATION).is_none());
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"role="alert""#) && html.contains("Incorrect email or password."));
    }

    let cross_site = app
        .http
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", DEMO_EMAIL), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_up_signs_the_new_user_in() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), None).await;

    let page = app.http.get(with_query(app.url("/signup"), &auth_params(REDIRECT))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(r#"autocomplete="new-password""#));

    let fields = [("email", "new.guest@example.com"), ("name", "New Guest"), ("password", "s3cret-pass")];
    let code = code_from(&app.post_form("/signup", &fields).await);
    let claims = app.id_claims(app.tokens(&code).await["id_token"].as_str().unwrap()).await;
    assert_eq!(claims.email.as_deref(), Some("new.guest@example.com"));

    let code = app.sign_in("new.guest@example.com", "s3cret-pass").await;
    let again = app.id_claims(app.tokens(&code).await["id_token"].as_str().unwrap()).await;
    assert_eq!(again.sub, claims.sub);

    let cases = [
        ([("email", "NEW.guest@example.com"), ("name", "Copy"), ("password", "another-pass")], "already exists"),
        ([("email", "short@example.com"), ("name", "Short"), ("password", "1234567")], "at least 8 characters"),
        ([("email", "not-an-email"), ("name", "Bad"), ("password", "long-enough")], "valid email"),
    ];
    for (fields, message) in cases {
        let response = app.post_form("/signup", &fields).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.text().await.unwrap().contains(message), "{message}");
    }
}

#[tokio::test]
async fn key_and_users_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_app(dir.path(), None).await;
    let fields = [("email", "returning@example.com"), ("name", "Returning"), ("password", "remember-me")];
    let code = code_from(&first.post_form("/signup", &fields).await);
    let tokens = first.tokens(&code).await;
    let old_jwks = first.idp.jwks();
    first.server.abort();

    let second = spawn_app(dir.path(), Some(&first.issuer)).await;
    assert_eq!(second.idp.jwks(), old_jwks);
    let claims = second.id_claims(tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims.email.as_deref(), Some("returning@example.com"));

    let code = second.sign_in("returning@example.com", "remember-me").await;
    assert_eq!(second.id_claims(second.tokens(&code).await["id_token"].as_str().unwrap()).await.sub, claims.sub);
    let demo = second.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    assert_eq!(second.exchange(&demo, VERIFIER).await.status(), StatusCode::OK);
    assert_eq!(second.refresh(tokens["refresh_token"].as_str().unwrap()).await.status(), StatusCode::OK);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["signing-key.pem", "users.json"] {
            let mode = std::fs::metadata(dir.path().join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    let users = std::fs::read_to_string(dir.path().join("users.json")).unwrap();
    assert!(!users.contains("remember-me") && users.contains("pbkdf2-sha256$"));
}

#[tokio::test]
async fn logout_returns_only_to_registered_origins() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(dir.path(), None).await;
    let cases = [
        (CLIENT, "http://127.0.0.1:5173/", Some("http://127.0.0.1:5173/")),
        (CLIENT, "http://127.0.0.1:5173/signed-out?x=1", Some("http://127.0.0.1:5173/signed-out?x=1")),
        (CLIENT, "http://evil.test/", None),
        (CLIENT, "http://127.0.0.1:5174/", None),
        ("other", "http://127.0.0.1:5173/", None),
    ];
    for (client_id, logout_uri, expected) in cases {
        let response =
            app.http.get(with_query(app.url("/logout"), &[("client_id", client_id), ("logout_uri", logout_uri)])).send().await.unwrap();
        let got = response.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(got.as_deref(), expected, "{client_id} {logout_uri}");
        let status = if expected.is_some() { StatusCode::FOUND } else { StatusCode::BAD_REQUEST };
        assert_eq!(response.status(), status);
    }
}
