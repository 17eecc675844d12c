use std::path::PathBuf;

/// Why the local Stripe server could not start or save its state.
#[derive(Debug, thiserror::Error)]
pub enum LocalStripeError {
    #[error("invalid local Stripe configuration: {0}")]
    InvalidConfig(String),
    #[error("cannot read or write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the state file {} is not valid: {source}", path.display())]
    CorruptState {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot serialise the state: {0}")]
    Serialize(#[source] serde_json::Error),
    #[error("cannot build the webhook HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("the state writer task failed: {0}")]
    Task(String),
}
