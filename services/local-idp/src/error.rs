use std::path::PathBuf;

/// Everything that can stop the provider from opening or from serving a request. Request handlers map these to
/// a generic 500 and log the detail (see `routes::respond`).
#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    #[error("invalid local-idp configuration: {0}")]
    Config(String),
    #[error("cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("signing key: {0}")]
    Key(String),
    #[error("cannot sign token")]
    Sign(#[source] jsonwebtoken::errors::Error),
    #[error("system random number generator failed")]
    Random,
    #[error("background task failed")]
    Task(#[from] tokio::task::JoinError),
}

impl IdpError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> IdpError {
        let path = path.into();
        move |source| IdpError::Io { action, path, source }
    }
}
