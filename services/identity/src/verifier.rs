//! The verifier: key lookup by `kid`, RS256 signature, then the claim rules in [`crate::checks`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use booking_ports::{Claims, IdentityError, TokenVerifier};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::checks::{check_claims, rejected, strip_bearer};
use crate::config::VerifierConfig;

/// Bounds a JWKS download so a stuck key server fails start-up instead of hanging it.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A token with an unknown `kid` triggers at most one JWKS download per this interval: keys rotate rarely, and
/// a flood of forged `kid`s must not turn into a flood of requests to the key server.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

type KeyMap = Arc<HashMap<String, DecodingKey>>;

/// Where the keys came from, so they can be fetched again when the pool rotates its signing key.
#[derive(Debug)]
struct Source {
    url: String,
    /// When the keys were last downloaded again because of an unknown `kid` (not the first download: a
    /// rotation right after a cold start must still be picked up).
    last_refresh: tokio::sync::Mutex<Option<Instant>>,
}

/// Checks Cognito-shaped tokens against one user pool's keys. Cheap to clone: the keys are shared. Built with
/// [`JwksVerifier::fetch`], it caches the JWKS and downloads it again when a token names a `kid` it does not know.
#[derive(Debug, Clone)]
pub struct JwksVerifier {
    config: VerifierConfig,
    keys: Arc<RwLock<KeyMap>>,
    source: Option<Arc<Source>>,
    clock: Option<Arc<dyn booking_ports::Clock>>,
}

fn usable_keys(jwks: &JwkSet) -> KeyMap {
    Arc::new(
        jwks.keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
                    return None;
                }
                if matches!(jwk.common.key_algorithm, Some(alg) if alg != KeyAlgorithm::RS256) {
                    return None;
                }
                let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else { return None };
                let key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?;
                Some((kid, key))
            })
            .collect(),
    )
}

async fn download(url: &str) -> Result<JwkSet, IdentityError> {
    let unavailable = |e: reqwest::Error| IdentityError::KeysUnavailable(e.to_string());
    let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build().map_err(unavailable)?;
    let response = client.get(url).send().await.map_err(unavailable)?;
    let response = response.error_for_status().map_err(unavailable)?;
    response.json().await.map_err(unavailable)
}

impl JwksVerifier {
    /// Keeps the RSA signing keys of `jwks` that have a `kid`. Other keys (EC, symmetric, encryption-only, or
    /// malformed) are dropped rather than refused: a token naming one of them is then rejected as an unknown `kid`,
    /// which is what API Gateway does with keys it cannot use.
    pub fn new(config: VerifierConfig, jwks: JwkSet) -> Self {
        Self { config, keys: Arc::new(RwLock::new(usable_keys(&jwks))), source: None, clock: None }
    }

    /// Reads expiry against `clock` instead of the system clock (the local stack's adjustable clock, so tokens
    /// expire in its time like everything else).
    pub fn with_clock(mut self, clock: Arc<dyn booking_ports::Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Fetches the JWKS once from `url` (Cognito: {issuer}/.well-known/jwks.json; moto serves it elsewhere, hence a separate URL).
    ///
    /// Plain http only: in AWS the API Gateway authorizer does this work, so this runs against local stand-ins.
    pub async fn fetch(config: VerifierConfig, url: &str) -> Result<Self, IdentityError> {
        let jwks = download(url).await?;
        let source = Source { url: url.to_owned(), last_refresh: tokio::sync::Mutex::new(None) };
        Ok(Self { source: Some(Arc::new(source)), ..Self::new(config, jwks) })
    }

    fn current_keys(&self) -> KeyMap {
        self.keys.read().map(|k| Arc::clone(&k)).unwrap_or_else(|poisoned| Arc::clone(&poisoned.into_inner()))
    }

    /// Downloads the JWKS again if `kid` is unknown and the last download is old enough.
    async fn refresh_for(&self, kid: &str) {
        let Some(source) = &self.source else { return };
        if self.current_keys().contains_key(kid) {
            return;
        }
        let mut last = source.last_refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < MIN_REFRESH_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        // On failure keep the keys we have: the token is then refused as an unknown kid.
        if let Ok(jwks) = download(&source.url).await {
            let fresh = usable_keys(&jwks);
            match self.keys.write() {
                Ok(mut keys) => *keys = fresh,
                Err(poisoned) => *poisoned.into_inner() = fresh,
            }
        }
    }

    fn verify_now(&self, header_value: &str, now: i64) -> Result<Claims, IdentityError> {
        let token = strip_bearer(header_value)?;
        // An unknown `alg` such as "none" fails to parse here, before any key is looked at.
        let header = jsonwebtoken::decode_header(token).map_err(|_| rejected("malformed token header"))?;
        if header.alg != Algorithm::RS256 {
            return Err(rejected("algorithm not allowed"));
        }
        let kid = header.kid.ok_or_else(|| rejected("missing kid"))?;
        let keys = self.current_keys();
        let key = keys.get(&kid).ok_or_else(|| rejected("unknown kid"))?;

        // jsonwebtoken checks only the signature and that the claims parse; the Cognito rules live in
        // `check_claims` so each one is explicit and tested without crypto.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::InvalidSignature => rejected("invalid signature"),
                _ => rejected("malformed token"),
            }
        })?;
        check_claims(&data.claims, &self.config, now)?;
        Ok(data.claims)
    }
}

#[async_trait]
impl TokenVerifier for JwksVerifier {
    async fn verify(&self, token: &str) -> Result<Claims, IdentityError> {
        let now = match &self.clock {
            Some(clock) => u64::try_from(clock.now().timestamp()).unwrap_or(0),
            None => SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| rejected("system clock before 1970"))?.as_secs(),
        };
        if let Some(kid) = strip_bearer(token).ok().and_then(|t| jsonwebtoken::decode_header(t).ok()).and_then(|h| h.kid) {
            self.refresh_for(&kid).await;
        }
        self.verify_now(token, i64::try_from(now).unwrap_or(i64::MAX))
    }
}
