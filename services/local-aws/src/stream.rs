//! What the booking table's DynamoDB stream delivers for an outbox insert: the local stack hands these to
//! `notify` as the stream's event source mapping does in AWS.

use aws_lambda_events::event::dynamodb::EventRecord;
use booking_ports::BookingEvent;

/// The stream record DynamoDB would deliver for an outbox insert: what the local stack feeds `notify`. The layout
/// is the outbox item's (an API boundary, see ARCHITECTURE.md).
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
