use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Every AWS call gives up well inside the use cases' idempotency lease (60 s), so a worker that is alive always
/// records or releases its claim before another one may take it over: a duplicate notification needs a crash,
/// not a slow network.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(6);

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder().operation_timeout(OPERATION_TIMEOUT).operation_attempt_timeout(ATTEMPT_TIMEOUT).build()
}

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("DynamoDB: {0}")]
    Dynamo(String),
    #[error("SNS: {0}")]
    Sns(String),
}

/// The shared SDK configuration. `endpoint` points every client at one local server (moto); `None` uses the
/// real regional endpoints with the Lambda's role credentials.
pub async fn sdk_config(endpoint: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts());
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_owned()));
    }
    loader.load().await
}

/// An SDK configuration for a local emulator (moto): fixed region, dummy static credentials (the emulator
/// accepts any), every client at `endpoint`.
pub fn local_sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .timeout_config(timeouts())
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(aws_sdk_dynamodb::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "local-emulator",
        )))
        .build()
}
