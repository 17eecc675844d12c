//! The pool's RS256 signing key: generated once with aws-lc-rs, kept as PKCS#8 (PEM armour) in the data
//! directory so tokens issued before a restart still verify after it.

use std::fs;
use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::IdpError;
use crate::fsutil::write_private_atomically;

const KEY_FILE: &str = "signing-key.pem";
const PEM_LABEL: &str = "PRIVATE KEY";

pub(crate) struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid()).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads `signing-key.pem` from `dir`, generating and saving a fresh RSA-2048 key if there is none.
    pub(crate) fn load_or_create(dir: &Path) -> Result<Self, IdpError> {
        let path = dir.join(KEY_FILE);
        let pem = match fs::read_to_string(&path) {
            Ok(pem) => pem,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pem = generate_pem()?;
                write_private_atomically(&path, pem.as_bytes())?;
                pem
            }
            Err(e) => return Err(IdpError::io("read", &path)(e)),
        };
        Self::from_pkcs8_pem(&pem).map_err(|reason| IdpError::Corrupt { path, reason })
    }

    fn from_pkcs8_pem(pem: &str) -> Result<Self, String> {
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).map_err(|e| e.to_string())?;
        // RFC 7638 thumbprint: the same key always gets the same `kid`, across restarts, with nothing else stored.
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).map_err(|e| e.to_string())?;
        jwk.common.key_id = Some(kid);
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
        Ok(Self { encoding, decoding, jwk })
    }

    pub(crate) fn kid(&self) -> &str {
        self.jwk.common.key_id.as_deref().unwrap_or_default()
    }

    pub(crate) fn jwks(&self) -> JwkSet {
        JwkSet { keys: vec![self.jwk.clone()] }
    }

    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, IdpError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid().to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(IdpError::Sign)
    }

    /// Checks the signature, `kid` and `exp` of a token this pool issued; the caller checks the other claims.
    pub(crate) fn verify<T: DeserializeOwned>(&self, token: &str) -> Option<T> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.kid.as_deref() != Some(self.kid()) {
            return None;
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation).ok().map(|data| data.claims)
    }
}

fn generate_pem() -> Result<String, IdpError> {
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| IdpError::Key(e.to_string()))?;
    let pkcs8 = pair.as_der().map_err(|e| IdpError::Key(e.to_string()))?;
    let body = STANDARD.encode(pkcs8.as_ref());
    let mut pem = format!("-----BEGIN {PEM_LABEL}-----\n");
    // RFC 7468 wraps the base64 body at 64 columns; the base64 alphabet is ASCII, so byte chunks are whole chars.
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {PEM_LABEL}-----\n"));
    Ok(pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_reused_across_loads_and_signs_verifiable_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let first = SigningKey::load_or_create(dir.path()).unwrap();
        let second = SigningKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.jwks(), second.jwks());
        assert!(!first.kid().is_empty());

        let exp = jsonwebtoken::get_current_timestamp() + 60;
        let token = first.sign(&serde_json::json!({"sub": "s", "exp": exp})).unwrap();
        let claims: serde_json::Value = second.verify(&token).unwrap();
        assert_eq!(claims["sub"], "s");

        let pem = fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    }

    #[test]
    fn corrupt_key_file_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        assert!(matches!(SigningKey::load_or_create(dir.path()), Err(IdpError::Corrupt { .. })));
        assert_eq!(fs::read_to_string(dir.path().join(KEY_FILE)).unwrap(), "not a key");
    }
}
