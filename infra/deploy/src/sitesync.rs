//! Makes the site bucket hold exactly the packaged site: uploads what is new or changed (content, type or cache
//! header), deletes what the package no longer has, and invalidates only the paths whose content changed under
//! an unchanged name (pages, `config.json`, stable-name images). Hashed files need no invalidation: a change is a
//! new name. Each object carries its SHA-256 as metadata (`x-amz-meta-sha256`), because the ETag of an SSE-KMS
//! object is not a digest of its content.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::DeployError;
use crate::site::Package;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub uploaded: Vec<String>,
    pub deleted: Vec<String>,
    pub unchanged: usize,
    /// URL paths invalidated (empty: no invalidation was made).
    pub invalidated: Vec<String>,
}

/// What an object in the bucket is, as far as the sync cares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    sha256: Option<String>,
    content_type: Option<String>,
    cache_control: Option<String>,
}

fn s3_error(operation: &'static str, e: impl std::error::Error) -> DeployError {
    DeployError::Aws { operation, message: DisplayErrorContext(e).to_string() }
}

async fn stored(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<BTreeMap<String, Stored>, DeployError> {
    let mut keys = Vec::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| s3_error("ListObjectsV2", e))?;
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
    }
    let mut out = BTreeMap::new();
    for key in keys {
        let head = s3.head_object().bucket(bucket).key(&key).send().await.map_err(|e| s3_error("HeadObject", e))?;
        out.insert(
            key,
            Stored {
                sha256: head.metadata().and_then(|m| m.get("sha256")).cloned(),
                content_type: head.content_type().map(str::to_owned),
                cache_control: head.cache_control().map(str::to_owned),
            },
        );
    }
    Ok(out)
}

/// Syncs `site` into `bucket`, then invalidates changed paths on `distribution_id` (unless `dry_run`, which only
/// reports what it would do).
pub async fn sync(
    s3: &aws_sdk_s3::Client,
    cloudfront: &aws_sdk_cloudfront::Client,
    bucket: &str,
    distribution_id: &str,
    site: &Package,
    dry_run: bool,
) -> Result<SyncReport, DeployError> {
    let existing = stored(s3, bucket).await?;
    let mut report = SyncReport::default();
    for file in &site.files {
        let wanted = Stored {
            sha256: Some(file.sha256()),
            content_type: Some(file.content_type.to_owned()),
            cache_control: Some(file.cache_control.to_owned()),
        };
        match existing.get(&file.key) {
            Some(stored) if *stored == wanted => report.unchanged += 1,
            before => {
                if before.is_some() && !file.is_hashed() {
                    report.invalidated.push(format!("/{}", file.key));
                }
                report.uploaded.push(file.key.clone());
                if !dry_run {
                    s3.put_object()
                        .bucket(bucket)
                        .key(&file.key)
                        .body(ByteStream::from(file.bytes.clone()))
                        .content_type(file.content_type)
                        .cache_control(file.cache_control)
                        .metadata("sha256", file.sha256())
                        .send()
                        .await
                        .map_err(|e| s3_error("PutObject", e))?;
                }
            }
        }
    }
    report.deleted = existing.keys().filter(|k| site.file(k).is_none()).cloned().collect();
    report.invalidated.extend(
        report.deleted.iter().filter(|k| !k.contains('.') || k.ends_with(".html") || k.ends_with(".json")).map(|k| format!("/{k}")),
    );
    if !dry_run && !report.deleted.is_empty() {
        for chunk in report.deleted.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| s3_error("DeleteObjects", e))?;
            let delete = Delete::builder().set_objects(Some(objects)).build().map_err(|e| s3_error("DeleteObjects", e))?;
            s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(|e| s3_error("DeleteObjects", e))?;
        }
    }
    report.invalidated.sort();
    report.invalidated.dedup();
    if !dry_run && !report.invalidated.is_empty() {
        let quantity = i32::try_from(report.invalidated.len()).unwrap_or(i32::MAX);
        let paths = Paths::builder()
            .quantity(quantity)
            .set_items(Some(report.invalidated.clone()))
            .build()
            .map_err(|e| s3_error("CreateInvalidation", e))?;
        let reference = format!("deploy-{}", SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default());
        let batch =
            InvalidationBatch::builder().paths(paths).caller_reference(reference).build().map_err(|e| s3_error("CreateInvalidation", e))?;
        cloudfront.create_invalidation().distribution_id(distribution_id).invalidation_batch(batch).send().await.map_err(|e| {
            DeployError::Aws { operation: "CreateInvalidation", message: aws_sdk_cloudfront::error::DisplayErrorContext(&e).to_string() }
        })?;
    }
    Ok(report)
}
