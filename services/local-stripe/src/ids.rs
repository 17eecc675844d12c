//! Identifiers and the system time.

use rand::Rng;
use rand::distr::Alphanumeric;

/// Stripe-looking ids (`pi_...`, `re_...`): a prefix naming the object type and 24 random characters.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random(24))
}

/// `pi_..._secret_...`, the shape Stripe.js checks before sending a confirmation.
pub(crate) fn client_secret(intent_id: &str) -> String {
    format!("{intent_id}_secret_{}", random(25))
}

fn random(len: usize) -> String {
    rand::rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// Unix seconds. A clock before 1970 is a broken machine, not a case worth an error path.
pub(crate) fn system_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}
