//! End-to-end checks of `JwksVerifier` with a key pair made here and tokens signed by jsonwebtoken, covering
//! each way API Gateway's Cognito authorizer refuses a token.

#![allow(clippy::unwrap_used, reason = "a test helper failing is a failed test")]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use booking_identity::{JwksVerifier, TokenUse, VerifierConfig};
use booking_ports::{IdentityError, TokenVerifier};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test";
const CLIENT: &str = "app-client";
const KID: &str = "key-1";

struct Pool {
    signing: EncodingKey,
    public_der: Vec<u8>,
    jwks: JwkSet,
}

/// A fresh RSA key (as Cognito has per pool) and its JWKS.
fn pool() -> Pool {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let pkcs8 = pair.as_der().unwrap();
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(pkcs8.as_ref()));
    let signing = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&signing, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(KID.into());
    let public_der = pair.public_key().as_der().unwrap().as_ref().to_vec();
    Pool { signing, public_der, jwks: JwkSet { keys: vec![jwk] } }
}

fn now() -> i64 {
    i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap()
}

fn id_claims() -> Value {
    json!({
        "sub": "4f1c2a9e-0000-4000-8000-000000000001",
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "auth_time": now(),
        "iat": now(),
        "exp": now() + 3600,
        "email": "guest@example.com",
        "email_verified": true,
        "cognito:username": "4f1c2a9e-0000-4000-8000-000000000001",
    })
}

fn access_claims() -> Value {
    json!({
        "sub": "4f1c2a9e-0000-4000-8000-000000000001",
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "openid email",
        "username": "4f1c2a9e-0000-4000-8000-000000000001",
        "iat": now(),
        "exp": now() + 3600,
        "jti": "j",
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn sign(pool: &Pool, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &pool.signing).unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn verifier(pool: &Pool, token_use: TokenUse) -> JwksVerifier {
    let config = VerifierConfig { issuer: ISSUER.into(), client_id: CLIENT.into(), token_use, leeway_secs: 0 };
    JwksVerifier::new(config, pool.jwks.clone())
}

/// `expected` is `Ok(())` or the reason in `IdentityError::Rejected`.
async fn check(verifier: &JwksVerifier, token: &str, expected: Result<(), &str>) {
    let got = verifier.verify(token).await.map(|_| ());
    assert_eq!(got, expected.map_err(|reason| IdentityError::Rejected(reason.into())), "token {token:.40}");
}

#[tokio::test]
async fn valid_id_token_yields_cognito_claims() {
    let pool = pool();
    let token = sign(&pool, KID, &id_claims());
    for presented in [token.clone(), format!("Bearer {token}")] {
        let claims = verifier(&pool, TokenUse::Id).verify(&presented).await.unwrap();
        assert_eq!(claims.sub, "4f1c2a9e-0000-4000-8000-000000000001");
        assert_eq!(claims.email.as_deref(), Some("guest@example.com"));
        assert_eq!(claims.username.as_deref(), Some("4f1c2a9e-0000-4000-8000-000000000001"));
        assert_eq!(claims.token_use, "id");
        assert_eq!(claims.aud.as_deref(), Some(CLIENT));
        assert_eq!(claims.iss, ISSUER);
        assert_eq!(claims.exp, id_claims()["exp"].as_i64().unwrap());
    }
}

#[tokio::test]
async fn id_verifier_refuses_what_api_gateway_refuses() {
    let pool = pool();
    let id = verifier(&pool, TokenUse::Id);
    let valid = sign(&pool, KID, &id_claims());
    let [header, _, signature] = <[&str; 3]>::try_from(valid.split('.').collect::<Vec<_>>()).unwrap();
    let tampered = format!("{header}.{}.{signature}", b64(&with(id_claims(), "sub", json!("someone-else"))));
    let alg_none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": KID})), b64(&id_claims()));
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(KID.into());
    let hs256 = jsonwebtoken::encode(&hs_header, &id_claims(), &EncodingKey::from_secret(&pool.public_der)).unwrap();
    let mut no_kid = Header::new(Algorithm::RS256);
    no_kid.kid = None;
    let no_kid = jsonwebtoken::encode(&no_kid, &id_claims(), &pool.signing).unwrap();
    let other_pool = pool_token_from_other_key();

    let cases: Vec<(String, Result<(), &str>)> = vec![
        (valid.clone(), Ok(())),
        (sign(&pool, KID, &with(id_claims(), "iss", json!("https://evil.example/pool"))), Err("issuer mismatch")),
        (sign(&pool, KID, &with(id_claims(), "exp", json!(now() - 1))), Err("token expired")),
        (sign(&pool, KID, &with(id_claims(), "aud", json!("other-client"))), Err("wrong app client")),
        (sign(&pool, KID, &access_claims()), Err("wrong token_use")),
        (sign(&pool, "other-kid", &id_claims()), Err("unknown kid")),
        (no_kid, Err("missing kid")),
        (tampered, Err("invalid signature")),
        (other_pool, Err("invalid signature")),
        (alg_none, Err("malformed token header")),
        (hs256, Err("algorithm not allowed")),
        ("not-a-jwt".into(), Err("malformed token header")),
    ];
    for (token, expected) in cases {
        check(&id, &token, expected).await;
    }
    assert_eq!(id.verify("Bearer ").await, Err(IdentityError::Missing));
}

/// A token with the right `kid` but signed by a different key pair.
fn pool_token_from_other_key() -> String {
    sign(&pool(), KID, &id_claims())
}

#[tokio::test]
async fn access_verifier_checks_client_id() {
    let pool = pool();
    let access = verifier(&pool, TokenUse::Access);
    let cases: Vec<(String, Result<(), &str>)> = vec![
        (sign(&pool, KID, &access_claims()), Ok(())),
        (sign(&pool, KID, &with(access_claims(), "client_id", json!("other-client"))), Err("wrong app client")),
        (sign(&pool, KID, &id_claims()), Err("wrong token_use")),
    ];
    for (token, expected) in cases {
        check(&access, &token, expected).await;
    }
}

#[tokio::test]
async fn leeway_tolerates_recent_expiry() {
    let pool = pool();
    let config = VerifierConfig { issuer: ISSUER.into(), client_id: CLIENT.into(), token_use: TokenUse::Id, leeway_secs: 300 };
    let lenient = JwksVerifier::new(config, pool.jwks.clone());
    check(&lenient, &sign(&pool, KID, &with(id_claims(), "exp", json!(now() - 60))), Ok(())).await;
    check(&lenient, &sign(&pool, KID, &with(id_claims(), "exp", json!(now() - 600))), Err("token expired")).await;
}

#[tokio::test]
async fn unusable_jwks_entries_are_unknown_kids() {
    let pool = pool();
    let mut jwk = pool.jwks.keys[0].clone();
    jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Encryption);
    let config = VerifierConfig { issuer: ISSUER.into(), client_id: CLIENT.into(), token_use: TokenUse::Id, leeway_secs: 0 };
    let verifier = JwksVerifier::new(config, JwkSet { keys: vec![jwk] });
    check(&verifier, &sign(&pool, KID, &id_claims()), Err("unknown kid")).await;
}

#[tokio::test]
async fn fetch_reports_unreachable_key_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/.well-known/jwks.json", listener.local_addr().unwrap());
    drop(listener);
    let config = VerifierConfig { issuer: ISSUER.into(), client_id: CLIENT.into(), token_use: TokenUse::Id, leeway_secs: 0 };
    let got = JwksVerifier::fetch(config, &url).await;
    assert!(matches!(got, Err(IdentityError::KeysUnavailable(_))), "{got:?}");
}

/// A key server whose JWKS can be swapped (key rotation) and which counts downloads.
async fn key_server(jwks: JwkSet) -> (String, std::sync::Arc<std::sync::Mutex<JwkSet>>, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let current = Arc::new(Mutex::new(jwks));
    let hits = Arc::new(AtomicUsize::new(0));
    let (served, counted) = (current.clone(), hits.clone());
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let (served, counted) = (served.clone(), counted.clone());
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                axum::Json(serde_json::to_value(&*served.lock().unwrap()).unwrap())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, current, hits)
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_forged_kids_do_not_flood_the_key_server() {
    use std::sync::atomic::Ordering;
    let old = pool();
    let (url, current, hits) = key_server(old.jwks.clone()).await;
    let config = VerifierConfig { issuer: ISSUER.into(), client_id: CLIENT.into(), token_use: TokenUse::Id, leeway_secs: 0 };
    let verifier = JwksVerifier::fetch(config, &url).await.unwrap();
    check(&verifier, &sign(&old, KID, &id_claims()), Ok(())).await;
    assert_eq!(hits.load(Ordering::SeqCst), 1, "cached: no download per token");

    // The pool rotates to a new key with a new kid.
    let new = pool();
    let mut rotated = new.jwks.clone();
    rotated.keys[0].common.key_id = Some("key-2".into());
    *current.lock().unwrap() = rotated;
    check(&verifier, &sign(&new, "key-2", &id_claims()), Ok(())).await;
    assert_eq!(hits.load(Ordering::SeqCst), 2, "one download for the unknown kid");

    // Tokens naming kids nobody has: refused, and no further downloads within the interval.
    for i in 0..5 {
        check(&verifier, &sign(&new, &format!("forged-{i}"), &id_claims()), Err("unknown kid")).await;
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}
