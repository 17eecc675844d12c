//! Each Lambda binary reads only its own configuration: a function missing what it does not need still starts
//! (as far as a runtime loop outside Lambda can), and one missing what it needs stops at cold start naming the
//! variable. The variables are the ones `FunctionSpec::aws_environment` lists (checked against the templates).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::process::Command;

/// Runs a binary with exactly `env` and returns what it printed on stderr. Outside Lambda it cannot reach a
/// runtime (lambda_runtime stops on its missing `AWS_LAMBDA_*` variables), so a correctly wired function ends there.
fn cold_start(bin: &str, env: &[(&str, &str)]) -> String {
    let output = Command::new(bin)
        .env_clear()
        .envs(env.iter().copied())
        .env("AWS_REGION", "us-east-1")
        .env("POWERTOOLS_METRICS_NAMESPACE", "HarbourView/test")
        .env("POWERTOOLS_SERVICE_NAME", "booking")
        .env("AWS_LAMBDA_FUNCTION_NAME", "harbour-test-function")
        .output()
        .unwrap();
    assert!(!output.status.success(), "outside Lambda the runtime loop cannot start");
    String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout)
}

#[test]
fn functions_need_only_their_own_configuration() {
    let table = ("TABLE_NAME", "bookings");
    let topic = ("BOOKING_EVENTS_TOPIC_ARN", "arn:aws:sns:us-east-1:000000000000:notifications");
    let from = ("SES_FROM_ADDRESS", "bookings@hotel.example");
    let mail = ("SES_CONFIGURATION_SET", "guest-mail");
    let stripe = ("STRIPE_SECRET_KEY", "sk_test_unused");
    let webhook = ("STRIPE_WEBHOOK_SECRET", "whsec_unused");

    // notify: store + SES + SNS, no Stripe.
    let out = cold_start(env!("CARGO_BIN_EXE_notify"), &[table, topic]);
    assert!(out.contains("SES_FROM_ADDRESS is required"), "{out}");
    let out = cold_start(env!("CARGO_BIN_EXE_notify"), &[table, topic, from, mail]);
    assert!(out.contains("Missing AWS_LAMBDA_") && !out.contains("STRIPE"), "{out}");
    // payment, sweeper: store + Stripe, no topic.
    for bin in [env!("CARGO_BIN_EXE_payment"), env!("CARGO_BIN_EXE_sweeper")] {
        let out = cold_start(bin, &[table, stripe]);
        assert!(out.contains("Missing AWS_LAMBDA_") && !out.contains("TOPIC_ARN") && !out.contains("SES_"), "{bin}: {out}");
        let out = cold_start(bin, &[table]);
        assert!(out.contains("STRIPE_SECRET_KEY is required"), "{bin}: {out}");
    }
    // query: the store alone; it never touches Stripe or SNS.
    let out = cold_start(env!("CARGO_BIN_EXE_query"), &[table]);
    assert!(out.contains("Missing AWS_LAMBDA_") && !out.contains("STRIPE") && !out.contains("TOPIC") && !out.contains("SES_"), "{out}");
    // record: Stripe and its webhook secret.
    let out = cold_start(env!("CARGO_BIN_EXE_record"), &[table, stripe]);
    assert!(out.contains("STRIPE_WEBHOOK_SECRET"), "{out}");
    let out = cold_start(env!("CARGO_BIN_EXE_record"), &[table, stripe, webhook]);
    assert!(out.contains("Missing AWS_LAMBDA_"), "{out}");
    // No store at all.
    let out = cold_start(env!("CARGO_BIN_EXE_notify"), &[topic, from, mail]);
    assert!(out.contains("TABLE_NAME (or DATA_DIR locally)"), "{out}");
}
