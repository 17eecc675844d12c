//! The verifier against a real Cognito user pool API (moto): a user signs in with USER_PASSWORD_AUTH and the
//! pool's tokens are checked exactly as API Gateway's authorizer checks them.
//!
//! moto's tokens carry the real AWS issuer (`https://cognito-idp.us-east-1.amazonaws.com/<pool>`) while it serves
//! the JWKS locally (`<endpoint>/<pool>/.well-known/jwks.json`), so issuer and JWKS URL are configured apart, as
//! `JwksVerifier::fetch` allows. moto cannot issue an expired token on demand: expiry is covered with our own
//! keys in `verify.rs`. moto's ID tokens also lack the user's attributes (`email`), which real Cognito includes.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use booking_identity::{JwksVerifier, TokenUse, VerifierConfig};
use booking_local_aws::moto::MotoServer;
use booking_ports::{IdentityError, TokenVerifier};
use serde_json::{Value, json};

async fn cognito(endpoint: &str, action: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(endpoint)
        .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{action}"))
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20300101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{action}: {}", response.status());
    response.json().await.unwrap()
}

struct Pool {
    id: String,
    client_id: String,
}

async fn pool_with_user(endpoint: &str, name: &str) -> (Pool, String, String) {
    let pool = cognito(endpoint, "CreateUserPool", json!({"PoolName": name})).await;
    let id = pool["UserPool"]["Id"].as_str().unwrap().to_owned();
    let client = cognito(
        endpoint,
        "CreateUserPoolClient",
        json!({"UserPoolId": id, "ClientName": "site", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await;
    let client_id = client["UserPoolClient"]["ClientId"].as_str().unwrap().to_owned();
    let user = json!({"UserPoolId": id, "Username": "ada@example.com", "TemporaryPassword": "Temp-pass-123!", "MessageAction": "SUPPRESS",
        "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}, {"Name": "email_verified", "Value": "true"}]});
    cognito(endpoint, "AdminCreateUser", user).await;
    cognito(
        endpoint,
        "AdminSetUserPassword",
        json!({"UserPoolId": id, "Username": "ada@example.com", "Password": "Str0ng-pass-456!", "Permanent": true}),
    )
    .await;
    let auth = cognito(
        endpoint,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id, "AuthParameters": {"USERNAME": "ada@example.com", "PASSWORD": "Str0ng-pass-456!"}}),
    )
    .await;
    let id_token = auth["AuthenticationResult"]["IdToken"].as_str().unwrap().to_owned();
    let access_token = auth["AuthenticationResult"]["AccessToken"].as_str().unwrap().to_owned();
    (Pool { id, client_id }, id_token, access_token)
}

async fn verifier(endpoint: &str, pool: &Pool, client_id: &str, token_use: TokenUse) -> JwksVerifier {
    let config = VerifierConfig {
        issuer: format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool.id),
        client_id: client_id.to_owned(),
        token_use,
        leeway_secs: 0,
    };
    JwksVerifier::fetch(config, &format!("{endpoint}/{}/.well-known/jwks.json", pool.id)).await.unwrap()
}

fn rejected(result: Result<booking_ports::Claims, IdentityError>) -> bool {
    matches!(result, Err(IdentityError::Rejected(_)))
}

#[tokio::test]
async fn cognito_pool_tokens_are_verified_like_the_api_gateway_authorizer() {
    let moto = MotoServer::start().await.unwrap();
    let endpoint = moto.endpoint.clone();
    let (pool, id_token, access_token) = pool_with_user(&endpoint, "hotel-guests").await;

    let ids = verifier(&endpoint, &pool, &pool.client_id, TokenUse::Id).await;
    let claims = ids.verify(&id_token).await.unwrap();
    assert_eq!(claims.token_use, "id");
    assert_eq!(claims.aud.as_deref(), Some(pool.client_id.as_str()));
    // moto's ID tokens carry no user attributes (real Cognito adds `email`); the claim's extraction is covered
    // by `verify.rs::valid_id_token_yields_cognito_claims`. The username is there:
    assert_eq!(claims.username.as_deref(), Some("ada@example.com"));
    assert!(!claims.sub.is_empty());
    let access = verifier(&endpoint, &pool, &pool.client_id, TokenUse::Access).await;
    assert_eq!(access.verify(&access_token).await.unwrap().token_use, "access");

    // An access token where the authorizer wants an ID token, and the other way round.
    assert!(rejected(ids.verify(&access_token).await));
    assert!(rejected(access.verify(&id_token).await));

    // Tampered payload: same signature, other claims.
    let parts: Vec<&str> = id_token.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["sub"] = json!("someone-else");
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(payload.to_string()), parts[2]);
    assert!(rejected(ids.verify(&tampered).await));

    // alg none.
    let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"dummy"}"#), parts[1]);
    assert!(rejected(ids.verify(&none).await));

    // Wrong client: the pool is right, the app client is not.
    let other_client = verifier(&endpoint, &pool, "another-app-client", TokenUse::Id).await;
    assert!(rejected(other_client.verify(&id_token).await));

    // Wrong pool: moto signs every pool with the same key, so only the issuer check tells them apart.
    let (other_pool, other_token, _) = pool_with_user(&endpoint, "someone-elses-pool").await;
    assert!(rejected(ids.verify(&other_token).await), "a token of pool {} must not pass for pool {}", other_pool.id, pool.id);
}
