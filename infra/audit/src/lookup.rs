//! `LookupEvents`: the last 90 days of management events of one region, 50 per page, at most 2 requests per
//! second per region (CloudTrail's documented limit). Requests are paced by [`Pacing`]; a throttled request is
//! retried after an exponential backoff. The SDK's own retries are turned off for this call so that the pacing
//! here is the only thing deciding when a request goes out.

use std::time::Duration;

use serde::Serialize;

/// Request pacing for one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// The least time between two requests (2 requests/s → 500 ms).
    pub interval: Duration,
    /// The first wait after a throttled request; doubled on each further one.
    pub backoff: Duration,
    /// Attempts per page before giving up.
    pub attempts: u32,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing { interval: Duration::from_millis(500), backoff: Duration::from_secs(1), attempts: 6 }
    }
}

/// The largest page `LookupEvents` returns.
pub const PAGE_SIZE: i32 = 50;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LookupStats {
    pub region: String,
    pub pages: u64,
    pub events: u64,
    pub throttled: u64,
    /// Events whose `CloudTrailEvent` is not a record (counted, not evaluated).
    pub unparsable: u64,
}

pub trait LookupProgress {
    fn page_done(&mut self, region: &str, pages: u64, events: u64);
}

impl<F: FnMut(&str, u64, u64)> LookupProgress for F {
    fn page_done(&mut self, region: &str, pages: u64, events: u64) {
        self(region, pages, events)
    }
}

/// CloudTrail answers an exceeded rate with `ThrottlingException`; other spellings and a bare 429 count too.
pub fn is_throttling(code: Option<&str>, status: Option<u16>) -> bool {
    matches!(code, Some("ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded")) || status == Some(429)
}

#[cfg(feature = "aws")]
pub(crate) use api::is_access_denied;
#[cfg(feature = "aws")]
pub use api::lookup_events;

/// The calls themselves: only with the `aws` feature (the fuzz parser targets' build leaves the SDKs out).
#[cfg(feature = "aws")]
mod api {
    use aws_sdk_cloudtrail::config::retry::RetryConfig;
    use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
    use aws_sdk_cloudtrail::primitives::DateTime as SdkTime;
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    use chrono::{DateTime, Utc};
    use tokio::time::Instant;

    use super::{LookupProgress, LookupStats, PAGE_SIZE, Pacing, is_throttling};
    use crate::AuditError;
    use crate::engine::Engine;
    use crate::records::parse_record;

    /// Every event of `[since, until)` in the client's region (only `event_name` when given), through `engine`.
    #[allow(clippy::too_many_arguments, reason = "each is a different, required input of one paginated query")]
    pub async fn lookup_events(
        client: &aws_sdk_cloudtrail::Client,
        region: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        event_name: Option<&str>,
        pacing: Pacing,
        engine: &mut Engine<'_>,
        progress: &mut dyn LookupProgress,
    ) -> Result<LookupStats, AuditError> {
        let mut stats = LookupStats { region: region.to_owned(), ..LookupStats::default() };
        let attribute = match event_name {
            Some(name) => Some(
                LookupAttribute::builder()
                    .attribute_key(LookupAttributeKey::EventName)
                    .attribute_value(name)
                    .build()
                    .map_err(|e| AuditError::Usage(e.to_string()))?,
            ),
            None => None,
        };
        let mut token: Option<String> = None;
        let mut last_request: Option<Instant> = None;
        loop {
            let mut attempt = 0;
            let page = loop {
                if let Some(last) = last_request {
                    tokio::time::sleep_until(last + pacing.interval).await;
                }
                last_request = Some(Instant::now());
                let result = client
                    .lookup_events()
                    .start_time(SdkTime::from_secs(since.timestamp()))
                    .end_time(SdkTime::from_secs(until.timestamp()))
                    .max_results(PAGE_SIZE)
                    .set_next_token(token.clone())
                    .set_lookup_attributes(attribute.clone().map(|a| vec![a]))
                    .customize()
                    .config_override(aws_sdk_cloudtrail::config::Builder::default().retry_config(RetryConfig::disabled()))
                    .send()
                    .await;
                match result {
                    Ok(page) => break page,
                    Err(e) if is_throttling(e.code(), status(&e)) => {
                        attempt += 1;
                        stats.throttled += 1;
                        if attempt >= pacing.attempts {
                            return Err(AuditError::Throttled { operation: "LookupEvents", target: region.to_owned(), attempts: attempt });
                        }
                        tokio::time::sleep(pacing.backoff * 2u32.saturating_pow(attempt - 1)).await;
                    }
                    Err(e) => {
                        let code = e.code().unwrap_or_default().to_owned();
                        let detail = format!("{code} {}", e.message().unwrap_or_default()).trim().to_owned();
                        let detail = if detail.is_empty() { format!("{e:?}") } else { detail };
                        return Err(if is_access_denied(&code) {
                            AuditError::AccessDenied { permission: "cloudtrail:LookupEvents", target: region.to_owned(), detail }
                        } else {
                            AuditError::Api { operation: "LookupEvents", target: region.to_owned(), detail }
                        });
                    }
                }
            };
            stats.pages += 1;
            for event in page.events() {
                let Some(json) = event.cloud_trail_event() else { continue };
                stats.events += 1;
                match parse_record(json) {
                    Ok(record) => engine.observe(&record),
                    Err(_) => stats.unparsable += 1,
                }
            }
            progress.page_done(region, stats.pages, stats.events);
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(stats);
            }
        }
    }

    fn status<E, R: HasStatus>(error: &aws_sdk_cloudtrail::error::SdkError<E, R>) -> Option<u16> {
        error.raw_response().map(HasStatus::status_code)
    }

    trait HasStatus {
        fn status_code(&self) -> u16;
    }

    impl HasStatus for aws_sdk_cloudtrail::config::http::HttpResponse {
        fn status_code(&self) -> u16 {
            self.status().as_u16()
        }
    }

    pub(crate) fn is_access_denied(code: &str) -> bool {
        code.contains("AccessDenied") || matches!(code, "UnrecognizedClientException" | "InvalidClientTokenId" | "NotAuthorized")
    }
}
