//! Password hashing with PBKDF2-HMAC-SHA256 from aws-lc-rs. The stored form carries its own parameters
//! (`pbkdf2-sha256$<iterations>$<salt>$<hash>`) so the cost can be raised later without breaking old users.

use std::num::NonZeroU32;

use aws_lc_rs::pbkdf2;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::error::IdpError;

const SCHEME: &str = "pbkdf2-sha256";
/// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256 (about a quarter of a second per sign-in here).
const ITERATIONS: NonZeroU32 = match NonZeroU32::new(600_000) {
    Some(n) => n,
    None => panic!("iteration count must be non-zero"),
};
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// Hashes `password` with a fresh random salt. CPU-heavy: call from a blocking thread.
pub(crate) fn hash(password: &str) -> Result<String, IdpError> {
    let mut salt = [0u8; SALT_LEN];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| IdpError::Random)?;
    let mut out = [0u8; HASH_LEN];
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, ITERATIONS, &salt, password.as_bytes(), &mut out);
    Ok(format!("{SCHEME}${ITERATIONS}${}${}", STANDARD_NO_PAD.encode(salt), STANDARD_NO_PAD.encode(out)))
}

/// Constant-time check of `password` against a stored hash; a malformed stored hash never matches.
/// CPU-heavy: call from a blocking thread.
pub(crate) fn verify(password: &str, stored: &str) -> bool {
    let Some((iterations, salt, expected)) = parse(stored) else { return false };
    pbkdf2::verify(pbkdf2::PBKDF2_HMAC_SHA256, iterations, &salt, password.as_bytes(), &expected).is_ok()
}

/// Spends the same time as [`verify`] without a stored hash, so a sign-in for an unknown email takes as long as
/// one with a wrong password and response times do not reveal which accounts exist.
pub(crate) fn burn(password: &str) {
    let mut out = [0u8; HASH_LEN];
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, ITERATIONS, &[0u8; SALT_LEN], password.as_bytes(), &mut out);
}

fn parse(stored: &str) -> Option<(NonZeroU32, Vec<u8>, Vec<u8>)> {
    let mut parts = stored.split('$');
    let (scheme, iterations, salt, hash) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if scheme != SCHEME || parts.next().is_some() {
        return None;
    }
    let iterations = iterations.parse::<NonZeroU32>().ok()?;
    let salt = STANDARD_NO_PAD.decode(salt).ok()?;
    let hash = STANDARD_NO_PAD.decode(hash).ok()?;
    // pbkdf2::verify panics on outputs longer than the PRF allows; refuse such hashes instead.
    (!hash.is_empty() && hash.len() <= HASH_LEN).then_some((iterations, salt, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_accepts_only_the_hashed_password() {
        let stored = hash("correct horse").unwrap();
        assert_ne!(stored, hash("correct horse").unwrap(), "salt must be random");
        let cases = [
            ("correct horse", stored.as_str(), true),
            ("correct horsE", stored.as_str(), false),
            ("", stored.as_str(), false),
            ("correct horse", "", false),
            ("correct horse", "pbkdf2-sha256$1$AAAA$", false),
            ("correct horse", "md5$1$AAAA$AAAA", false),
        ];
        for (password, stored, expected) in cases {
            assert_eq!(verify(password, stored), expected, "stored {stored:?}");
        }
        assert!(stored.starts_with("pbkdf2-sha256$600000$"));
    }
}
