//! The AWS notifier over the wire (moto): guest email through SES v2, SMS and staff events through SNS; what was
//! sent is read back from moto's inspection endpoint.
//!
//! moto gaps, proven on the wire instead (a recording pass-through in front of moto keeps each request body):
//! moto's `SendEmail` accepts any `ConfigurationSetName` (even one that does not exist) and drops `EmailTags`, and it
//! keeps no SNS message attributes on SMS. Its configuration-set event destinations are not implemented at all
//! (HTTP 404), so the bounce path is proven by feeding `notify` SES's documented notification shape
//! (`services/functions/tests/email_feedback.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use booking_aws::{AwsNotifier, SesSettings};
use booking_domain::BookingRef;
use booking_local_aws::moto::MotoServer;
use booking_ports::{Channel, Notifier, NotifyError, OutboundMessage};
use serde_json::Value;

fn message(channel: Channel, body: &str) -> OutboundMessage {
    let reference = BookingRef::from_entropy(1);
    let event_id = format!("{reference}#v3");
    let suffix = match &channel {
        Channel::Email { .. } => "email",
        Channel::Sms { .. } => "sms",
        Channel::Staff { .. } => "staff",
    };
    OutboundMessage { dedup_key: format!("{event_id}/{suffix}"), event_id, reference, channel, body: body.into() }
}

fn ses(configuration_set: &str) -> SesSettings {
    SesSettings { from_address: "Harbour View <bookings@hotel.example>".into(), configuration_set: configuration_set.into() }
}

/// A local stack restarted on the same moto (the soak's SIGKILL and restart) runs its setup again.
#[tokio::test]
async fn the_mail_setup_can_run_again_on_the_same_account() {
    let moto = MotoServer::start().await.unwrap();
    let config = moto.sdk_config();
    booking_local_aws::create_email_identity(&config, "hotel.example", "guest-mail").await.unwrap();
    booking_local_aws::create_email_identity(&config, "hotel.example", "guest-mail").await.unwrap();
}

#[tokio::test]
async fn email_through_ses_sms_and_staff_events_through_sns() {
    let moto = MotoServer::start().await.unwrap();
    let recorder = support::record_in_front_of(&moto.endpoint).await;
    let config = moto.sdk_config().into_builder().endpoint_url(&recorder.endpoint).build();
    let topic = booking_local_aws::create_topic(&config, "booking-events").await.unwrap();
    booking_local_aws::create_email_identity(&config, "hotel.example", "guest-mail").await.unwrap();
    let notifier = AwsNotifier::new(&config, ses("guest-mail"), topic.clone());
    let email = message(
        Channel::Email { to: "ada@example.com".into(), subject: "Booking confirmed\r\nBcc: x@evil.example".into() },
        "Dear Ada, your booking is confirmed.",
    );
    let sms = message(Channel::Sms { to: "+14155550100".into() }, "Booking confirmed.");
    let staff = message(Channel::Staff { subject: "Booking confirmed".into() }, "Booking confirmed: 1 x Classic Double.");
    for m in [&email, &sms, &staff] {
        notifier.send(m).await.unwrap();
    }

    let data = moto.data().await.unwrap();
    // The email: from the hotel's identity, to the guest alone, subject on one line, no subscription anywhere.
    let mails = data["ses"]["Message"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0]["source"], "Harbour View <bookings@hotel.example>");
    assert_eq!(mails[0]["destinations"]["ToAddresses"], serde_json::json!(["ada@example.com"]));
    assert_eq!(mails[0]["subject"], "Booking confirmedBcc: x@evil.example", "control characters are dropped from the subject");
    assert_eq!(mails[0]["body"], "Dear Ada, your booking is confirmed.");
    let subs = aws_sdk_sns::Client::new(&config).list_subscriptions().send().await.unwrap();
    assert!(subs.subscriptions().is_empty(), "no per-guest subscription: {subs:?}");
    // The staff event: on the booking-events topic, nothing addressed to a guest.
    let topic_data = data["sns"]["Topic"].as_array().unwrap().iter().find(|t| t["arn"] == topic.as_str()).unwrap().clone();
    let sent = topic_data["sent_notifications"].as_array().unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0][1], "Booking confirmed: 1 x Classic Double.");
    assert!(!sent[0].to_string().contains("ada@example.com"));
    // The SMS: direct to the phone.
    let texts = data["sns"]["SMS"].as_array().unwrap();
    assert_eq!(texts.len(), 1);
    assert!(texts[0].to_string().contains("+14155550100"));

    // What moto does not keep, on the wire: the configuration set and tags on the email, Transactional on the SMS.
    let wire = recorder.bodies.lock().unwrap().clone();
    let send_email: Value =
        wire.iter().filter_map(|b| serde_json::from_str::<Value>(b).ok()).find(|b| b.get("FromEmailAddress").is_some()).unwrap();
    assert_eq!(send_email["ConfigurationSetName"], "guest-mail");
    let reference = email.reference.to_string();
    assert_eq!(
        send_email["EmailTags"],
        serde_json::json!([
            {"Name": "booking", "Value": reference},
            {"Name": "event", "Value": format!("{reference}_v3")},
            {"Name": "channel", "Value": "email"}
        ])
    );
    let sms_request = wire.iter().find(|b| b.contains("PhoneNumber=")).expect("an SMS publish on the wire");
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(sms_request.as_bytes()).into_owned().collect();
    assert_eq!(form.get("MessageAttributes.entry.1.Name").map(String::as_str), Some("AWS.SNS.SMS.SMSType"), "{form:?}");
    assert_eq!(form.get("MessageAttributes.entry.1.Value.StringValue").map(String::as_str), Some("Transactional"), "{form:?}");
}

#[tokio::test]
async fn an_unverified_sender_is_a_final_refusal_and_bad_numbers_never_reach_sns() {
    let moto = MotoServer::start().await.unwrap();
    let config = moto.sdk_config();
    let topic = booking_local_aws::create_topic(&config, "t").await.unwrap();
    // No identity: SES refuses the sender (MessageRejected), which retrying cannot fix.
    let notifier = AwsNotifier::new(&config, ses("guest-mail"), topic);
    let email = message(Channel::Email { to: "ada@example.com".into(), subject: "s".into() }, "b");
    assert!(matches!(notifier.send(&email).await, Err(NotifyError::Rejected(m)) if m.contains("not verified")));
    let blank = message(Channel::Email { to: " ".into(), subject: "s".into() }, "b");
    assert!(matches!(notifier.send(&blank).await, Err(NotifyError::Rejected(_))));
    for bad in ["0155550100", "+0155550100", "+1 415 555 0100", "+1234567"] {
        let sms = message(Channel::Sms { to: bad.into() }, "x");
        assert!(matches!(notifier.send(&sms).await, Err(NotifyError::Rejected(_))), "{bad}");
    }
    let data = moto.data().await.unwrap();
    assert!(data["sns"]["SMS"].as_array().is_none_or(|a| a.is_empty()));
    assert!(data["ses"]["Message"].as_array().is_none_or(|a| a.is_empty()));
}

#[tokio::test]
async fn an_unreachable_service_is_worth_retrying() {
    // Nothing listens here: a transport failure, not a refusal.
    let config = booking_aws::emulator_config("http://127.0.0.1:9");
    let notifier = AwsNotifier::new(&config, ses("guest-mail"), "arn:aws:sns:us-east-1:000000000000:t");
    for m in [
        message(Channel::Email { to: "ada@example.com".into(), subject: "s".into() }, "b"),
        message(Channel::Staff { subject: "s".into() }, "b"),
    ] {
        assert!(matches!(notifier.send(&m).await, Err(NotifyError::Unavailable(_))), "{m:?}");
    }
}
