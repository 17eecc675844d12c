//! `notify`: consumes the booking table's stream and sends each confirmation / cancellation once.
//!
//! Outbox items are written by the store in the same transaction as the state change they describe. On the wire
//! (a DynamoDB stream `NewImage`, an API boundary) an outbox item is: `pk` = `EVENT#<event id>`, `sk` = `EVENT`,
//! `entity` = `event`, `payload` = the `BookingEvent` as JSON. Other items on the stream are skipped.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use booking_app::{Services, deliver_event};
use booking_ports::BookingEvent;
use serde_dynamo::AttributeValue;

/// Delivers each outbox insert on the batch. On the first failure it stops and reports that record, so Lambda
/// retries from there (partial batch response); records before it are done and their retries are no-ops.
pub async fn handle(event: Event, svc: &Services) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        let Some(booking_event) = outbox_event(record) else { continue };
        if let Err(e) = deliver_event(svc, &booking_event).await {
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

/// The stream record DynamoDB would deliver for an outbox insert; the local stack feeds these to [`handle`].
pub fn stream_record(event: &BookingEvent, sequence_number: u64) -> Result<EventRecord, serde_json::Error> {
    let payload = serde_json::to_string(event)?;
    serde_json::from_value(serde_json::json!({
        "awsRegion": "local",
        "eventID": format!("local-{sequence_number}"),
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "dynamodb": {
            "ApproximateCreationDateTime": event.occurred_at.timestamp(),
            "Keys": { "pk": { "S": format!("EVENT#{}", event.id) }, "sk": { "S": "EVENT" } },
            "NewImage": {
                "pk": { "S": format!("EVENT#{}", event.id) },
                "sk": { "S": "EVENT" },
                "entity": { "S": "event" },
                "payload": { "S": payload }
            },
            "SequenceNumber": sequence_number.to_string(),
            "SizeBytes": 256,
            "StreamViewType": "NEW_IMAGE"
        }
    }))
}
