use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// The claims API Gateway's Cognito authorizer hands to a function (`requestContext.authorizer.claims`) once it
/// has checked the token. Field names are Cognito's.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub token_use: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub aud: Option<String>,
    #[serde(rename = "cognito:username", default)]
    pub username: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
}

impl std::fmt::Debug for Claims {
    // The email is personal data: keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims").field("sub", &self.sub).field("token_use", &self.token_use).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("missing bearer token")]
    Missing,
    #[error("token rejected: {0}")]
    Rejected(String),
    #[error("signing keys unavailable: {0}")]
    KeysUnavailable(String),
}

/// Checks a bearer token the way API Gateway's Cognito authorizer does: RS256 signature against the pool's
/// JWKS, issuer, expiry, `token_use`, and the app client id.
#[async_trait]
pub trait TokenVerifier: Send + Sync {
    async fn verify(&self, token: &str) -> Result<Claims, IdentityError>;
}
