//! Local-only keys for the local Stripe server, generated on first start and kept in the data directory (never in
//! code or logs), so tokens, intents and webhooks stay valid across restarts.

use std::path::Path;

use rand::Rng;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct LocalSecrets {
    pub stripe_secret_key: String,
    pub stripe_publishable_key: String,
    pub stripe_webhook_secret: String,
}

impl std::fmt::Debug for LocalSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalSecrets(..)")
    }
}

fn random_token() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    hex::encode(bytes)
}

impl LocalSecrets {
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("local-secrets.json");
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(secrets) = serde_json::from_str(&text)
        {
            return Ok(secrets);
        }
        let secrets = LocalSecrets {
            stripe_secret_key: format!("sk_test_local_{}", random_token()),
            stripe_publishable_key: format!("pk_test_local_{}", random_token()),
            stripe_webhook_secret: format!("whsec_local_{}", random_token()),
        };
        let tmp = dir.join("local-secrets.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&secrets).map_err(std::io::Error::other)?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(secrets)
    }
}
