//! What AWS does without being asked, done by loops here: the table stream invoking `notify` for each outbox
//! event, the email feedback topic invoking it for each SES notification (the embedded outbox's bounces), and
//! the schedule invoking `sweeper`. They stop when told, between iterations, so a shutdown never interrupts a
//! write halfway (each write is one redb transaction anyway).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::sns::{SnsEvent, SnsRecord};
use booking_embedded::FileOutbox;
use booking_functions::notify::Notify;
use booking_ports::OutboxFeed;
use lambda_runtime::LambdaEvent;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::gateway::{Functions, lambda_context};

/// Feeds pending outbox events to the `notify` handler as DynamoDB stream batches, marking those it delivered.
pub async fn dispatch_once(notify: &Arc<Notify>, outbox: &dyn OutboxFeed) -> usize {
    let pending = match outbox.pending_events(25).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "outbox unreadable");
            return 0;
        }
    };
    if pending.is_empty() {
        return 0;
    }
    let mut records = Vec::new();
    for (i, event) in pending.iter().enumerate() {
        match booking_local_aws::stream_record(event, i as u64 + 1) {
            Ok(record) => records.push(record),
            Err(e) => tracing::error!(error = %e, "could not encode stream record"),
        }
    }
    let mut batch = Event::default();
    batch.records = records;
    let invocation = LambdaEvent::new(batch, lambda_context(&uuid::Uuid::new_v4().to_string()));
    let response = match Arc::clone(notify).service().oneshot(invocation).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "notify failed");
            return 0;
        }
    };
    // Everything before the first failed sequence number was delivered.
    let failed_at = response.batch_item_failures.first().and_then(|f| f.item_identifier.as_deref()).and_then(|s| s.parse::<usize>().ok());
    let mut delivered = 0;
    for (i, event) in pending.iter().enumerate() {
        if failed_at.is_some_and(|seq| i + 1 >= seq) {
            break;
        }
        if let Err(e) = outbox.mark_dispatched(&event.id).await {
            tracing::error!(error = %e, "could not mark event dispatched");
            break;
        }
        delivered += 1;
    }
    delivered
}

/// The SES notifications the embedded outbox wrote (`FileOutbox::feedback_path`), fed to `notify` as the feedback
/// topic's SNS events. Recording a report is idempotent, so feeding the file again after a restart is harmless.
#[derive(Debug)]
pub struct Feedback {
    outbox: PathBuf,
    fed: AtomicUsize,
}

impl Feedback {
    pub fn new(outbox: PathBuf) -> Self {
        Feedback { outbox, fed: AtomicUsize::new(0) }
    }

    pub async fn feed_once(&self, notify: &Notify) -> usize {
        let all = match FileOutbox::read_feedback(&self.outbox) {
            Ok(all) => all,
            Err(e) => {
                tracing::error!(error = %e, "email feedback unreadable");
                return 0;
            }
        };
        let start = self.fed.load(Ordering::SeqCst);
        let Some(new) = all.get(start..).filter(|n| !n.is_empty()) else { return 0 };
        let mut event = SnsEvent::default();
        event.records = new
            .iter()
            .enumerate()
            .map(|(i, notification)| {
                let mut record = SnsRecord::default();
                record.event_source = "aws:sns".into();
                record.sns.message_id = format!("local-feedback-{}", start + i + 1);
                record.sns.message = notification.to_string();
                record
            })
            .collect();
        match notify.handle_feedback(event).await {
            Ok(recorded) => {
                self.fed.store(all.len(), Ordering::SeqCst);
                recorded
            }
            Err(e) => {
                tracing::error!(error = %e, "email feedback not recorded; retried next tick");
                0
            }
        }
    }
}

pub fn spawn_dispatcher(
    functions: Arc<Functions>,
    outbox: Arc<dyn OutboxFeed>,
    feedback: Option<Arc<Feedback>>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            dispatch_once(&functions.notify, outbox.as_ref()).await;
            if let Some(feedback) = &feedback {
                feedback.feed_once(&functions.notify).await;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
        }
        // One last pass so events written just before shutdown are not left for the next start.
        dispatch_once(&functions.notify, outbox.as_ref()).await;
    })
}

/// One scheduled run of the `sweeper` function, invoked as the schedule invokes it (the same handler the
/// scheduled Lambda runs).
pub async fn sweep_once(functions: &Functions) {
    let event = LambdaEvent::new(serde_json::json!({"source": "local.scheduler"}), lambda_context(&uuid::Uuid::new_v4().to_string()));
    if let Err(e) = Arc::clone(&functions.sweeper).service().oneshot(event).await {
        tracing::error!(error = %e, "sweeper failed");
    }
}

pub fn spawn_sweeper(functions: Arc<Functions>, every: Duration, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            sweep_once(&functions).await;
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
        }
    })
}
