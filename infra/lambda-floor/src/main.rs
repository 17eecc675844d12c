//! The least a Rust Lambda can do: start the runtime, answer every event with `{"ok": true}`. The benchmark
//! measures each function's start-up against this binary, built with the same profile and target.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_: LambdaEvent<Value>| async { Ok::<_, Error>(json!({ "ok": true })) })).await
}
