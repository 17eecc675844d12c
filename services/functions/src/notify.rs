//! `notify`: consumes the booking table's stream and sends each confirmation / cancellation once.
//!
//! Outbox items are written by the store in the same transaction as the state change they describe. On the wire
//! (a DynamoDB stream `NewImage`, an API boundary) an outbox item is: `pk` = `EVENT#<event id>`, `sk` = `EVENT`,
//! `entity` = `event`, `payload` = the `BookingEvent` as JSON. Other items on the stream are skipped.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use booking_app::{NotifyPorts, deliver_event};
use booking_ports::BookingEvent;
use emf::Emitter;
use lambda_runtime::LambdaEvent;
use serde_dynamo::AttributeValue;
use tower::Service;

use crate::metrics::serve;

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
    pub fn service(
        self: Arc<Self>,
    ) -> impl Service<LambdaEvent<Event>, Response = DynamoDbEventResponse, Error = lambda_runtime::Error, Future: Send + 'static>
    + Clone
    + Send
    + 'static {
        let emitter = Arc::clone(&self.emitter);
        serve(&emitter, move |event: LambdaEvent<Event>| {
            let function = Arc::clone(&self);
            async move { Ok(function.handle(event.payload).await) }
        })
    }

    /// Delivers each outbox insert on the batch. On the first failure it stops and reports that record, so Lambda
    /// retries from there (partial batch response); records before it are done and their retries are no-ops.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        handle(event, &self.ports).await
    }
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
