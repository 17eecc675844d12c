//! Checks before anything changes, each failing with a typed error that says what to do: credentials present and
//! of the environment's account; no stack mid-operation or failed; no retained resource left by an earlier stack
//! in the way of a new one; enough account concurrency for what the functions reserve.

use aws_config::SdkConfig;
use aws_sdk_cloudformation::error::DisplayErrorContext;
use aws_sdk_sts::config::ProvideCredentials;

use crate::DeployError;
use crate::env::Environment;
use crate::template::Retained;

/// Lambda keeps this much of an account's concurrency unreserved.
pub const UNRESERVED_MINIMUM: u32 = 100;

/// Fails with [`DeployError::NoCredentials`] unless the standard chain yields credentials.
pub async fn credentials(config: &SdkConfig) -> Result<(), DeployError> {
    let Some(provider) = config.credentials_provider() else {
        return Err(DeployError::NoCredentials("no credentials provider is configured".into()));
    };
    provider.provide_credentials().await.map(|_| ()).map_err(|e| DeployError::NoCredentials(DisplayErrorContext(&e).to_string()))
}

/// The account the credentials belong to must be the environment's.
pub async fn account(config: &SdkConfig, env: &Environment) -> Result<String, DeployError> {
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| DeployError::Aws { operation: "GetCallerIdentity", message: DisplayErrorContext(&e).to_string() })?;
    let found = identity.account().unwrap_or_default().to_owned();
    if found != env.account {
        return Err(DeployError::AccountMismatch { environment: env.name.clone(), expected: env.account.clone(), found });
    }
    Ok(found)
}

/// Whether reserving `reserved` leaves Lambda its unreserved minimum under an account limit of `limit`.
pub fn concurrency_fits(limit: u32, reserved: u32) -> bool {
    limit >= reserved + UNRESERVED_MINIMUM
}

/// Checks the account's concurrency limit when the environment reserves concurrency.
pub async fn concurrency(config: &SdkConfig, env: &Environment, reserved: u32) -> Result<(), DeployError> {
    if !env.flags.reserved_concurrency || reserved == 0 {
        return Ok(());
    }
    let settings = aws_sdk_lambda::Client::new(config)
        .get_account_settings()
        .send()
        .await
        .map_err(|e| DeployError::Aws { operation: "GetAccountSettings", message: DisplayErrorContext(&e).to_string() })?;
    let limit = settings.account_limit().map(|l| l.concurrent_executions()).unwrap_or_default();
    let limit = u32::try_from(limit).unwrap_or_default();
    match concurrency_fits(limit, reserved) {
        true => Ok(()),
        false => Err(DeployError::ConcurrencyTooLow { limit, reserved, needed: reserved + UNRESERVED_MINIMUM }),
    }
}

/// Which of `retained` already exist in the account (left by an earlier stack).
pub async fn leftovers(config: &SdkConfig, account: &str, region: &str, retained: &[Retained]) -> Result<Vec<Retained>, DeployError> {
    let mut found = Vec::new();
    for resource in retained {
        let exists = match resource.resource_type.as_str() {
            "AWS::DynamoDB::Table" => {
                let out = aws_sdk_dynamodb::Client::new(config).describe_table().table_name(&resource.name).send().await;
                match out {
                    Ok(_) => true,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => false,
                    Err(e) => return Err(DeployError::Aws { operation: "DescribeTable", message: DisplayErrorContext(&e).to_string() }),
                }
            }
            "AWS::S3::Bucket" => {
                let out = aws_sdk_s3::Client::new(config).head_bucket().bucket(&resource.name).send().await;
                match out {
                    Ok(_) => true,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => false,
                    Err(e) => return Err(DeployError::Aws { operation: "HeadBucket", message: DisplayErrorContext(&e).to_string() }),
                }
            }
            "AWS::SNS::Topic" => {
                let arn = format!("arn:aws:sns:{region}:{account}:{}", resource.name);
                let out = aws_sdk_sns::Client::new(config).get_topic_attributes().topic_arn(arn).send().await;
                match out {
                    Ok(_) => true,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => false,
                    Err(e) => {
                        return Err(DeployError::Aws { operation: "GetTopicAttributes", message: DisplayErrorContext(&e).to_string() });
                    }
                }
            }
            "AWS::Logs::LogGroup" => {
                let out =
                    aws_sdk_cloudwatchlogs::Client::new(config).describe_log_groups().log_group_name_prefix(&resource.name).send().await;
                let groups =
                    out.map_err(|e| DeployError::Aws { operation: "DescribeLogGroups", message: DisplayErrorContext(&e).to_string() })?;
                groups.log_groups().iter().any(|g| g.log_group_name() == Some(resource.name.as_str()))
            }
            _ => false,
        };
        if exists {
            found.push(resource.clone());
        }
    }
    Ok(found)
}

/// What to do about leftovers: import them into the new stack, or delete them.
pub fn leftover_advice(stack: &str, region: &str, leftovers: &[Retained]) -> String {
    let imports: Vec<String> = leftovers
        .iter()
        .map(|r| {
            let key = match r.resource_type.as_str() {
                "AWS::DynamoDB::Table" => "TableName",
                "AWS::S3::Bucket" => "BucketName",
                "AWS::SNS::Topic" => "TopicArn",
                _ => "LogGroupName",
            };
            format!(
                r#"{{"ResourceType":"{}","LogicalResourceId":"{}","ResourceIdentifier":{{"{key}":"{}"}}}}"#,
                r.resource_type, r.logical_id, r.name
            )
        })
        .collect();
    let names: Vec<String> = leftovers.iter().map(|r| format!("{} ({}, {})", r.name, r.logical_id, r.resource_type)).collect();
    format!(
        "{} left by an earlier {stack} stack. Keep the data: import them into the new stack \
         (`aws cloudformation create-change-set --region {region} --stack-name {stack} --change-set-type IMPORT \
         --resources-to-import '[{}]' --template-body file://...`, then deploy again); or, once nothing in them is \
         needed, delete them (README, \"Retained resources\").",
        names.join(", "),
        imports.join(",")
    )
}

/// The `AWSCURRENT` version of a secret (CloudFormation reads a pinned version only when the pin changes).
pub async fn current_secret_version(config: &SdkConfig, arn: &str) -> Result<String, DeployError> {
    let out = aws_sdk_secretsmanager::Client::new(config)
        .describe_secret()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| DeployError::Aws { operation: "DescribeSecret", message: format!("{arn}: {}", DisplayErrorContext(&e)) })?;
    out.version_ids_to_stages()
        .and_then(|m| m.iter().find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT")).map(|(v, _)| v.clone()))
        .ok_or_else(|| DeployError::Aws { operation: "DescribeSecret", message: format!("{arn} has no AWSCURRENT version") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_leaves_lambda_its_minimum() {
        assert!(!concurrency_fits(10, 66));
        assert!(!concurrency_fits(165, 66));
        assert!(concurrency_fits(166, 66));
        assert!(concurrency_fits(1000, 66));
    }

    #[test]
    fn advice_names_each_leftover_with_its_import() {
        let leftovers = [Retained {
            logical_id: "BookingTable".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            name: "harbour-prod-bookings".into(),
        }];
        let advice = leftover_advice("harbour-prod-data", "eu-west-1", &leftovers);
        assert!(advice.contains(r#""ResourceIdentifier":{"TableName":"harbour-prod-bookings"}"#), "{advice}");
        assert!(advice.contains("--change-set-type IMPORT"));
    }
}

/// Where SES stands on the guest mail identity: the identity stack's user pool sends Cognito's mail through it
/// (`EmailSendingAccount: DEVELOPER`), and CloudFormation fails the pool until SES has verified the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendingIdentity {
    Verified,
    /// SES's `VerificationStatus` (PENDING, FAILED, TEMPORARY_FAILURE, NOT_STARTED) while it looks for the DKIM records.
    Unverified(String),
    /// No such identity (the data stack has not created it).
    Missing,
}

/// Asks SES v2 (`GetEmailIdentity`) for the verification status of `identity`. `VerificationStatus` is the API's
/// documented verdict ("SUCCESS – The verification process completed successfully").
pub async fn sending_identity(config: &SdkConfig, identity: &str) -> Result<SendingIdentity, DeployError> {
    let answer = aws_sdk_sesv2::Client::new(config).get_email_identity().email_identity(identity).send().await;
    match answer {
        Ok(found) => Ok(match found.verification_status() {
            Some(aws_sdk_sesv2::types::VerificationStatus::Success) => SendingIdentity::Verified,
            Some(status) => SendingIdentity::Unverified(status.as_str().to_owned()),
            None => SendingIdentity::Unverified("unknown".to_owned()),
        }),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(SendingIdentity::Missing),
        Err(e) => Err(DeployError::Aws { operation: "GetEmailIdentity", message: DisplayErrorContext(&e).to_string() }),
    }
}
