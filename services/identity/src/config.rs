/// Which of Cognito's two bearer tokens an API accepts; API Gateway's authorizer is configured for one of them
/// (id tokens by default, access tokens when OAuth scopes are set on the method).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    /// The value of the `token_use` claim Cognito puts in tokens of this kind.
    pub(crate) fn claim_value(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }
}

/// What a verifier checks a token against: one user pool (issuer), one app client, one kind of token.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// exact `iss`, e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc or http://127.0.0.1:8080/idp
    pub issuer: String,
    /// the app client id: must equal `aud` (id tokens) or `client_id` (access tokens)
    pub client_id: String,
    pub token_use: TokenUse,
    /// Clock skew tolerated on `exp`, in seconds. API Gateway tolerates none, so 0 mirrors it.
    pub leeway_secs: u64,
}
