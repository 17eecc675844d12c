//! Test RSA keys in place of CloudTrail's per-region signing keys. CloudTrail's fingerprints are 32 hex digits;
//! these are the first 16 bytes of the SHA-256 of the DER key (the validator only ever matches fingerprints as
//! strings, as the AWS CLI does, so how they are derived does not matter to it).

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use serde_json::{Value, json};

pub struct TestKey {
    pair: RsaKeyPair,
    fingerprint: String,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestKey({})", self.fingerprint)
    }
}

impl TestKey {
    /// A fresh 2048-bit key (the size CloudTrail's keys have).
    pub fn generate() -> Self {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
        let fingerprint = hex::encode(&digest(&SHA256, pair.public_key().as_ref()).as_ref()[..16]);
        TestKey { pair, fingerprint }
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The DER `RSAPublicKey` (PKCS #1), as `ListPublicKeys` returns it.
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// The same key as an X.509 `SubjectPublicKeyInfo`, the other encoding CloudTrail's documentation shows.
    pub fn public_spki(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsDer;
        self.pair.public_key().as_der().expect("DER encoding").as_ref().to_vec()
    }

    /// `SHA256withRSA` (RSASSA-PKCS1-v1_5, SHA-256) over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature).expect("RSA signing");
        signature
    }
}

/// What `aws cloudtrail list-public-keys` prints for these keys (values base64, times as the CLI shows them).
pub fn list_public_keys_json(keys: &[&TestKey]) -> Value {
    json!({
        "PublicKeyList": keys.iter().map(|k| json!({
            "Value": base64::engine::general_purpose::STANDARD.encode(k.public_der()),
            "ValidityStartTime": "2026-11-01T00:00:00+00:00",
            "ValidityEndTime": "2026-12-31T00:00:00+00:00",
            "Fingerprint": k.fingerprint(),
        })).collect::<Vec<_>>()
    })
}
