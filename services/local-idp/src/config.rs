use std::path::PathBuf;
use std::sync::Arc;

/// The provider's notion of now, in Unix seconds. The dev stack passes its adjustable clock, so token issue and
/// expiry times follow `POST /dev/clock` like everything else.
#[derive(Clone)]
pub struct UnixClock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl UnixClock {
    pub fn system() -> Self {
        UnixClock(Arc::new(crate::system_now))
    }

    pub fn new(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        UnixClock(Arc::new(now))
    }

    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl std::fmt::Debug for UnixClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UnixClock({})", self.now())
    }
}

/// How the local user pool is set up: one app client (a public client using PKCE, like a SPA's Cognito client).
#[derive(Debug, Clone)]
pub struct IdpConfig {
    /// public base URL of the nest point == the `iss` claim, e.g. "http://127.0.0.1:8080/idp"
    pub issuer: String,
    pub client_id: String,
    /// exact redirect URIs the authorize endpoint accepts
    pub redirect_uris: Vec<String>,
    /// users and the signing key live here; survive restarts
    pub data_dir: PathBuf,
    /// seeded on first open if absent
    pub demo_user: Option<DemoUser>,
    pub clock: UnixClock,
}

/// A user created on first open so a fresh dev stack can be signed into without the sign-up page.
#[derive(Clone)]
pub struct DemoUser {
    pub email: String,
    pub password: String,
    pub name: String,
}

impl std::fmt::Debug for DemoUser {
    // Hand-written so the password and the email (personal data) never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoUser").field("name", &self.name).finish_non_exhaustive()
    }
}
