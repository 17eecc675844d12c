use aws_config::{BehaviorVersion, Region, SdkConfig};

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
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
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
