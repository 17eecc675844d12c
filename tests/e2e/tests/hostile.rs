//! Attack batteries over real HTTP against the local stack: forged tokens on every authenticated route, one guest
//! reaching for another's booking, forged and mismatched webhooks, hostile payloads. Each answer must be a clear
//! 4xx with the documented error shape, and nothing may change: no booking, no held room, no message.
//! Every family prints how many cases it tried (`cargo test -- --nocapture`); all but the token battery run on
//! the embedded adapters and on the AWS adapters over moto.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use booking_e2e::*;
use booking_functions::Auth;
use booking_functions::functions::routes;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

// The batteries that write (or must not write) to the store run on both adapter sets; the token battery never
// reaches a store.
in_both_modes!(
    one_guest_can_never_reach_another_guests_booking,
    forged_stale_replayed_and_mismatched_webhooks_change_nothing,
    hostile_payloads_get_a_clear_4xx_and_write_nothing
);

/// A booking body the demo guest could send; cases patch one field of it.
fn good_booking() -> Value {
    json!({
        "room_type": "classic-double", "check_in": day(40), "check_out": day(42), "guests": 2,
        "guest": { "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+14155550100", "notify_by": "both" }
    })
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The header and claims of a compact JWT, decoded without any check.
fn parts(token: &str) -> (Value, Value) {
    let mut it = token.split('.');
    let decode = |s: &str| serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (decode(it.next().unwrap()), decode(it.next().unwrap()))
}

/// A PKCS#8 PEM of a fresh RSA key nobody trusts.
fn foreign_rsa_pem() -> String {
    use aws_lc_rs::encoding::AsDer;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = base64::engine::general_purpose::STANDARD.encode(pair.as_der().unwrap().as_ref());
    let body: Vec<String> = der.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", body.join("\n"))
}

fn sign(header: Header, claims: &Value, pem: &str) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn rs256(kid: &str) -> Header {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    header
}

/// Holds `room` for two nights from `check_in` days ahead (unpaid) and returns the created booking and payment.
async fn hold(t: &TestStack, token: &str, key: &str, room: &str, check_in: u64) -> Value {
    let (status, created) = t.book(token, key, room, check_in, 2, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// Every authenticated route, from the one description of the functions, with `{ref}` filled in.
fn authenticated_routes(reference: &str) -> Vec<(&'static str, String)> {
    routes().filter(|(_, r)| r.auth == Auth::Cognito).map(|(_, r)| (r.method, r.resource.replace("{ref}", reference))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tokens_are_refused_on_every_authenticated_route_with_www_authenticate() {
    let t = spawn().await;
    let token = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let created = hold(&t, &token, "forged-token-victim", "classic-double", 40).await;
    let reference = created["booking"]["reference"].as_str().unwrap().to_owned();

    let (header, claims) = parts(&token);
    let kid = header["kid"].as_str().unwrap().to_owned();
    let real_pem = std::fs::read_to_string(t.data_dir.join("idp/signing-key.pem")).unwrap();
    let now = booking_ports::Clock::now(t.stack.clock.as_ref()).timestamp();
    let with = |patch: Value| {
        let mut c = claims.clone();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let signature = token.rsplit('.').next().unwrap().to_owned();
    let jwks = t.get("/idp/.well-known/jwks.json", None).await.1;
    let modulus = jwks["keys"][0]["n"].as_str().unwrap().to_owned();
    let hs256 = |secret: &[u8]| {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(kid.clone());
        jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(secret)).unwrap()
    };
    // A key server nobody may ask: a token pointing at it must be refused without a single connection to it.
    let lure = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    lure.set_nonblocking(true).unwrap();
    let lure_url = format!("http://{}/jwks.json", lure.local_addr().unwrap());
    let foreign = foreign_rsa_pem();
    let mut jku = rs256(&kid);
    jku.jku = Some(lure_url.clone());
    let mut x5u = rs256(&kid);
    x5u.x5u = Some(lure_url.clone());
    let mut jku_unknown_kid = rs256("attacker-key");
    jku_unknown_kid.jku = Some(lure_url.clone());
    let access_token = {
        // The access token of the same sign-in: valid, signed by the pool, but not an ID token.
        let tokens = t.sign_in_tokens(DEMO_EMAIL, DEMO_PASSWORD).await;
        tokens["access_token"].as_str().unwrap().to_owned()
    };

    let forgeries: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("empty bearer", Some(String::new())),
        ("garbage", Some("not.a.jwt".into())),
        ("alg none", Some(format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": kid})), b64(&claims)))),
        ("alg None", Some(format!("{}.{}.", b64(&json!({"alg": "None", "kid": kid})), b64(&claims)))),
        ("alg none with the real signature", Some(format!("{}.{}.{signature}", b64(&json!({"alg": "none", "kid": kid})), b64(&claims)))),
        ("HS256 keyed with the JWKS document", Some(hs256(jwks.to_string().as_bytes()))),
        ("HS256 keyed with the public modulus", Some(hs256(modulus.as_bytes()))),
        ("foreign RSA key with the real kid", Some(sign(rs256(&kid), &claims, &foreign))),
        ("expired", Some(sign(rs256(&kid), &with(json!({"iat": now - 7200, "exp": now - 3600})), &real_pem))),
        ("not yet valid", Some(sign(rs256(&kid), &with(json!({"iat": now + 3600, "exp": now + 7200})), &real_pem))),
        ("wrong issuer", Some(sign(rs256(&kid), &with(json!({"iss": "https://evil.example/idp"})), &real_pem))),
        ("wrong client", Some(sign(rs256(&kid), &with(json!({"aud": "another-app-client"})), &real_pem))),
        ("access token instead of ID token", Some(access_token)),
        ("access token_use in an ID token", Some(sign(rs256(&kid), &with(json!({"token_use": "access"})), &real_pem))),
        ("changed payload, original signature", {
            let header = token.split('.').next().unwrap();
            Some(format!("{header}.{}.{signature}", b64(&with(json!({"sub": "someone-else"})))))
        }),
        ("jku pointing elsewhere", Some(sign(jku, &claims, &foreign))),
        ("x5u pointing elsewhere", Some(sign(x5u, &claims, &foreign))),
        ("jku with an unknown kid", Some(sign(jku_unknown_kid, &claims, &foreign))),
    ];
    let mut cases = 0;
    for (method, path) in authenticated_routes(&reference) {
        for (name, forged) in &forgeries {
            let mut request = t.http.request(method.parse().unwrap(), t.url(&path)).header("Idempotency-Key", "forged-token-attempt");
            if let Some(token) = forged {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            if method == "POST" {
                request = request.json(&good_booking());
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} on {method} {path}: {body}");
            assert_eq!(body["error"]["code"], "unauthorized", "{name} on {method} {path}");
            assert!(
                challenge.as_deref().is_some_and(|c| c.starts_with("Bearer")),
                "{name} on {method} {path}: WWW-Authenticate {challenge:?}"
            );
            cases += 1;
        }
    }
    assert!(lure.accept().is_err(), "the verifier fetched a key from a URL named in the token");
    // Nothing moved: the victim's booking is still held and nobody gained another.
    t.wait_for_state(&token, &reference, "held").await;
    let (_, mine) = t.get("/api/bookings", Some(&token)).await;
    assert_eq!(mine["bookings"].as_array().unwrap().len(), 1, "{mine}");
    eprintln!("forged tokens: {cases} cases ({} forgeries x {} routes)", forgeries.len(), cases / forgeries.len());
    t.shutdown().await;
}

/// References as an attacker might spell them: case, whitespace, percent-encoding, look-alike letters.
fn spellings(reference: &str) -> Vec<String> {
    let lower = reference.to_lowercase();
    let encoded: String = reference.bytes().map(|b| format!("%{b:02X}")).collect();
    let double_encoded = encoded.replace('%', "%25");
    vec![
        reference.to_owned(),
        lower.clone(),
        format!("{reference}%20"),
        format!("%20{lower}"),
        encoded,
        double_encoded,
        reference.replace('0', "O").replace('1', "I"),
        lower.replace('-', "%2D"),
        format!("{reference}%00"),
        format!("{reference}/"),
    ]
}

async fn one_guest_can_never_reach_another_guests_booking(t: TestStack) {
    let alice = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let confirmed = t.book_and_pay(&alice, "idor-alice-paid", "classic-double", 50, 2).await;
    let held = hold(&t, &alice, "idor-alice-held", "deluxe-king", 50).await;
    let mallory = t.sign_up("Mallory", "mallory@example.com", "mallory-password").await;
    let mut cases = 0;
    for booking in [&confirmed, &held["booking"]] {
        let reference = booking["reference"].as_str().unwrap();
        let state = booking["state"].as_str().unwrap();
        for spelling in spellings(reference) {
            let (status, body) = t.get(&format!("/api/bookings/{spelling}"), Some(&mallory)).await;
            assert!(matches!(status, StatusCode::NOT_FOUND), "read {spelling}: {status} {body}");
            // The refusal may echo what Mallory typed, never what the booking holds.
            assert!(body.get("state").is_none() && !body.to_string().contains("total"), "read {spelling} leaked: {body}");
            let (status, body) = t.post(&format!("/api/bookings/{spelling}/cancel"), Some(&mallory), None, &json!({})).await;
            assert!(matches!(status, StatusCode::NOT_FOUND), "cancel {spelling}: {status} {body}");
            let (status, body) = t.post(&format!("/api/bookings/{spelling}/confirmation"), Some(&mallory), None, &json!({})).await;
            assert!(matches!(status, StatusCode::NOT_FOUND), "re-send {spelling}: {status} {body}");
            cases += 3;
        }
        // Paying: the card form needs the client secret, which only the owner's answers carry; Mallory's own
        // request with the owner's Idempotency-Key makes Mallory's booking, never the owner's.
        t.wait_for_state(&alice, reference, state).await;
    }
    let (status, own) = t.book(&mallory, "idor-alice-held", "deluxe-king", 50, 2, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    assert_ne!(own["booking"]["reference"], held["booking"]["reference"]);
    assert_ne!(own["payment"]["intent_id"], held["payment"]["intent_id"]);
    cases += 1;
    let (_, list) = t.get("/api/bookings", Some(&mallory)).await;
    let listed: Vec<&str> = list["bookings"].as_array().unwrap().iter().map(|b| b["reference"].as_str().unwrap()).collect();
    assert_eq!(listed, [own["booking"]["reference"].as_str().unwrap()], "Mallory lists only her own");
    cases += 1;
    let (_, list) = t.get("/api/bookings", Some(&alice)).await;
    assert_eq!(list["bookings"].as_array().unwrap().len(), 2, "{list}");
    t.wait_for_state(&alice, confirmed["reference"].as_str().unwrap(), "confirmed").await;
    eprintln!("IDOR: {cases} cases");
    t.shutdown().await;
}

fn intent_event(id: &str, kind: &str, intent: Value) -> Value {
    json!({
        "id": id, "object": "event", "type": kind, "created": chrono::Utc::now().timestamp(), "livemode": false,
        "api_version": "2025-01-27.acacia", "data": { "object": intent }
    })
}

async fn forged_stale_replayed_and_mismatched_webhooks_change_nothing(t: TestStack) {
    let token = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let held = hold(&t, &token, "webhook-victim-held", "classic-double", 60).await;
    let held_ref = held["booking"]["reference"].as_str().unwrap().to_owned();
    let intent_id = held["payment"]["intent_id"].as_str().unwrap().to_owned();
    let other = hold(&t, &token, "webhook-victim-other", "deluxe-king", 60).await;
    let other_ref = other["booking"]["reference"].as_str().unwrap().to_owned();
    let url = t.url("/api/webhooks/stripe");
    let secret = t.webhook_secret();
    let now = booking_ports::Clock::now(t.stack.clock.as_ref()).timestamp();
    let total = held["booking"]["total"]["minor"].as_i64().unwrap();
    let succeeded = |id: &str, intent: Value| intent_event(id, "payment_intent.succeeded", intent);
    let intent = |id: &str, amount: i64, currency: &str, reference: &str| {
        json!({"id": id, "object": "payment_intent", "amount": amount, "amount_received": amount, "currency": currency,
               "status": "succeeded", "metadata": {"booking_ref": reference}})
    };
    let genuine = succeeded("evt_forged_0001", intent(&intent_id, total, "eur", &held_ref)).to_string();
    let raw = |header: Option<String>, body: String| {
        let mut request = t.http.post(&url).header("content-type", "application/json").body(body);
        if let Some(h) = header {
            request = request.header("stripe-signature", h);
        }
        request
    };
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json::<Value>().await.unwrap_or(Value::Null))
    };
    let sign = |body: &str, at: i64, key: &str| booking_stripe::signature::sign(body.as_bytes(), key, at);
    let mut cases = 0;
    let refusals: Vec<(&str, Option<String>, String, &str)> = vec![
        ("missing signature", None, genuine.clone(), "missing_signature"),
        ("empty signature", Some(String::new()), genuine.clone(), "invalid_signature"),
        ("malformed header", Some("garbage".into()), genuine.clone(), "invalid_signature"),
        ("timestamp not a number", Some("t=soon,v1=00".into()), genuine.clone(), "invalid_signature"),
        ("no v1", Some(format!("t={now},v0=abcd")), genuine.clone(), "invalid_signature"),
        ("wrong secret", Some(sign(&genuine, now, "whsec_not_ours")), genuine.clone(), "invalid_signature"),
        ("signature of another body", Some(sign("{}", now, &secret)), genuine.clone(), "invalid_signature"),
        ("tampered body", Some(sign(&genuine, now, &secret)), genuine.replace("succeeded", "succeeded "), "invalid_signature"),
        ("stale timestamp", Some(sign(&genuine, now - 3600, &secret)), genuine.clone(), "stale_signature"),
        ("timestamp from the future", Some(sign(&genuine, now + 3600, &secret)), genuine.clone(), "stale_signature"),
    ];
    for (name, header, body, code) in refusals {
        let (status, answer) = send(raw(header, body)).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{name}: {answer}");
        cases += 1;
    }
    // Signed with our secret (so as if from Stripe) but naming what does not exist or does not match: the
    // product acts on the provider's own view of the intent, so nothing is confirmed on the event's word.
    let signed_but_wrong = [
        ("unknown intent", succeeded("evt_forged_0002", intent("pi_does_not_exist", total, "eur", &held_ref))),
        ("amount mismatch", succeeded("evt_forged_0003", intent(&intent_id, 1, "eur", &held_ref))),
        ("currency mismatch", succeeded("evt_forged_0004", intent(&intent_id, total, "jpy", &held_ref))),
        ("metadata naming another booking", succeeded("evt_forged_0005", intent(&intent_id, total, "eur", &other_ref))),
        (
            "intent of one booking, metadata of an unknown one",
            succeeded("evt_forged_0006", intent(&intent_id, total, "eur", "HB-0000-0000")),
        ),
        ("no metadata", succeeded("evt_forged_0007", json!({"id": intent_id, "object": "payment_intent", "status": "succeeded"}))),
        ("payment_intent without an id", succeeded("evt_forged_0008", json!({"object": "payment_intent"}))),
        ("the same event again", succeeded("evt_forged_0003", intent(&intent_id, 1, "eur", &held_ref))),
    ];
    for (name, event) in signed_but_wrong {
        let (status, answer) = t.send_webhook(&event).await;
        assert!(status.is_success() || status.is_client_error(), "{name}: {status} {answer}");
        if status.is_client_error() {
            assert!(answer["error"]["code"].is_string(), "{name}: {answer}");
        }
        cases += 1;
    }
    // Nothing changed: both holds are still holds, nothing was sent, the rooms are still taken by them alone.
    t.stack.drain_webhooks(Duration::from_secs(2)).await;
    t.stack.dispatch_now().await;
    for reference in [&held_ref, &other_ref] {
        let booking = t.wait_for_state(&token, reference, "held").await;
        assert_eq!(booking["money"]["status"], "awaiting_payment", "{booking}");
        assert!(t.outbox_for(reference).await.is_empty());
    }
    let intent = t.stack.payments.retrieve(&intent_id).await.unwrap();
    assert_eq!(intent.amount_received, 0);
    eprintln!("webhooks: {cases} cases");
    t.shutdown().await;
}

/// What a booking request with `patch` applied answers.
async fn try_booking(t: &TestStack, token: &str, key: &str, patch: Value) -> (StatusCode, Value) {
    let mut body = good_booking();
    for (k, v) in patch.as_object().unwrap() {
        match k.strip_prefix("guest.") {
            Some(inner) => body["guest"][inner] = v.clone(),
            None => body[k] = v.clone(),
        }
    }
    t.post("/api/bookings", Some(token), Some(key), &body).await
}

async fn hostile_payloads_get_a_clear_4xx_and_write_nothing(t: TestStack) {
    let token = t.sign_in(DEMO_EMAIL, DEMO_PASSWORD).await;
    let mut cases = 0;
    let mut key = 0;
    let mut next_key = || {
        key += 1;
        format!("hostile-payload-{key:04}")
    };
    let injections = [
        "' OR '1'='1",
        "\"; DROP TABLE bookings; --",
        "<script>alert(1)</script>",
        "{{7*7}}",
        "${jndi:ldap://127.0.0.1/x}",
        "../../etc/passwd",
        "\u{0000}",
        "a\r\nSet-Cookie: x=1",
        "#{pk} = :v",
        "HB-0000-0000",
    ];
    // Every string field, every injection: refused with the field named (a name is text a guest may choose, so
    // it is only refused when it holds control characters; see below).
    for field in ["room_type", "check_in", "check_out", "guest.email", "guest.phone", "guest.notify_by", "guests", "rooms"] {
        for injection in injections {
            let (status, answer) = try_booking(&t, &token, &next_key(), json!({ field: injection })).await;
            assert!(status.is_client_error(), "{field}={injection:?}: {status} {answer}");
            assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.contains("u8") && !m.contains("NaiveDate")), "{answer}");
            cases += 1;
        }
    }
    for injection in ["\u{0000}", "a\r\nSet-Cookie: x=1", "\u{7}"] {
        let (status, answer) = try_booking(&t, &token, &next_key(), json!({ "guest.name": injection })).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_guest_details")),
            "{answer}"
        );
        cases += 1;
    }
    // Integers at every boundary: one code for "not a number the API takes", naming the field.
    let out_of_range = [
        json!(-1),
        json!(0),
        json!(21),
        json!(255),
        json!(256),
        json!(65536),
        json!(2_147_483_648_i64),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1.5),
        json!(1e300),
        json!("2"),
        json!(null),
        json!(true),
        json!([2]),
        json!({"n": 2}),
    ];
    for value in &out_of_range {
        let (status, answer) = try_booking(&t, &token, &next_key(), json!({ "guests": value })).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_parameter")),
            "guests={value}: {answer}"
        );
        assert!(answer["error"]["message"].as_str().unwrap().starts_with("guests must be"), "{answer}");
        cases += 1;
        // In a query string everything is text: "2" is the number 2 there.
        if value.is_string() {
            continue;
        }
        let path = format!("/api/availability?check_in={}&check_out={}&guests={value}", day(40), day(42));
        let (status, search) = t.get(&path, None).await;
        assert_eq!((status, search["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_parameter")), "{path}: {search}");
        assert_eq!(search["error"]["message"], answer["error"]["message"], "one message for one mistake");
        cases += 1;
    }
    for value in [json!(0), json!(6), json!(-1), json!(256), json!(u64::MAX)] {
        let (status, answer) = try_booking(&t, &token, &next_key(), json!({ "rooms": value, "guests": 10 })).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_parameter")),
            "rooms={value}: {answer}"
        );
        cases += 1;
    }
    // Within the API's range but not within the room: a rule, answered as one.
    let (status, answer) = try_booking(&t, &token, &next_key(), json!({ "guests": 20 })).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("over_occupancy")), "{answer}");
    cases += 1;
    // Dates far away, or not dates.
    for (check_in, check_out) in [
        ("0001-01-01", "0001-01-03"),
        ("1970-01-01", "1970-01-02"),
        ("9999-12-30", "9999-12-31"),
        ("262142-12-30", "262142-12-31"),
        ("+275760-09-13", "+275760-09-14"),
        ("-0001-01-01", "0001-01-01"),
        ("2027-02-30", "2027-03-01"),
        ("2027-13-01", "2027-13-02"),
        ("20270101", "20270102"),
        ("2027-01-01T00:00:00Z", "2027-01-02"),
    ] {
        let (status, answer) = try_booking(&t, &token, &next_key(), json!({ "check_in": check_in, "check_out": check_out })).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{check_in}: {status} {answer}");
        let path = format!("/api/availability?check_in={check_in}&check_out={check_out}");
        let (status, search) = t.get(&path.replace('+', "%2B"), None).await;
        // A search for real dates out of reach answers per room type why none is bookable.
        let explained = status == StatusCode::OK
            && search["rooms"].as_array().unwrap().iter().all(|r| r["bookable"] == false && r["unavailable_reason"]["code"].is_string());
        assert!(explained || status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{path}: {status} {search}");
        cases += 2;
    }
    // Bodies that are not what they claim: the raw bytes, sent as JSON.
    let deep_object = format!("{}1{}", "{\"a\":".repeat(2500), "}".repeat(2500));
    let mut duplicate = good_booking().to_string();
    duplicate.insert_str(1, "\"guests\":1,");
    let mut duplicate_nested = good_booking().to_string();
    duplicate_nested = duplicate_nested.replacen("\"guest\":{", "\"guest\":{\"email\":\"mallory@example.com\",", 1);
    let raw_bodies: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        // Well-formed JSON however deep (nothing recurses on it): refused for its shape, without a stack to blow.
        (
            "deeply nested arrays",
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        ("deeply nested objects", deep_object.into_bytes(), StatusCode::BAD_REQUEST, "unknown_parameter"),
        (
            "deeply nested guest",
            good_booking().to_string().replacen("\"guest\":{", &format!("\"guest\":{}{{", "[".repeat(3000)), 1).into_bytes(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        ("huge", format!("{{\"room_type\":\"{}\"}}", "x".repeat(1 << 20)).into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ("invalid UTF-8", b"{\"room_type\":\"\xff\xfe\"}".to_vec(), StatusCode::BAD_REQUEST, "malformed_json"),
        (
            "invalid UTF-8 in a name",
            good_booking().to_string().replace("Ada", "A\u{FFFD}").replace('\u{FFFD}', "\u{1}").into_bytes(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "lone surrogate escape",
            good_booking().to_string().replace("Ada", "\\ud800").into_bytes(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        ("duplicate key", duplicate.into_bytes(), StatusCode::BAD_REQUEST, "malformed_json"),
        ("duplicate nested key", duplicate_nested.into_bytes(), StatusCode::BAD_REQUEST, "malformed_json"),
        ("trailing garbage", format!("{} x", good_booking()).into_bytes(), StatusCode::BAD_REQUEST, "malformed_json"),
        ("two documents", format!("{0}{0}", good_booking()).into_bytes(), StatusCode::BAD_REQUEST, "malformed_json"),
        ("an array", format!("[{}]", good_booking()).into_bytes(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("a string", b"\"book me\"".to_vec(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("null", b"null".to_vec(), StatusCode::BAD_REQUEST, "invalid_parameter"),
        (
            "unknown field",
            good_booking().to_string().replacen('{', "{\"surprise\":1,", 1).into_bytes(),
            StatusCode::BAD_REQUEST,
            "unknown_parameter",
        ),
        ("missing field", b"{\"room_type\":\"classic-double\"}".to_vec(), StatusCode::BAD_REQUEST, "missing_parameter"),
    ];
    let mut wrong = Vec::new();
    for (name, body, status, code) in raw_bodies {
        let response = t
            .http
            .post(t.url("/api/bookings"))
            .bearer_auth(&token)
            .header("Idempotency-Key", next_key())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let got = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if (got, answer["error"]["code"].as_str()) != (status, Some(code)) {
            wrong.push(format!("{name}: {got} {answer}"));
            continue;
        }
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(!message.contains("u8") && !message.contains("struct") && !message.contains("BookingRequest"), "{name}: {message}");
        cases += 1;
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Header smuggling at the listener: conflicting framing is refused before any handler runs.
    let addr = t.stack.addr;
    let body = good_booking().to_string();
    let smuggles = [
        format!(
            "POST /api/bookings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: smuggle-0001\r\nContent-Type: application/json\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{body}",
            body.len()
        ),
        format!(
            "POST /api/bookings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: smuggle-0002\r\nContent-Type: application/json\r\nContent-Length: {0}\r\nContent-Length: {1}\r\n\r\n{body}",
            body.len(),
            body.len() + 1
        ),
        format!(
            "POST /api/bookings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: smuggle-0003\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n{body}"
        ),
        format!(
            "POST /api/bookings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nIdempotency-Key: smuggle-0004\r\n Content-Length: 0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    ];
    for request in smuggles {
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut buf = Vec::new();
            let _ = stream.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
        .await
        .unwrap();
        let status_line = answer.lines().next().unwrap_or("");
        assert!(status_line.starts_with("HTTP/1.1 4") || answer.is_empty(), "smuggling: {status_line}");
        cases += 1;
    }
    // Idempotency keys that are not keys.
    for bad in ["short", &"k".repeat(65), "has space in it", "key;drop", "key\tkey-key"] {
        let (status, answer) = t.post("/api/bookings", Some(&token), Some(bad), &good_booking()).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_idempotency_key")),
            "{bad:?}: {answer}"
        );
        cases += 1;
    }
    // Nothing was written by any of it.
    let (_, mine) = t.get("/api/bookings", Some(&token)).await;
    assert!(mine["bookings"].as_array().unwrap().is_empty(), "{mine}");
    assert_eq!(t.available("classic-double", 40, 2, 2).await, 10);
    eprintln!("hostile payloads: {cases} cases");
    t.shutdown().await;
}
