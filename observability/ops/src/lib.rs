//! The operator's view of CloudWatch, for `cargo xtask ops` (the command line lives in xtask, the logic here):
//! the bookings funnel with its conversion, payments authorised and failed with the failure ratio, refunds
//! pending, p99 handler latency per function — read with one `GetMetricData` for the counts (metric math for
//! the ratios, the same expressions as the dashboard) and one for the percentiles — and every alarm that is
//! not OK (`DescribeAlarms`).
//!
//! [`forward`] turns EMF documents into `PutMetricData` calls, which is what CloudWatch Logs' metric extraction
//! does in AWS: the local stack uses it to send its metrics to an AWS-compatible endpoint.
//!
//! *Invariants:* metric names come from the catalog (`booking-metrics`), never from literals here; every
//! CloudWatch call has its own error, and a figure that could not be read is reported as unavailable, never
//! as zero.

pub mod forward;
mod query;
mod read;
mod report;
mod window;

pub use query::{CONVERSION_EXPRESSION, FAILURE_RATIO_EXPRESSION};
pub use read::{Target, read};
pub use report::{AlarmStatus, Figure, Funnel, Latency, Payments, Refunds, Report};
pub use window::Window;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{0}` is not a duration like 15m, 24h or 7d")]
    InvalidDuration(String),
    #[error("CloudWatch {operation} failed: {message}")]
    CloudWatch { operation: &'static str, message: String },
    #[error(transparent)]
    Document(#[from] emf::Error),
}

impl Error {
    fn cloudwatch<E: std::error::Error + 'static>(operation: &'static str, error: aws_sdk_cloudwatch::error::SdkError<E>) -> Self {
        // The SDK's Display is terse ("service error"); the HTTP status and the source chain have the detail.
        let mut message = match error.raw_response() {
            Some(response) => format!("HTTP {}: {error}", response.status().as_u16()),
            None => error.to_string(),
        };
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::CloudWatch { operation, message }
    }
}
