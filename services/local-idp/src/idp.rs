//! The provider handle: configuration checked once, key and users loaded, shared by every request.

use std::sync::Arc;

use axum::http::HeaderValue;
use url::Url;

use crate::config::IdpConfig;
use crate::error::IdpError;
use crate::fsutil::ensure_private_dir;
use crate::grants::CodeStore;
use crate::keys::SigningKey;
use crate::users::{NewUser, UserStore};

/// A running local user pool. Cheap to clone (an `Arc` inside); `Debug` shows no secrets.
#[derive(Clone)]
pub struct Idp {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: IdpConfig,
    /// The issuer's path (e.g. `/idp`): pages link to the stylesheet and post forms under it.
    pub(crate) base_path: String,
    /// Origins of the registered redirect URIs: the only places forms may post to or logout may return to.
    pub(crate) redirect_origins: Vec<String>,
    pub(crate) csp: HeaderValue,
    pub(crate) key: SigningKey,
    pub(crate) users: UserStore,
    pub(crate) codes: CodeStore,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp")
            .field("issuer", &self.inner.config.issuer)
            .field("client_id", &self.inner.config.client_id)
            .field("kid", &self.inner.key.kid())
            .finish_non_exhaustive()
    }
}

impl Idp {
    /// Checks the configuration, loads (or on first use creates) the signing key and user file in `data_dir`,
    /// and adds the demo user if no account has its email yet.
    pub async fn open(config: IdpConfig) -> Result<Self, IdpError> {
        let base_path = check_issuer(&config.issuer)?;
        if config.client_id.trim().is_empty() {
            return Err(IdpError::Config("client_id is empty".into()));
        }
        let redirect_origins = redirect_origins(&config.redirect_uris)?;
        let csp = format!("default-src 'self'; frame-ancestors 'none'; form-action 'self' {}", redirect_origins.join(" "));
        let csp = HeaderValue::try_from(csp).map_err(|e| IdpError::Config(format!("redirect origins: {e}")))?;

        let dir = config.data_dir.clone();
        let (key, users) = tokio::task::spawn_blocking(move || -> Result<_, IdpError> {
            ensure_private_dir(&dir)?;
            Ok((SigningKey::load_or_create(&dir)?, UserStore::open(&dir)?))
        })
        .await??;

        if let Some(demo) = &config.demo_user {
            let new = NewUser::parse(&demo.email, &demo.name, &demo.password)
                .map_err(|problem| IdpError::Config(format!("demo user: {}", problem.message())))?;
            if users.by_email(&new.email).await.is_none() {
                // A lost race with a sign-up for the same email leaves that account in place, which is fine.
                let _ = users.create(new, config.clock.now()).await?;
            }
        }

        let inner = Inner { config, base_path, redirect_origins, csp, key, users, codes: CodeStore::default() };
        tracing::info!(issuer = %inner.config.issuer, kid = inner.key.kid(), "local identity provider ready");
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The routes, relative to the nest point (e.g. `Router::new().nest("/idp", idp.router())`).
    pub fn router(&self) -> axum::Router {
        crate::routes::router(self.clone())
    }

    /// The public keys, so an in-process API gateway emulation can verify tokens without an HTTP round trip.
    pub fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        self.inner.key.jwks()
    }

    pub fn issuer(&self) -> &str {
        &self.inner.config.issuer
    }
}

/// The issuer must be an absolute http(s) URL without query, fragment or trailing slash, because endpoint URLs
/// are built by appending paths to it and it must equal the `iss` clients expect byte for byte.
fn check_issuer(issuer: &str) -> Result<String, IdpError> {
    let bad = |why: &str| IdpError::Config(format!("issuer {issuer:?} {why}"));
    let url = Url::parse(issuer).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad("must be an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() || issuer.ends_with('/') {
        return Err(bad("must not have a query, fragment or trailing slash"));
    }
    Ok(url.path().trim_end_matches('/').to_owned())
}

fn redirect_origins(uris: &[String]) -> Result<Vec<String>, IdpError> {
    if uris.is_empty() {
        return Err(IdpError::Config("at least one redirect URI is needed".into()));
    }
    let mut origins: Vec<String> = Vec::new();
    for uri in uris {
        let url = Url::parse(uri).map_err(|e| IdpError::Config(format!("redirect URI {uri:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.fragment().is_some() {
            return Err(IdpError::Config(format!("redirect URI {uri:?} must be http(s) without a fragment")));
        }
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_rules() {
        let cases = [
            ("http://127.0.0.1:8080/idp", Some("/idp")),
            ("https://auth.example.com", Some("")),
            ("http://127.0.0.1:8080/idp/", None),
            ("http://127.0.0.1:8080/idp?x=1", None),
            ("ftp://example.com/idp", None),
            ("not a url", None),
        ];
        for (issuer, expected) in cases {
            assert_eq!(check_issuer(issuer).ok().as_deref(), expected, "{issuer}");
        }
    }

    #[test]
    fn redirect_origins_are_deduplicated() {
        let uris = ["http://127.0.0.1:3000/cb".to_owned(), "http://127.0.0.1:3000/other".to_owned(), "https://app.test/cb".to_owned()];
        assert_eq!(redirect_origins(&uris).unwrap(), ["http://127.0.0.1:3000", "https://app.test"]);
        assert!(redirect_origins(&[]).is_err());
        assert!(redirect_origins(&["/relative".to_owned()]).is_err());
    }
}
