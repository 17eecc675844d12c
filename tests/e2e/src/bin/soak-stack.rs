//! The local stack as a process of its own, so the soak can SIGKILL it and start it again on the same data
//! directory: `soak-stack <data-dir> <port> <clock-offset-ms> [aws-endpoint]`. Prints `ready` once it listens.
//! The sweeper and the outbox dispatcher run faster than `cargo xtask dev`'s.
#![allow(clippy::print_stdout, reason = "the parent reads the ready line")]

use std::time::Duration;

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The stack's errors (a store or provider failure behind a 5xx) go to the soak's stderr: what a violation means.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(tracing::Level::ERROR).init();
    let args: Vec<String> = std::env::args().collect();
    let [_, data_dir, port, offset_ms, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: soak-stack <data-dir> <port> <clock-offset-ms> [aws-endpoint]");
    };
    let mut config = devstack::StackConfig::new(data_dir.into(), booking_e2e::site_dir())?;
    config.port = port.parse().context("port")?;
    config.aws_endpoint = rest.first().cloned();
    config.clock = std::sync::Arc::new(devstack::DevClock::with_offset(chrono::Duration::milliseconds(offset_ms.parse()?)));
    // Every pass is a scan of the table on moto, which serves one request at a time: slower there. A 200-guest run
    // on moto measured 101 answers of 503 with the outbox scanned every 250 ms and the metric stream sent to moto
    // (466 PutMetricData, all refused: moto does not speak CloudWatch's protocol), every one an SDK attempt timing
    // out after 6 s behind moto's queue. The soak asserts nothing about metrics.
    let aws = config.aws_endpoint.is_some();
    config.dispatch_every = Duration::from_millis(if aws { 1000 } else { 50 });
    config.sweep_every = Duration::from_millis(if aws { 1000 } else { 200 });
    config.forward_metrics = false;
    let _stack = devstack::start(config).await?;
    println!("ready");
    // Runs until killed: the soak never stops it gently.
    std::future::pending::<()>().await;
    Ok(())
}
