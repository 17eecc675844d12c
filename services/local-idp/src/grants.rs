//! Authorization codes: random, single-use, valid for five minutes, bound to the client, redirect URI and PKCE
//! challenge of the request that produced them. Kept in memory only: a restart just means signing in again.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::IdpError;

/// Cognito's authorization codes last five minutes.
pub(crate) const CODE_TTL_SECS: i64 = 300;

/// What a code stands for: a signed-in user and the authorization request they approved.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub(crate) sub: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) scope: String,
    pub(crate) nonce: Option<String>,
    pub(crate) auth_time: i64,
}

#[derive(Debug, Default)]
pub(crate) struct CodeStore {
    codes: Mutex<HashMap<String, (CodeGrant, i64)>>,
}

impl CodeStore {
    /// Stores `grant` under a fresh unguessable code and returns the code.
    pub(crate) fn issue(&self, grant: CodeGrant, now: i64) -> Result<String, IdpError> {
        let code = random_token()?;
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        // Codes nobody redeemed would otherwise pile up for the life of the process.
        codes.retain(|_, (_, expires_at)| *expires_at > now);
        codes.insert(code.clone(), (grant, now + CODE_TTL_SECS));
        Ok(code)
    }

    /// Removes and returns the grant for `code` if it exists and has not expired. Removal happens whatever the
    /// caller decides next, so a code is spent by its first redemption attempt, successful or not.
    pub(crate) fn take(&self, code: &str, now: i64) -> Option<CodeGrant> {
        let mut codes = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        let (grant, expires_at) = codes.remove(code)?;
        (expires_at > now).then_some(grant)
    }
}

/// 256 random bits, base64url: used for authorization codes.
pub(crate) fn random_token() -> Result<String, IdpError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| IdpError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// RFC 7636 `S256`: `BASE64URL(SHA256(verifier)) == challenge`, with the verifier's length and alphabet checked
/// first and the comparison done in constant time.
pub(crate) fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return false;
    }
    let computed = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
    verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes()).is_ok()
}

/// A code challenge as S256 produces it: 43 base64url characters.
pub(crate) fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> CodeGrant {
        CodeGrant {
            sub: "sub".into(),
            client_id: "client".into(),
            redirect_uri: "http://app/cb".into(),
            code_challenge: "c".into(),
            scope: "openid".into(),
            nonce: None,
            auth_time: 0,
        }
    }

    #[test]
    fn codes_are_single_use_and_expire() {
        let store = CodeStore::default();
        let code = store.issue(grant(), 1000).unwrap();
        assert!(store.take(&code, 1000 + CODE_TTL_SECS - 1).is_some());
        assert!(store.take(&code, 1001).is_none(), "second use");

        let late = store.issue(grant(), 1000).unwrap();
        assert!(store.take(&late, 1000 + CODE_TTL_SECS).is_none(), "expired");
        assert!(store.take("unknown", 1000).is_none());
    }

    #[test]
    fn pkce_rfc7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(is_s256_challenge(challenge));
        let cases = [
            (verifier, challenge, true),
            ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", challenge, false),
            (verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cm", false),
            ("short", "short", false),
            (challenge, challenge, false),
        ];
        for (v, c, expected) in cases {
            assert_eq!(pkce_s256_matches(v, c), expected, "{v} {c}");
        }
    }
}
