//! Release artifacts in the artifacts bucket, named by content: `lambda/<function>/<sha256>.zip`. An object that
//! is already there is the same bytes, so it is not sent again, and an unchanged function keeps its code key, so
//! CloudFormation sees no change to it.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use crate::DeployError;

/// The object key of a function's zip.
pub fn code_key(function: &str, sha256: &str) -> String {
    format!("lambda/{function}/{sha256}.zip")
}

/// Uploads `bytes` under `key` unless an object is there already; true if it uploaded.
pub async fn put_if_absent(s3: &Client, bucket: &str, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<bool, DeployError> {
    match s3.head_object().bucket(bucket).key(key).send().await {
        Ok(_) => return Ok(false),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => {}
        Err(e) => {
            return Err(DeployError::Aws { operation: "HeadObject", message: format!("s3://{bucket}/{key}: {}", DisplayErrorContext(&e)) });
        }
    }
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .map_err(|e| DeployError::Aws { operation: "PutObject", message: format!("s3://{bucket}/{key}: {}", DisplayErrorContext(&e)) })?;
    Ok(true)
}
