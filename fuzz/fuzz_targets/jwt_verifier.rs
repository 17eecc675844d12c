//! The JWT verifier the local authorizer runs (`JwksVerifier`, API Gateway's Cognito checks): the JWKS document
//! it is given, the token's header and claims, its signature. Input, one per line: the JWKS JSON (`$JWKS`: the
//! real key set), the header JSON (`$KID` inside it: the real key's id), the claims JSON, and the signature
//! (`$SIGN`: a genuine RS256 signature with the real key; anything else is used as the base64url text). An
//! input of another shape is sent whole as the `Authorization` header against the real key set.
//!
//! Asserts, beyond not panicking: a token is accepted only if the real key signed it, its header says RS256
//! and its claims pass every Cognito check (issuer, expiry, not issued in the future, `token_use`, client).
#![no_main]

use std::sync::{Arc, OnceLock};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use booking_identity::{JwksVerifier, TokenUse, VerifierConfig};
use booking_ports::{Claims, Clock, TokenVerifier};
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;

const ISSUER: &str = "http://127.0.0.1:8080/idp";
const CLIENT: &str = "hotel-site-local";
const NOW: i64 = 1_800_000_000;

#[derive(Debug)]
struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(NOW, 0).unwrap()
    }
}

struct Keys {
    pair: KeyPair,
    kid: String,
    jwks: JwkSet,
    runtime: tokio::runtime::Runtime,
}

static KEYS: OnceLock<Keys> = OnceLock::new();

/// A fresh RSA-2048 key per process, as the local IdP makes its own: nothing to commit, nothing a seed can copy.
fn keys() -> &'static Keys {
    KEYS.get_or_init(|| {
        let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = AsDer::as_der(&pair).unwrap();
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(der.as_ref()));
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).unwrap();
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).unwrap();
        jwk.common.key_id = Some(kid.clone());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        Keys { pair, kid, jwks: JwkSet { keys: vec![jwk] }, runtime }
    })
}

fn verifier(jwks: JwkSet) -> JwksVerifier {
    let config = VerifierConfig { issuer: ISSUER.into(), client_id: CLIENT.into(), token_use: TokenUse::Id, leeway_secs: 0 };
    JwksVerifier::new(config, jwks).with_clock(Arc::new(Fixed))
}

/// What a token that verifies must satisfy, checked apart from the verifier's own code.
fn acceptable(claims: &Claims) -> bool {
    claims.iss == ISSUER
        && claims.exp > NOW
        && claims.iat.is_none_or(|iat| iat <= NOW)
        && claims.token_use == "id"
        && claims.aud.as_deref() == Some(CLIENT)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let k = keys();
    let lines: Vec<&str> = text.split('\n').collect();
    let [jwks, header, claims, signature] = lines.as_slice() else {
        let result = k.runtime.block_on(verifier(k.jwks.clone()).verify(text));
        assert!(result.is_err(), "an unsigned input verified: {text:?}");
        return;
    };
    let real_jwks = *jwks == "$JWKS";
    let jwks = if real_jwks {
        k.jwks.clone()
    } else {
        match serde_json::from_str::<JwkSet>(jwks) {
            Ok(set) => set,
            Err(_) => return,
        }
    };
    let header = header.replace("$KID", &k.kid);
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(&header), URL_SAFE_NO_PAD.encode(claims));
    let genuine = *signature == "$SIGN";
    let signature = if genuine {
        let mut sig = vec![0; k.pair.public_modulus_len()];
        k.pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut sig).unwrap();
        URL_SAFE_NO_PAD.encode(sig)
    } else {
        (*signature).to_owned()
    };
    let token = format!("Bearer {signing_input}.{signature}");
    if let Ok(verified) = k.runtime.block_on(verifier(jwks).verify(&token)) {
        let header: serde_json::Value = serde_json::from_str(&header).unwrap_or_default();
        assert!(genuine && real_jwks, "a token not signed by the real key verified: {token}");
        assert_eq!(header["alg"], "RS256", "accepted with {header}");
        assert!(acceptable(&verified), "accepted claims that fail Cognito's checks: {verified:?}");
    }
});
