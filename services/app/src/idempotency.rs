use aws_lc_rs::digest;
use booking_ports::{Clock, IdempotencyBegin, IdempotencyStore};
use chrono::Duration;
use serde::{Serialize, de::DeserializeOwned};

use crate::AppError;

/// How long a claim may stay "in progress" before a retry may take it over (a crashed Lambda).
pub(crate) const LEASE: Duration = Duration::seconds(60);
/// How long a completed result is replayed, per kind of work. Each outlives every redelivery its source makes:
/// a guest's `Idempotency-Key` is a day (as Stripe keeps its own); Stripe retries a webhook for up to three
/// days; a DynamoDB stream keeps a record for a day, and the outbox item it came from lives seven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retention {
    Request,
    Webhook,
    Notification,
}

impl Retention {
    pub(crate) fn duration(self) -> Duration {
        match self {
            Retention::Request => Duration::hours(24),
            Retention::Webhook => Duration::days(4),
            Retention::Notification => Duration::days(7),
        }
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, bytes))
}

pub(crate) fn hash_of<T: Serialize>(value: &T) -> String {
    sha256_hex(&serde_json::to_vec(value).unwrap_or_default())
}

/// Runs `work` at most once per `key` (Powertools-style): a completed key replays its stored result, a key in
/// progress is refused, a key reused with a different payload is refused. A failed `work` releases the key so
/// the caller's retry starts afresh.
///
/// Each attempt claims the key under a fresh owner token, and completing or releasing is conditional on still
/// owning it: an attempt that stalled past its lease and was taken over can neither overwrite the new owner's
/// result nor delete its claim (which would let a third attempt repeat the work).
pub(crate) async fn once<T, F, Fut>(
    records: &dyn IdempotencyStore,
    clock: &dyn Clock,
    key: &str,
    payload_hash: &str,
    retention: Retention,
    work: F,
) -> Result<Replayed<T>, AppError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let now = clock.now();
    let owner = owner_token();
    let begin = records.begin_idempotent(key, payload_hash, &owner, now, LEASE).await?;
    if begin != IdempotencyBegin::Started {
        return taken(begin).map(Replayed::Again);
    }
    match work().await {
        Ok(result) => {
            let value = stored(&result)?;
            if let Err(e) = records.complete_idempotent(key, &owner, &value, clock.now(), retention.duration()).await {
                // The work is done and itself idempotent; a retry after the lease resumes it safely.
                tracing::warn!(error = %e, "could not record idempotent result");
            }
            Ok(Replayed::First(result))
        }
        Err(e) => {
            abandon(records, key, &owner).await;
            Err(e)
        }
    }
}

/// What a key someone else holds means for this attempt: the stored result again, or a refusal.
pub(crate) fn taken<T: DeserializeOwned>(begin: IdempotencyBegin) -> Result<T, AppError> {
    match begin {
        IdempotencyBegin::Completed(value) => {
            serde_json::from_value(value).map_err(|e| AppError::Store(booking_ports::StoreError::Corrupt(e.to_string())))
        }
        IdempotencyBegin::InProgress => Err(AppError::InProgress),
        IdempotencyBegin::PayloadMismatch => Err(AppError::IdempotencyKeyReused),
        // Not a refusal: only a caller that did not get the claim asks.
        IdempotencyBegin::Started => Err(AppError::Conflict),
    }
}

/// A result as its idempotency record keeps it.
pub(crate) fn stored<T: Serialize>(result: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(result).map_err(|e| AppError::Store(booking_ports::StoreError::Corrupt(e.to_string())))
}

/// Gives `owner`'s claim up after the work failed, so a retry starts afresh; a failure to do so only delays that
/// retry until the lease ends.
pub(crate) async fn abandon(records: &dyn IdempotencyStore, key: &str, owner: &str) {
    if let Err(e) = records.abandon_idempotent(key, owner).await {
        tracing::warn!(error = %e, "could not release idempotency key");
    }
}

/// A token no other attempt will ever use.
pub(crate) fn owner_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Whether a result was produced now or replayed from an earlier identical request.
#[derive(Debug)]
pub(crate) enum Replayed<T> {
    First(T),
    Again(T),
}

impl<T> Replayed<T> {
    pub(crate) fn into_inner(self) -> T {
        match self {
            Replayed::First(t) | Replayed::Again(t) => t,
        }
    }
}
