//! `devstack`: runs the whole product locally. Usually started by `cargo xtask dev`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use devstack::{StackConfig, start};

#[derive(Debug, Parser)]
#[command(about = "Run the hotel booking product on this machine: site, API, identity provider, payments, outbox")]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8080, env = "DEV_PORT")]
    port: u16,
    /// Where bookings, users, payments and sent messages persist across restarts.
    #[arg(long, default_value = ".data/dev", env = "DEV_DATA_DIR")]
    data_dir: PathBuf,
    /// The static site to serve.
    #[arg(long, default_value = "site", env = "DEV_SITE_DIR")]
    site_dir: PathBuf,
    /// Run storage and notifications on the AWS adapters (DynamoDB, SNS) against this endpoint, e.g. moto.
    #[arg(long, env = "DEV_AWS_ENDPOINT")]
    aws_endpoint: Option<String>,
    /// In AWS mode, forward the metric stream to this CloudWatch endpoint instead of `--aws-endpoint`.
    #[arg(long, env = "DEV_CLOUDWATCH_ENDPOINT", requires = "aws_endpoint")]
    cloudwatch_endpoint: Option<String>,
    /// Start the stack's clock this far from the system clock (ISO 8601 duration, e.g. P2D or -PT3H); move it
    /// later with POST /dev/clock.
    #[arg(long, env = "DEV_CLOCK_OFFSET", value_parser = clock_offset)]
    clock_offset: Option<chrono::Duration>,
}

fn clock_offset(text: &str) -> Result<chrono::Duration, String> {
    devstack::dev_clock::parse_duration(text).ok_or_else(|| format!("not an ISO 8601 duration such as PT20M or P2DT3H: {text}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    booking_functions::telemetry::init();
    let args = Args::parse();
    let mut config = StackConfig::new(args.data_dir, args.site_dir)?;
    config.port = args.port;
    config.aws_endpoint = args.aws_endpoint;
    config.cloudwatch_endpoint = args.cloudwatch_endpoint;
    if let Some(offset) = args.clock_offset {
        config.clock = std::sync::Arc::new(devstack::DevClock::with_offset(offset));
    }
    if let Ok(path) = std::env::var(booking_functions::config::HOTEL_CATALOG_PATH) {
        config.catalog = booking_functions::config::CatalogSource::File(path.into());
    }
    if let Ok(secret_key) = std::env::var("STRIPE_SECRET_KEY") {
        let need = |name: &str| std::env::var(name).with_context(|| format!("{name} is required when STRIPE_SECRET_KEY is set"));
        config.real_stripe = Some(devstack::RealStripe {
            secret_key,
            publishable_key: need("STRIPE_PUBLISHABLE_KEY")?,
            webhook_secret: need("STRIPE_WEBHOOK_SECRET")?,
        });
    }
    let demo = config.demo_user.clone();
    let stack = start(config).await?;
    print_banner(&stack, &demo);
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    tracing::info!("shutting down");
    stack.shutdown().await?;
    Ok(())
}

#[allow(clippy::print_stdout, reason = "printing the URLs is this command's job")]
fn print_banner(stack: &devstack::RunningStack, demo: &local_idp::DemoUser) {
    println!("\nHotel booking – local stack on {}\n", stack.base_url);
    for (name, url) in stack.urls() {
        println!("  {name:<18} {url}");
    }
    println!("\n  demo guest         {} / {}", demo.email, demo.password);
    println!("  test cards         4242 4242 4242 4242 (ok), 4000 0000 0000 0002 (declined), 4000 0000 0000 9995 (no funds)");
    println!("  data               {}\n\nCtrl-C stops it cleanly.\n", stack.data_dir.display());
}
