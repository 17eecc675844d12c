//! The outbox leaves DynamoDB through its stream: a confirmed booking written by the DynamoDB adapter (on moto)
//! appears on the table's stream as an INSERT whose NEW_IMAGE the notify function reads as the booking event.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use aws_lambda_events::event::dynamodb::EventRecord;
use booking_aws::{DynamoStore, OutboxMarking};
use booking_domain::Action;
use booking_functions::notify::outbox_event;
use booking_local_aws::moto::MotoServer;
use booking_ports::{BookingEvent, BookingWriter, EventKind, Transition};
use booking_store_contract::{held, t0};
use serde_json::{Value, json};

/// One call of the DynamoDB Streams API (awsJson 1.0), as the Lambda event source mapping makes it.
async fn streams(endpoint: &str, action: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(endpoint)
        .header("x-amz-target", format!("DynamoDBStreams_20120810.{action}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20300101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn confirmed_bookings_reach_notify_through_the_stream() {
    let moto = MotoServer::start().await.unwrap();
    let store = DynamoStore::new(&moto.sdk_config(), "stream-test", OutboxMarking::StreamOnly);
    booking_local_aws::create_table(&moto.sdk_config(), "stream-test").await.unwrap();
    let booking = held(7, "g", "classic-double", "2030-02-01", "2030-02-03", 1);
    store.place_hold(&booking, 10).await.unwrap();
    let (next, effect) = booking.apply(Action::Confirm, t0()).unwrap();
    let event =
        BookingEvent::new(booking.reference(), next.version(), EventKind::BookingConfirmed { charged: booking.quote().total }, t0());
    store.transition(Transition { previous: &booking, next: &next, effect, capacity: 10, event: Some(&event) }).await.unwrap();

    let listed = streams(&moto.endpoint, "ListStreams", json!({"TableName": "stream-test"})).await;
    let arn = listed["Streams"][0]["StreamArn"].as_str().expect("the table has a stream").to_owned();
    let described = streams(&moto.endpoint, "DescribeStream", json!({"StreamArn": arn})).await;
    assert_eq!(described["StreamDescription"]["StreamViewType"], "NEW_IMAGE");
    let shard = described["StreamDescription"]["Shards"][0]["ShardId"].as_str().unwrap().to_owned();
    let iterator =
        streams(&moto.endpoint, "GetShardIterator", json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"})).await;
    let records = streams(&moto.endpoint, "GetRecords", json!({"ShardIterator": iterator["ShardIterator"]})).await;

    let found: Vec<BookingEvent> = records["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_value::<EventRecord>(r.clone()).unwrap())
        .filter_map(|r| outbox_event(&r))
        .collect();
    assert_eq!(found, vec![event], "exactly the confirmation, decoded by notify; counters and bookings are skipped");
}
