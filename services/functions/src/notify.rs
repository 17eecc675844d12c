//! `notify`: consumes the booking table's stream and sends each confirmation / cancellation once; and takes the
//! email feedback topic's SES event notifications (bounces, complaints, deliveries) into the delivery states.
//!
//! Outbox items are written by the store in the same transaction as the state change they describe. On the wire
//! (a DynamoDB stream `NewImage`, an API boundary) an outbox item is: `pk` = `EVENT#<event id>`, `sk` = `EVENT`,
//! `entity` = `event`, `payload` = the `BookingEvent` as JSON. Other items on the stream are skipped.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use booking_app::{AppError, NotifyPorts, deliver_event, record_delivery_report};
use booking_ports::BookingEvent;
use emf::Emitter;
use serde_dynamo::AttributeValue;

use crate::metrics::{EventService, event_service};

/// The function, wired.
#[derive(Debug, Clone)]
pub struct Notify {
    ports: NotifyPorts,
    emitter: Arc<Emitter>,
}

impl Notify {
    pub fn new(ports: NotifyPorts, emitter: Arc<Emitter>) -> Self {
        Notify { ports, emitter }
    }

    /// The function as both hosts invoke it (the table's stream in Lambda, the local stack's poller): each batch
    /// is one metrics invocation.
    pub fn service(self: Arc<Self>) -> impl EventService<Event, DynamoDbEventResponse> {
        event_service(Arc::clone(&self.emitter), self, |function, batch| async move {
            Ok::<_, lambda_runtime::Error>(function.handle(batch).await)
        })
    }

    /// The Lambda's one handler for both triggers ([`Notify::handle_any`]), each invocation one metrics
    /// invocation as in [`Notify::service`].
    pub fn lambda_service(self: Arc<Self>) -> impl EventService<serde_json::Value, serde_json::Value> {
        event_service(Arc::clone(&self.emitter), self, |function, payload| async move { function.handle_any(payload).await })
    }

    /// Delivers each outbox insert on the batch. On the first failure it stops and reports that record, so Lambda
    /// retries from there (partial batch response); records before it are done and their retries are no-ops.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        handle(event, &self.ports).await
    }

    /// Records what each SES event notification on the feedback topic reports. Notifications that report nothing
    /// (other event types, mail notify did not send, unreadable bodies) are logged and dropped; a store failure
    /// is an error, so Lambda's asynchronous retries try the whole event again (recording is idempotent).
    pub async fn handle_feedback(&self, event: SnsEvent) -> Result<usize, AppError> {
        let mut recorded = 0;
        for record in &event.records {
            match crate::feedback::delivery_report(&record.sns.message) {
                Ok(report) => {
                    record_delivery_report(&self.ports, &report).await?;
                    recorded += 1;
                }
                Err(reason) => tracing::warn!(message_id = %record.sns.message_id, %reason, "feedback notification not recorded"),
            }
        }
        Ok(recorded)
    }

    /// One entry point for both triggers (the Lambda has one handler): SNS records carry `EventSource` =
    /// `aws:sns`, stream records `eventSource` = `aws:dynamodb`. Returns the stream's partial batch response, or
    /// `null` for the topic.
    pub async fn handle_any(&self, payload: serde_json::Value) -> Result<serde_json::Value, InvocationError> {
        if payload["Records"][0]["EventSource"] == "aws:sns" {
            self.handle_feedback(serde_json::from_value(payload)?).await?;
            Ok(serde_json::Value::Null)
        } else {
            let response = self.handle(serde_json::from_value(payload)?).await;
            Ok(serde_json::to_value(response)?)
        }
    }
}

/// Why an invocation failed as a whole (Lambda retries it).
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error("neither a DynamoDB stream nor an SNS event: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error(transparent)]
    App(#[from] AppError),
}

async fn handle(event: Event, ports: &NotifyPorts) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let Some(booking_event) = outbox_event(record) else { continue };
        if let Err(e) = deliver_event(ports, &booking_event).await {
            tracing::error!(event = %booking_event.id, error = %e, "notification failed; batch will be retried from here");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

/// The booking event in a stream record, if it is an outbox insert.
pub fn outbox_event(record: &EventRecord) -> Option<BookingEvent> {
    if record.event_name != "INSERT" {
        return None;
    }
    let image = &record.change.new_image;
    match (image.get("entity"), image.get("payload")) {
        (Some(AttributeValue::S(entity)), Some(AttributeValue::S(payload))) if entity == "event" => match serde_json::from_str(payload) {
            Ok(event) => Some(event),
            Err(e) => {
                tracing::error!(error = %e, "unreadable outbox payload skipped");
                None
            }
        },
        _ => None,
    }
}
