//! The claim checks API Gateway's Cognito authorizer makes once the signature is good. Pure functions (the clock
//! is a parameter) so each rule is tested on its own.

use booking_ports::{Claims, IdentityError};

use crate::config::{TokenUse, VerifierConfig};

/// Returns the compact JWT from an `Authorization` header value: API Gateway accepts the raw token, and clients
/// following RFC 6750 send `Bearer <token>` (the scheme is case-insensitive), so both are taken.
pub(crate) fn strip_bearer(header_value: &str) -> Result<&str, IdentityError> {
    let value = header_value.trim();
    let token = match (value.get(..6), value.get(6..)) {
        (Some(scheme), Some(rest))
            if scheme.eq_ignore_ascii_case("bearer") && (rest.is_empty() || rest.starts_with(char::is_whitespace)) =>
        {
            rest.trim_start()
        }
        _ => value,
    };
    if token.is_empty() { Err(IdentityError::Missing) } else { Ok(token) }
}

/// Checks issuer, expiry, `token_use` and the app client of claims whose signature was already verified.
/// Messages name the failed rule only, never a claim value: they may end up in logs.
pub(crate) fn check_claims(claims: &Claims, config: &VerifierConfig, now: i64) -> Result<(), IdentityError> {
    if claims.iss != config.issuer {
        return Err(rejected("issuer mismatch"));
    }
    let leeway = i64::try_from(config.leeway_secs).unwrap_or(i64::MAX);
    if claims.exp.saturating_add(leeway) <= now {
        return Err(rejected("token expired"));
    }
    // Cognito sets `iat`; one in the future (beyond the leeway) was minted with a clock or key we do not trust.
    if claims.iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
        return Err(rejected("token not yet valid"));
    }
    if claims.token_use != config.token_use.claim_value() {
        return Err(rejected("wrong token_use"));
    }
    let client = match config.token_use {
        TokenUse::Id => claims.aud.as_deref(),
        TokenUse::Access => claims.client_id.as_deref(),
    };
    if client != Some(config.client_id.as_str()) {
        return Err(rejected("wrong app client"));
    }
    Ok(())
}

pub(crate) fn rejected(reason: &str) -> IdentityError {
    IdentityError::Rejected(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn config(token_use: TokenUse, leeway_secs: u64) -> VerifierConfig {
        VerifierConfig { issuer: "https://issuer".into(), client_id: "client".into(), token_use, leeway_secs }
    }

    fn id_claims() -> Claims {
        Claims {
            sub: "sub".into(),
            iss: "https://issuer".into(),
            token_use: "id".into(),
            client_id: None,
            aud: Some("client".into()),
            username: None,
            email: None,
            exp: NOW + 60,
            iat: Some(NOW),
        }
    }

    fn access_claims() -> Claims {
        Claims { token_use: "access".into(), client_id: Some("client".into()), aud: None, ..id_claims() }
    }

    fn check(claims: Claims, config: VerifierConfig, expected: Option<&str>) {
        let got = check_claims(&claims, &config, NOW).err();
        assert_eq!(got, expected.map(rejected));
    }

    #[test]
    fn claim_rules() {
        check(id_claims(), config(TokenUse::Id, 0), None);
        check(access_claims(), config(TokenUse::Access, 0), None);
        check(Claims { iss: "https://issuer/".into(), ..id_claims() }, config(TokenUse::Id, 0), Some("issuer mismatch"));
        check(Claims { exp: NOW, ..id_claims() }, config(TokenUse::Id, 0), Some("token expired"));
        check(Claims { exp: NOW - 10, ..id_claims() }, config(TokenUse::Id, 11), None);
        check(Claims { exp: NOW - 10, ..id_claims() }, config(TokenUse::Id, 10), Some("token expired"));
        check(Claims { exp: NOW - 10, ..id_claims() }, config(TokenUse::Id, u64::MAX), None);
        check(Claims { iat: Some(NOW + 1), ..id_claims() }, config(TokenUse::Id, 0), Some("token not yet valid"));
        check(Claims { iat: Some(NOW + 10), ..id_claims() }, config(TokenUse::Id, 10), None);
        check(Claims { iat: None, ..id_claims() }, config(TokenUse::Id, 0), None);
        check(access_claims(), config(TokenUse::Id, 0), Some("wrong token_use"));
        check(id_claims(), config(TokenUse::Access, 0), Some("wrong token_use"));
        check(Claims { aud: Some("other".into()), ..id_claims() }, config(TokenUse::Id, 0), Some("wrong app client"));
        check(Claims { aud: None, client_id: Some("client".into()), ..id_claims() }, config(TokenUse::Id, 0), Some("wrong app client"));
        check(Claims { client_id: None, ..access_claims() }, config(TokenUse::Access, 0), Some("wrong app client"));
    }

    #[test]
    fn bearer_prefix_is_optional() {
        let cases: [(&str, Result<&str, IdentityError>); 9] = [
            ("abc.def.ghi", Ok("abc.def.ghi")),
            ("Bearer abc.def.ghi", Ok("abc.def.ghi")),
            ("bearer  abc.def.ghi ", Ok("abc.def.ghi")),
            ("BEARER abc", Ok("abc")),
            ("", Err(IdentityError::Missing)),
            ("Bearer ", Err(IdentityError::Missing)),
            ("Bearer", Err(IdentityError::Missing)),
            ("Bearerabc", Ok("Bearerabc")),
            ("  ", Err(IdentityError::Missing)),
        ];
        for (input, expected) in cases {
            assert_eq!(strip_bearer(input), expected, "input {input:?}");
        }
    }
}
