//! The authorization request (`/oauth2/authorize`, and the login and sign-up pages that carry it along), parsed
//! into a type that only holds an acceptable request.
//!
//! Following RFC 6749 §4.1.2.1, an unknown client or redirect URI is answered with an error page and never a
//! redirect (that would make the provider an open redirector); every later problem is sent back to the client's
//! redirect URI as `error=...`.

use serde::Deserialize;
use url::Url;

use crate::IdpConfig;
use crate::grants::is_s256_challenge;

/// Scopes a Cognito app client can be granted; also advertised in the discovery document.
pub(crate) const SUPPORTED_SCOPES: [&str; 5] = ["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"];
/// What a request without `scope` gets: Cognito grants all of the client's scopes then.
const DEFAULT_SCOPE: &str = "openid email profile";

/// The query (or the hidden form fields) as sent: anything may be missing.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuthParams {
    pub(crate) response_type: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) code_challenge_method: Option<String>,
    pub(crate) nonce: Option<String>,
}

/// A request the provider will act on: known client, registered redirect URI, `code` flow with an S256 challenge.
#[derive(Debug, Clone)]
pub(crate) struct AuthRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: Option<String>,
    /// Space-separated, deduplicated, all supported.
    pub(crate) scope: String,
    pub(crate) code_challenge: String,
    pub(crate) nonce: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthRequestError {
    /// Shown as a page: the client is unknown.
    UnknownClient,
    /// Shown as a page: the redirect URI is missing or not registered.
    BadRedirectUri,
    /// Sent back to the (registered) redirect URI; this is the full URL to redirect to.
    Redirect(String),
}

impl AuthParams {
    pub(crate) fn validate(&self, config: &IdpConfig) -> Result<AuthRequest, AuthRequestError> {
        if self.client_id.as_deref() != Some(config.client_id.as_str()) {
            return Err(AuthRequestError::UnknownClient);
        }
        let redirect_uri = match self.redirect_uri.as_deref() {
            Some(uri) if config.redirect_uris.iter().any(|r| r == uri) => uri,
            _ => return Err(AuthRequestError::BadRedirectUri),
        };
        let fail = |error: &str, description: &str| {
            AuthRequestError::Redirect(error_redirect(redirect_uri, error, description, self.state.as_deref()))
        };
        if self.response_type.as_deref() != Some("code") {
            return Err(fail("unsupported_response_type", "response_type must be code"));
        }
        if self.code_challenge_method.as_deref() != Some("S256") {
            return Err(fail("invalid_request", "code_challenge_method must be S256"));
        }
        let code_challenge = match self.code_challenge.as_deref() {
            Some(c) if is_s256_challenge(c) => c,
            _ => return Err(fail("invalid_request", "code_challenge must be a base64url SHA-256 digest")),
        };
        let scope = normalise_scope(self.scope.as_deref()).ok_or_else(|| fail("invalid_scope", "unsupported scope"))?;
        Ok(AuthRequest {
            client_id: config.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            state: self.state.clone(),
            scope,
            code_challenge: code_challenge.to_owned(),
            nonce: self.nonce.clone(),
        })
    }
}

impl AuthRequest {
    /// The request as `name=value` pairs, for the login/sign-up links and hidden form fields.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("scope", self.scope.as_str()),
            ("code_challenge", self.code_challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if let Some(state) = &self.state {
            pairs.push(("state", state));
        }
        if let Some(nonce) = &self.nonce {
            pairs.push(("nonce", nonce));
        }
        pairs
    }

    pub(crate) fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(self.pairs()).finish()
    }

    /// Where the browser goes after a successful sign-in.
    pub(crate) fn success_redirect(&self, code: &str) -> String {
        let mut pairs = vec![("code", code)];
        if let Some(state) = &self.state {
            pairs.push(("state", state));
        }
        with_query(&self.redirect_uri, &pairs)
    }
}

fn error_redirect(redirect_uri: &str, error: &str, description: &str, state: Option<&str>) -> String {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    with_query(redirect_uri, &pairs)
}

/// Appends `pairs` to `base`'s query, keeping any query it already has.
fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    match Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.into()
        }
        // Registered redirect URIs are checked to be absolute URLs when the provider opens.
        Err(_) => base.to_owned(),
    }
}

fn normalise_scope(requested: Option<&str>) -> Option<String> {
    let requested = requested.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(DEFAULT_SCOPE);
    let mut scopes: Vec<&str> = Vec::new();
    for scope in requested.split_whitespace() {
        if !SUPPORTED_SCOPES.contains(&scope) {
            return None;
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    Some(scopes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn config() -> IdpConfig {
        IdpConfig {
            issuer: "http://127.0.0.1/idp".into(),
            client_id: "web".into(),
            redirect_uris: vec!["http://app.test/callback".into()],
            data_dir: "unused".into(),
            demo_user: None,
            clock: crate::UnixClock::system(),
        }
    }

    fn params() -> AuthParams {
        AuthParams {
            response_type: Some("code".into()),
            client_id: Some("web".into()),
            redirect_uri: Some("http://app.test/callback".into()),
            state: Some("xyz".into()),
            scope: Some("openid email".into()),
            code_challenge: Some(CHALLENGE.into()),
            code_challenge_method: Some("S256".into()),
            nonce: None,
        }
    }

    fn check(params: AuthParams, expected: Result<&str, AuthRequestError>) {
        let got = params.validate(&config()).map(|r| r.scope);
        assert_eq!(got.as_deref().map_err(Clone::clone), expected);
    }

    fn redirect(error: &str, description: &str) -> AuthRequestError {
        AuthRequestError::Redirect(format!(
            "http://app.test/callback?error={error}&error_description={}&state=xyz",
            description.replace(' ', "+")
        ))
    }

    #[test]
    fn authorization_request_rules() {
        check(params(), Ok("openid email"));
        check(AuthParams { scope: None, ..params() }, Ok("openid email profile"));
        check(AuthParams { scope: Some("openid openid  phone".into()), ..params() }, Ok("openid phone"));
        check(AuthParams { client_id: Some("other".into()), ..params() }, Err(AuthRequestError::UnknownClient));
        check(AuthParams { client_id: None, ..params() }, Err(AuthRequestError::UnknownClient));
        check(AuthParams { redirect_uri: Some("http://app.test/callback/".into()), ..params() }, Err(AuthRequestError::BadRedirectUri));
        check(AuthParams { redirect_uri: None, ..params() }, Err(AuthRequestError::BadRedirectUri));
        check(
            AuthParams { response_type: Some("token".into()), ..params() },
            Err(redirect("unsupported_response_type", "response_type must be code")),
        );
        check(
            AuthParams { code_challenge_method: Some("plain".into()), ..params() },
            Err(redirect("invalid_request", "code_challenge_method must be S256")),
        );
        check(
            AuthParams { code_challenge: None, ..params() },
            Err(redirect("invalid_request", "code_challenge must be a base64url SHA-256 digest")),
        );
        check(AuthParams { scope: Some("openid admin".into()), ..params() }, Err(redirect("invalid_scope", "unsupported scope")));
    }

    #[test]
    fn success_redirect_keeps_existing_query_and_encodes_state() {
        let mut request = params().validate(&config()).unwrap();
        request.redirect_uri = "http://app.test/callback?tab=1".into();
        request.state = Some("a b&c".into());
        assert_eq!(request.success_redirect("CODE"), "http://app.test/callback?tab=1&code=CODE&state=a+b%26c");
    }
}
