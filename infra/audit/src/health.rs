//! Is the audit trail still what `monitoring.yaml` declares? `DescribeTrails`, `GetTrailStatus` and
//! `GetEventSelectors` in the trail's home region, each fact a check that passes or fails with a severity:
//! logging on, multi-region, global service events, log file validation, KMS encryption, a log file delivered
//! within a day and a digest within two hours (CloudTrail writes one every hour, even an empty one), no
//! delivery errors, and every advanced event selector of the template still present with its resources.

use chrono::TimeDelta;
use serde::Serialize;

use crate::rules::Severity;

/// A log file is delivered every few minutes while anything happens in the account.
pub const LOG_DELIVERY_MAX_AGE: TimeDelta = TimeDelta::hours(24);
/// Digests are delivered hourly, empty ones included.
pub const DIGEST_DELIVERY_MAX_AGE: TimeDelta = TimeDelta::hours(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    TrailExists,
    Logging,
    MultiRegion,
    GlobalServiceEvents,
    LogFileValidation,
    KmsEncryption,
    LogDelivery,
    DigestDelivery,
    DeliveryErrors,
    EventSelector,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::TrailExists => "trail exists",
            Check::Logging => "logging",
            Check::MultiRegion => "multi-region",
            Check::GlobalServiceEvents => "global service events",
            Check::LogFileValidation => "log file validation",
            Check::KmsEncryption => "KMS encryption",
            Check::LogDelivery => "log delivery",
            Check::DigestDelivery => "digest delivery",
            Check::DeliveryErrors => "delivery errors",
            Check::EventSelector => "event selector",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthCheck {
    pub check: Check,
    pub passed: bool,
    /// How much a failure matters (the check's weight, also when it passes).
    pub severity: Severity,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrailHealth {
    pub trail: String,
    pub region: String,
    pub arn: Option<String>,
    pub checks: Vec<HealthCheck>,
}

impl TrailHealth {
    pub fn failures(&self) -> impl Iterator<Item = &HealthCheck> {
        self.checks.iter().filter(|c| !c.passed)
    }
}

#[cfg(feature = "aws")]
pub use api::trail_health;

/// The checks through the CloudTrail API: only with the `aws` feature (the fuzz parser targets' build leaves the SDKs
/// out).
#[cfg(feature = "aws")]
mod api {
    use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
    use aws_sdk_cloudtrail::types::AdvancedEventSelector;
    use chrono::{DateTime, TimeDelta, Utc};

    use super::{Check, DIGEST_DELIVERY_MAX_AGE, HealthCheck, LOG_DELIVERY_MAX_AGE, TrailHealth};
    use crate::AuditError;
    use crate::catalogue::{ExpectedSelector, TrailSpec};
    use crate::lookup::is_access_denied;
    use crate::rules::Severity;

    fn api_error<E: ProvideErrorMetadata>(permission: &'static str, operation: &'static str, region: &str, error: &E) -> AuditError {
        let code = error.code().unwrap_or_default().to_owned();
        let detail = format!("{code} {}", error.message().unwrap_or_default()).trim().to_owned();
        if is_access_denied(&code) {
            AuditError::AccessDenied { permission, target: region.to_owned(), detail }
        } else {
            AuditError::Api { operation, target: region.to_owned(), detail }
        }
    }

    /// Checks the trail `spec` names, through a client of its home region.
    pub async fn trail_health(
        client: &aws_sdk_cloudtrail::Client,
        region: &str,
        spec: &TrailSpec,
        now: DateTime<Utc>,
    ) -> Result<TrailHealth, AuditError> {
        let mut health = TrailHealth { trail: spec.name.clone(), region: region.to_owned(), arn: None, checks: Vec::new() };
        let trails = client
            .describe_trails()
            .trail_name_list(&spec.name)
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| api_error("cloudtrail:DescribeTrails", "DescribeTrails", region, &e))?;
        let Some(trail) = trails.trail_list().iter().find(|t| t.name() == Some(spec.name.as_str())) else {
            health.checks.push(fail(Check::TrailExists, Severity::Critical, format!("no trail named {} in {region}", spec.name)));
            return Ok(health);
        };
        health.arn = trail.trail_arn().map(str::to_owned);
        let id = trail.trail_arn().unwrap_or(&spec.name).to_owned();
        health.checks.push(pass(Check::TrailExists, Severity::Critical, id.clone()));
        let flag = |check, severity, value: Option<bool>, what: &str| {
            if value == Some(true) { pass(check, severity, what.to_owned()) } else { fail(check, severity, format!("not {what}")) }
        };
        health.checks.push(flag(Check::MultiRegion, Severity::High, trail.is_multi_region_trail(), "multi-region"));
        health.checks.push(flag(
            Check::GlobalServiceEvents,
            Severity::High,
            trail.include_global_service_events(),
            "recording global service events (IAM, CloudFront, STS)",
        ));
        health.checks.push(flag(Check::LogFileValidation, Severity::High, trail.log_file_validation_enabled(), "validating log files"));
        health.checks.push(match trail.kms_key_id().filter(|k| !k.is_empty()) {
            Some(key) => pass(Check::KmsEncryption, Severity::High, key.to_owned()),
            None => fail(Check::KmsEncryption, Severity::High, "log files are not encrypted with a KMS key".into()),
        });

        let status = client
            .get_trail_status()
            .name(&id)
            .send()
            .await
            .map_err(|e| api_error("cloudtrail:GetTrailStatus", "GetTrailStatus", region, &e))?;
        health.checks.push(flag(Check::Logging, Severity::Critical, status.is_logging(), "logging"));
        health.checks.push(recent(
            Check::LogDelivery,
            Severity::Medium,
            status.latest_delivery_time(),
            LOG_DELIVERY_MAX_AGE,
            now,
            "log file",
        ));
        health.checks.push(recent(
            Check::DigestDelivery,
            Severity::High,
            status.latest_digest_delivery_time(),
            DIGEST_DELIVERY_MAX_AGE,
            now,
            "digest",
        ));
        let errors: Vec<String> = [
            ("delivery", status.latest_delivery_error()),
            ("digest delivery", status.latest_digest_delivery_error()),
            ("CloudWatch Logs delivery", status.latest_cloud_watch_logs_delivery_error()),
            ("notification", status.latest_notification_error()),
        ]
        .into_iter()
        .filter_map(|(what, error)| error.filter(|e| !e.is_empty()).map(|e| format!("{what}: {e}")))
        .collect();
        health.checks.push(if errors.is_empty() {
            pass(Check::DeliveryErrors, Severity::High, "none".into())
        } else {
            fail(Check::DeliveryErrors, Severity::High, errors.join("; "))
        });

        let selectors = client
            .get_event_selectors()
            .trail_name(&id)
            .send()
            .await
            .map_err(|e| api_error("cloudtrail:GetEventSelectors", "GetEventSelectors", region, &e))?;
        for expected in &spec.selectors {
            let found = selectors.advanced_event_selectors().iter().any(|actual| covers(actual, expected));
            let label = format!("\"{}\"", expected.name);
            health.checks.push(if found {
                pass(Check::EventSelector, Severity::High, label)
            } else {
                fail(Check::EventSelector, Severity::High, format!("{label} is missing or narrower than the template"))
            });
        }
        Ok(health)
    }

    /// Whether `actual` records at least what `expected` asks for: every expected field and operator is there, and
    /// every expected value matches one of its values.
    fn covers(actual: &AdvancedEventSelector, expected: &ExpectedSelector) -> bool {
        expected.fields.iter().all(|field| {
            actual.field_selectors().iter().filter(|a| a.field() == field.field).any(|a| {
                let values = match field.operator.as_str() {
                    "Equals" => a.equals(),
                    "StartsWith" => a.starts_with(),
                    "EndsWith" => a.ends_with(),
                    "NotEquals" => a.not_equals(),
                    "NotStartsWith" => a.not_starts_with(),
                    "NotEndsWith" => a.not_ends_with(),
                    _ => &[],
                };
                field.values.iter().all(|wanted| values.iter().any(|v| wanted.matches(v)))
            })
        })
    }

    fn recent(
        check: Check,
        severity: Severity,
        time: Option<&aws_sdk_cloudtrail::primitives::DateTime>,
        max_age: TimeDelta,
        now: DateTime<Utc>,
        what: &str,
    ) -> HealthCheck {
        match time.and_then(|t| DateTime::from_timestamp(t.secs(), 0)) {
            Some(at) if now - at <= max_age => pass(check, severity, format!("last {what} {}", at.format("%Y-%m-%dT%H:%M:%SZ"))),
            Some(at) => fail(
                check,
                severity,
                format!("last {what} {} ({} ago, more than {} h)", at.format("%Y-%m-%dT%H:%M:%SZ"), age(now - at), max_age.num_hours()),
            ),
            None => fail(check, severity, format!("no {what} delivery recorded")),
        }
    }

    /// `2 h 58 min`, or `3 days` past two days.
    fn age(delta: TimeDelta) -> String {
        if delta.num_hours() >= 48 {
            format!("{} days", delta.num_days())
        } else {
            format!("{} h {} min", delta.num_hours(), delta.num_minutes() % 60)
        }
    }

    fn pass(check: Check, severity: Severity, detail: String) -> HealthCheck {
        HealthCheck { check, passed: true, severity, detail }
    }

    fn fail(check: Check, severity: Severity, detail: String) -> HealthCheck {
        HealthCheck { check, passed: false, severity, detail }
    }
}
