//! The first event each function gets in the benchmark: a real request on a path that needs no payment provider
//! (the cold start is the subject, not Stripe), in the shape Lambda delivers it.

use serde_json::{Value, json};

/// An API Gateway REST proxy event (what the Cognito authorizer passes on in `authorizer.claims`).
fn rest(method: &str, resource: &str, path: &str, headers: Value, body: Option<&str>, claims: Option<Value>) -> Value {
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "abc123",
            "stage": "live",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTimeEpoch": 1_764_547_200_000_i64,
            "identity": { "sourceIp": "203.0.113.7", "userAgent": "bench" },
            "resourcePath": resource,
            "httpMethod": method,
            "apiId": "bench",
            "protocol": "HTTP/1.1",
            "path": format!("/live{path}"),
            "authorizer": claims.map(|c| json!({ "claims": c })).unwrap_or(Value::Null),
        },
        "body": body,
        "isBase64Encoded": false,
    })
}

/// The event for `function` (or the floor).
pub fn first_event(function: &str) -> Vec<u8> {
    let guest = json!({ "sub": "3f1c2d9e-0000-4000-8000-000000000001", "email": "guest@example.com", "token_use": "id" });
    let event = match function {
        // Refused before any store or provider call: no Idempotency-Key.
        "payment" => rest("POST", "/api/bookings", "/api/bookings", json!({"content-type": "application/json"}), Some("{}"), Some(guest)),
        // Signature checked (HMAC over the body) and refused: no store or provider call.
        "record" => rest(
            "POST",
            "/api/webhooks/stripe",
            "/api/webhooks/stripe",
            json!({"content-type": "application/json", "stripe-signature": "t=1764547200,v1=00"}),
            Some(r#"{"id":"evt_bench","type":"payment_intent.amount_capturable_updated"}"#),
            None,
        ),
        // The public catalogue.
        "query" => rest("GET", "/api/rooms", "/api/rooms", json!({}), None, None),
        // An empty batch from the table's stream.
        "notify" => json!({ "Records": [] }),
        // A scheduled run: one query of the due index.
        "sweeper" => json!({ "source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {} }),
        _ => json!({}),
    };
    serde_json::to_vec(&event).unwrap_or_default()
}
