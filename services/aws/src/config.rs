use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};

/// Every AWS call gives up well inside the use cases' idempotency lease (60 s), so a worker that is alive always
/// records or releases its claim before another one may take it over: a duplicate notification needs a crash,
/// not a slow network.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(6);

/// The timeouts every client uses (the local emulator's too).
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder().operation_timeout(OPERATION_TIMEOUT).operation_attempt_timeout(ATTEMPT_TIMEOUT).build()
}

/// The shared SDK configuration: the real regional endpoints with the Lambda's role credentials, or with
/// `emulator` every client at that AWS-compatible server (moto), which accepts any credentials.
pub async fn sdk_config(emulator: Option<&str>) -> SdkConfig {
    match emulator {
        Some(endpoint) => emulator_config(endpoint),
        None => aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts()).load().await,
    }
}

/// An SDK configuration for an AWS-compatible emulator: fixed region, dummy static credentials, every client at
/// `endpoint`, the production timeouts.
pub fn emulator_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .timeout_config(timeouts())
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new("local", "local", None, None, "local-emulator")))
        .build()
}
