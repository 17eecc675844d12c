//! The verifier: key lookup by `kid`, RS256 signature, then the claim rules in [`crate::checks`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use booking_ports::{Claims, IdentityError, TokenVerifier};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::checks::{check_claims, rejected, strip_bearer};
use crate::config::VerifierConfig;

/// Bounds a JWKS download so a stuck key server fails start-up instead of hanging it.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Checks Cognito-shaped tokens against one user pool's keys. Cheap to clone: the keys are shared.
#[derive(Debug, Clone)]
pub struct JwksVerifier {
    config: VerifierConfig,
    keys: Arc<HashMap<String, DecodingKey>>,
}

impl JwksVerifier {
    /// Keeps the RSA signing keys of `jwks` that have a `kid`. Other keys (EC, symmetric, encryption-only, or
    /// malformed) are dropped rather than refused: a token naming one of them is then rejected as an unknown `kid`,
    /// which is what API Gateway does with keys it cannot use.
    pub fn new(config: VerifierConfig, jwks: JwkSet) -> Self {
        let keys = jwks
            .keys
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
            .collect();
        Self { config, keys: Arc::new(keys) }
    }

    /// Fetches the JWKS once from `url` (Cognito: {issuer}/.well-known/jwks.json; moto serves it elsewhere, hence a separate URL).
    ///
    /// Plain http only: in AWS the API Gateway authorizer does this work, so this runs against local stand-ins.
    pub async fn fetch(config: VerifierConfig, url: &str) -> Result<Self, IdentityError> {
        let unavailable = |e: reqwest::Error| IdentityError::KeysUnavailable(e.to_string());
        let client = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build().map_err(unavailable)?;
        let response = client.get(url).send().await.map_err(unavailable)?;
        let response = response.error_for_status().map_err(unavailable)?;
        let jwks: JwkSet = response.json().await.map_err(unavailable)?;
        Ok(Self::new(config, jwks))
    }

    fn verify_now(&self, header_value: &str, now: i64) -> Result<Claims, IdentityError> {
        let token = strip_bearer(header_value)?;
        // An unknown `alg` such as "none" fails to parse here, before any key is looked at.
        let header = jsonwebtoken::decode_header(token).map_err(|_| rejected("malformed token header"))?;
        if header.alg != Algorithm::RS256 {
            return Err(rejected("algorithm not allowed"));
        }
        let kid = header.kid.ok_or_else(|| rejected("missing kid"))?;
        let key = self.keys.get(&kid).ok_or_else(|| rejected("unknown kid"))?;

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
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| rejected("system clock before 1970"))?.as_secs();
        self.verify_now(token, i64::try_from(now).unwrap_or(i64::MAX))
    }
}
