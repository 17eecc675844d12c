//! The DynamoDB stream event `notify` receives: the event's decoding (`aws_lambda_events`' `Event`, as the
//! Lambda runtime decodes it) and `outbox_event`, which reads a booking event out of each record's new image.
#![no_main]

use aws_lambda_events::event::dynamodb::Event;
use booking_functions::notify::outbox_event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Event>(data) else { return };
    for record in &event.records {
        if let Some(booking_event) = outbox_event(record) {
            // What it read must go out again as the staff topic's message does.
            assert!(serde_json::to_string(&booking_event).is_ok());
        }
    }
});
