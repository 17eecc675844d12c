//! The SNS notifier over the wire (moto): what was published is read back from moto's inspection endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use booking_aws::SnsNotifier;
use booking_local_aws::moto::MotoServer;
use booking_ports::{Channel, Notifier, NotifyError, OutboundMessage};

#[tokio::test]
async fn publishes_email_to_the_topic_and_sms_to_the_phone() {
    let moto = MotoServer::start().await.unwrap();
    // moto keeps SMS text but not their message attributes: record the wire requests to check those.
    let recorder = support::record_in_front_of(&moto.endpoint).await;
    let config = moto.sdk_config().into_builder().endpoint_url(&recorder.endpoint).build();
    let topic = booking_local_aws::create_topic(&config, "booking-notifications").await.unwrap();
    let notifier = SnsNotifier::new(&config, topic);
    let email = OutboundMessage {
        dedup_key: "HB-0000-0001#v3/email".into(),
        channel: Channel::Email { to: "ada@example.com".into(), subject: "Booking HB-0000-0001 confirmed".into() },
        body: "Dear Ada, your booking is confirmed.".into(),
    };
    let sms = OutboundMessage {
        dedup_key: "HB-0000-0001#v3/sms".into(),
        channel: Channel::Sms { to: "+14155550100".into() },
        body: "Booking HB-0000-0001 confirmed.".into(),
    };
    notifier.send(&email).await.unwrap();
    notifier.send(&sms).await.unwrap();

    let data = moto.data().await.unwrap();
    let sns = &data["sns"];
    let topic = sns["Topic"].as_array().unwrap().iter().find(|t| t["arn"] == notifier.topic_arn()).expect("topic recorded");
    let sent = topic["sent_notifications"].as_array().unwrap();
    assert_eq!(sent.len(), 1, "{topic}");
    let rendered = sent[0].to_string();
    assert!(rendered.contains("Dear Ada, your booking is confirmed.") && rendered.contains("Booking HB-0000-0001 confirmed"), "{rendered}");
    assert!(rendered.contains("ada@example.com"), "the recipient travels as a message attribute for the subscription filter: {rendered}");
    // The guest's email subscription exists and only lets their own messages through.
    let client = aws_sdk_sns::Client::new(&config);
    let subs = client.list_subscriptions_by_topic().topic_arn(notifier.topic_arn()).send().await.unwrap();
    let sub = subs.subscriptions().iter().find(|s| s.endpoint() == Some("ada@example.com")).expect("email subscription");
    assert_eq!(sub.protocol(), Some("email"));
    let attributes = client.get_subscription_attributes().subscription_arn(sub.subscription_arn().unwrap()).send().await.unwrap();
    let policy: serde_json::Value = serde_json::from_str(&attributes.attributes().unwrap()["FilterPolicy"]).unwrap();
    assert_eq!(policy, serde_json::json!({"recipient": ["ada@example.com"]}));
    // Sending again does not add a second subscription.
    notifier.send(&email).await.unwrap();
    let subs = client.list_subscriptions_by_topic().topic_arn(notifier.topic_arn()).send().await.unwrap();
    assert_eq!(subs.subscriptions().iter().filter(|s| s.endpoint() == Some("ada@example.com")).count(), 1);
    let data = moto.data().await.unwrap();
    let sns = &data["sns"];
    let texts = sns["SMS"].as_array().unwrap();
    assert_eq!(texts.len(), 1, "{sns}");
    let text = texts[0].to_string();
    assert!(text.contains("+14155550100") && text.contains("Booking HB-0000-0001 confirmed."), "{text}");
    let wire = recorder.bodies.lock().unwrap().clone();
    let sms_request = wire.iter().find(|b| b.contains("PhoneNumber=")).expect("an SMS publish on the wire");
    let form: std::collections::HashMap<String, String> = url::form_urlencoded::parse(sms_request.as_bytes()).into_owned().collect();
    assert_eq!(form.get("MessageAttributes.entry.1.Name").map(String::as_str), Some("AWS.SNS.SMS.SMSType"), "{form:?}");
    assert_eq!(form.get("MessageAttributes.entry.1.Value.StringValue").map(String::as_str), Some("Transactional"), "{form:?}");
}

#[tokio::test]
async fn refuses_numbers_that_are_not_e164_before_calling_sns() {
    let moto = MotoServer::start().await.unwrap();
    let notifier = SnsNotifier::new(&moto.sdk_config(), booking_local_aws::create_topic(&moto.sdk_config(), "t").await.unwrap());
    for bad in ["0155550100", "+0155550100", "+1 415 555 0100", "+1234567"] {
        let sms = OutboundMessage { dedup_key: "k".into(), channel: Channel::Sms { to: bad.into() }, body: "x".into() };
        assert!(matches!(notifier.send(&sms).await, Err(NotifyError::Rejected(_))), "{bad}");
    }
    assert!(moto.data().await.unwrap()["sns"]["SMS"].as_array().is_none_or(|a| a.is_empty()));
}
