//! The three tokens, with Cognito's claim names: an id token and an access token (one hour), and a refresh token
//! (30 days). The refresh token is a JWT signed with the pool key so it survives restarts without a session store;
//! clients treat it as opaque, as they must with Cognito's.

use serde::{Deserialize, Serialize};

use crate::error::IdpError;
use crate::keys::SigningKey;
use crate::users::User;

/// Cognito's default id and access token lifetime.
pub(crate) const TOKEN_TTL_SECS: i64 = 3600;
/// Cognito's default refresh token lifetime.
const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;

#[derive(Serialize)]
struct IdClaims<'a> {
    sub: &'a str,
    iss: &'a str,
    aud: &'a str,
    token_use: &'static str,
    auth_time: i64,
    iat: i64,
    exp: i64,
    jti: String,
    email: &'a str,
    email_verified: bool,
    #[serde(rename = "cognito:username")]
    username: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

/// Claims of the access and refresh tokens that the provider reads back (`userInfo`, the refresh grant).
#[derive(Serialize, Deserialize)]
pub(crate) struct SessionClaims {
    pub(crate) sub: String,
    pub(crate) iss: String,
    pub(crate) client_id: String,
    pub(crate) token_use: String,
    pub(crate) scope: String,
    pub(crate) auth_time: i64,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) jti: String,
    pub(crate) username: String,
}

/// Who signed in, to which client, for which scopes: everything the tokens are minted from.
#[derive(Debug)]
pub(crate) struct Session<'a> {
    pub(crate) user: &'a User,
    pub(crate) issuer: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) auth_time: i64,
    pub(crate) nonce: Option<&'a str>,
}

/// The token endpoint's JSON body.
#[derive(Serialize)]
pub(crate) struct TokenResponse {
    /// Only when the `openid` scope was granted, as with Cognito.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
    pub(crate) access_token: String,
    /// Only from the authorization-code grant: Cognito without rotation returns none on a refresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    pub(crate) token_type: &'static str,
    pub(crate) expires_in: i64,
}

pub(crate) fn mint(key: &SigningKey, session: &Session<'_>, now: i64, with_refresh: bool) -> Result<TokenResponse, IdpError> {
    let user = session.user;
    let has_scope = |wanted: &str| session.scope.split(' ').any(|s| s == wanted);
    let id_token = if has_scope("openid") {
        Some(key.sign(&IdClaims {
            sub: &user.sub,
            iss: session.issuer,
            aud: session.client_id,
            token_use: "id",
            auth_time: session.auth_time,
            iat: now,
            exp: now + TOKEN_TTL_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
            email: &user.email,
            email_verified: true,
            username: &user.sub,
            name: &user.name,
            nonce: session.nonce,
        })?)
    } else {
        None
    };
    let session_claims = |token_use: &str, ttl: i64| SessionClaims {
        sub: user.sub.clone(),
        iss: session.issuer.to_owned(),
        client_id: session.client_id.to_owned(),
        token_use: token_use.to_owned(),
        scope: session.scope.to_owned(),
        auth_time: session.auth_time,
        iat: now,
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().to_string(),
        username: user.sub.clone(),
    };
    let access_token = key.sign(&session_claims("access", TOKEN_TTL_SECS))?;
    let refresh_token = if with_refresh { Some(key.sign(&session_claims("refresh", REFRESH_TTL_SECS))?) } else { None };
    Ok(TokenResponse { id_token, access_token, refresh_token, token_type: "Bearer", expires_in: TOKEN_TTL_SECS })
}

/// Reads back an access or refresh token this pool issued for `client_id`; `None` if it is not one, or expired.
pub(crate) fn read(key: &SigningKey, token: &str, issuer: &str, client_id: &str, token_use: &str) -> Option<SessionClaims> {
    let claims: SessionClaims = key.verify(token)?;
    (claims.iss == issuer && claims.client_id == client_id && claims.token_use == token_use).then_some(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_only_as_their_own_kind() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::load_or_create(dir.path()).unwrap();
        let user = User { sub: "s".into(), email: "a@b.co".into(), name: "A".into(), password_hash: String::new(), created_at: 0 };
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap();
        let session = Session { user: &user, issuer: "http://i", client_id: "c", scope: "openid", auth_time: now, nonce: None };
        let tokens = mint(&key, &session, now, true).unwrap();
        let refresh = tokens.refresh_token.unwrap();
        let cases = [
            (tokens.access_token.as_str(), "http://i", "c", "access", true),
            (tokens.access_token.as_str(), "http://i", "c", "refresh", false),
            (refresh.as_str(), "http://i", "c", "refresh", true),
            (refresh.as_str(), "http://i", "other", "refresh", false),
            (refresh.as_str(), "http://other", "c", "refresh", false),
            (tokens.id_token.as_deref().unwrap(), "http://i", "c", "access", false),
        ];
        for (token, issuer, client, token_use, expected) in cases {
            assert_eq!(read(&key, token, issuer, client, token_use).is_some(), expected, "{token_use} {client}");
        }
        let no_openid = Session { scope: "email", ..session };
        assert!(mint(&key, &no_openid, now, false).unwrap().id_token.is_none());
    }
}
