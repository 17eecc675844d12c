//! Creating what the CloudFormation templates create in AWS, on an AWS-compatible endpoint (moto).

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client as Dynamo;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use booking_aws::TableLayout;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("could not create {what}: {reason}")]
    Create { what: &'static str, reason: String },
}

fn failed(what: &'static str) -> impl Fn(String) -> SetupError {
    move |reason| SetupError::Create { what, reason }
}

/// The booking table as `data.yaml` declares it (on-demand, the adapter's two GSIs, NEW_IMAGE stream, TTL). A table
/// that exists already is fine.
pub async fn create_table(config: &SdkConfig, table: &str) -> Result<(), SetupError> {
    let err = failed("the booking table");
    let client = Dynamo::new(config);
    let attr = |name: &str| {
        AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build().map_err(|e| err(e.to_string()))
    };
    let schema = |hash: &str, range: &str| -> Result<Vec<KeySchemaElement>, SetupError> {
        Ok(vec![
            KeySchemaElement::builder().attribute_name(hash).key_type(KeyType::Hash).build().map_err(|e| err(e.to_string()))?,
            KeySchemaElement::builder().attribute_name(range).key_type(KeyType::Range).build().map_err(|e| err(e.to_string()))?,
        ])
    };
    let stream = StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::NewImage).build();
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(schema(TableLayout::PARTITION_KEY, TableLayout::SORT_KEY)?))
        .attribute_definitions(attr(TableLayout::PARTITION_KEY)?)
        .attribute_definitions(attr(TableLayout::SORT_KEY)?)
        .stream_specification(stream.map_err(|e| err(e.to_string()))?);
    for (index, hash, range) in TableLayout::INDEXES {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index)
            .set_key_schema(Some(schema(hash, range)?))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(|e| err(e.to_string()))?;
        request = request.attribute_definitions(attr(hash)?).attribute_definitions(attr(range)?).global_secondary_indexes(gsi);
    }
    match request.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception()) => return Ok(()),
        Err(e) => return Err(err(DisplayErrorContext(e).to_string())),
    }
    let ttl = TimeToLiveSpecification::builder().enabled(true).attribute_name(TableLayout::TTL_ATTRIBUTE).build();
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl.map_err(|e| err(e.to_string()))?)
        .send()
        .await
        .map_err(|e| err(DisplayErrorContext(e).to_string()))?;
    Ok(())
}

/// Creates (or finds: SNS's create is idempotent) a topic and returns its ARN.
pub async fn create_topic(config: &SdkConfig, name: &str) -> Result<String, SetupError> {
    let err = failed("the notifications topic");
    let out = aws_sdk_sns::Client::new(config)
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|e| err(aws_sdk_sns::error::DisplayErrorContext(e).to_string()))?;
    out.topic_arn.ok_or_else(|| err("no topic ARN returned".into()))
}

/// Creates (or finds) the SES domain identity and configuration set guest email is sent with (`data.yaml`'s
/// `GuestMailIdentity` and `GuestMailConfigurationSet`). moto verifies a domain identity on creation.
pub async fn create_email_identity(config: &SdkConfig, domain: &str, configuration_set: &str) -> Result<(), SetupError> {
    let err = failed("the SES identity");
    let client = aws_sdk_sesv2::Client::new(config);
    // SES answers `AlreadyExistsException` for both; moto 5.2.5 names the configuration set's
    // `ConfigurationSetAlreadyExistsException` (test: `the_mail_setup_can_run_again_on_the_same_account`).
    let exists = |code: Option<&str>| matches!(code, Some("AlreadyExistsException" | "ConfigurationSetAlreadyExistsException"));
    use aws_sdk_sesv2::error::{DisplayErrorContext, ProvideErrorMetadata};
    match client.create_configuration_set().configuration_set_name(configuration_set).send().await {
        Ok(_) => {}
        Err(e) if exists(e.code()) => {}
        Err(e) => return Err(err(DisplayErrorContext(e).to_string())),
    }
    match client.create_email_identity().email_identity(domain).send().await {
        Ok(_) => Ok(()),
        Err(e) if exists(e.code()) => Ok(()),
        Err(e) => Err(err(DisplayErrorContext(e).to_string())),
    }
}
