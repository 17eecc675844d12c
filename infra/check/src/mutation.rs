//! Weakenings of the real templates, each of which one named policy must catch.
//!
//! A mutation is data: the template it edits, the policy that must fail on the result, and a list of edits.
//! Paths are `/`-separated: mapping keys, sequence indexes, or `Key=value` to pick the sequence item whose `Key`
//! is `value` (e.g. `Origins/Id=site`, `Statement/Sid=DenyInsecureTransport`). Every path except the last
//! segment of a `Set` must exist, so a mutation that no longer matches the templates fails loudly instead of
//! testing nothing.

use serde_yaml_ng::Value;

use crate::CheckError;
use crate::template::get;

#[derive(Debug, Clone, Copy)]
pub enum Edit {
    /// Sets (or adds) the value at a path; the value is YAML and may use short-form intrinsics.
    Set(&'static str, &'static str),
    /// Removes a mapping key or a sequence item.
    Remove(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Mutation {
    pub name: &'static str,
    /// File name in infra/cloudformation.
    pub template: &'static str,
    /// The policy (rule name) that must fail on the mutated template.
    pub caught_by: &'static str,
    pub edits: &'static [Edit],
}

use Edit::{Remove, Set};

macro_rules! dist {
    ($rest:literal) => {
        concat!("Resources/Distribution/Properties/DistributionConfig/", $rest)
    };
}

/// Every weakening the policies must catch.
pub const MUTATIONS: &[Mutation] = &[
    // ---- edge: CloudFront, site bucket, keys ----
    Mutation {
        name: "site origin without its Origin Access Control",
        template: "edge.yaml",
        caught_by: "cloudfront_s3_origin_oac_only",
        edits: &[Remove(dist!("Origins/Id=site/OriginAccessControlId"))],
    },
    Mutation {
        name: "site origin through a legacy Origin Access Identity",
        template: "edge.yaml",
        caught_by: "cloudfront_s3_origin_oac_only",
        edits: &[
            Set(
                "Resources/SiteOai",
                "{Type: AWS::CloudFront::CloudFrontOriginAccessIdentity, Properties: {CloudFrontOriginAccessIdentityConfig: {Comment: legacy}}}",
            ),
            Set(dist!("Origins/Id=site/S3OriginConfig/OriginAccessIdentity"), "!Sub 'origin-access-identity/cloudfront/${SiteOai}'"),
            Remove(dist!("Origins/Id=site/OriginAccessControlId")),
        ],
    },
    Mutation {
        name: "Origin Access Control signs only some requests",
        template: "edge.yaml",
        caught_by: "cloudfront_s3_origin_oac_only",
        edits: &[Set("Resources/SiteOriginAccessControl/Properties/OriginAccessControlConfig/SigningBehavior", "no-override")],
    },
    Mutation {
        name: "API stage without its regional web ACL (association removed)",
        template: "api.yaml",
        caught_by: "apigw_stage_web_acl_attached",
        edits: &[Remove("Resources/ApiWebAclAssociation")],
    },
    Mutation {
        name: "API stage's web ACL association pointed elsewhere",
        template: "api.yaml",
        caught_by: "apigw_stage_web_acl_attached",
        edits: &[Set("Resources/ApiWebAclAssociation/Properties/ResourceArn", "!GetAtt ApiWebAcl.Arn")],
    },
    Mutation {
        name: "WAF web ACL detached (WebACLId removed)",
        template: "edge.yaml",
        caught_by: "cloudfront_web_acl_attached",
        edits: &[Remove(dist!("WebACLId"))],
    },
    Mutation {
        name: "viewer MinimumProtocolVersion TLSv1",
        template: "edge.yaml",
        caught_by: "cloudfront_viewer_tls_minimum",
        edits: &[Set(dist!("ViewerCertificate/MinimumProtocolVersion"), "TLSv1")],
    },
    Mutation {
        name: "default behaviour ViewerProtocolPolicy allow-all",
        template: "edge.yaml",
        caught_by: "cloudfront_viewer_https_only",
        edits: &[Set(dist!("DefaultCacheBehavior/ViewerProtocolPolicy"), "allow-all")],
    },
    Mutation {
        name: "/api/* behaviour ViewerProtocolPolicy allow-all",
        template: "edge.yaml",
        caught_by: "cloudfront_viewer_https_only",
        edits: &[Set(dist!("CacheBehaviors/0/ViewerProtocolPolicy"), "allow-all")],
    },
    Mutation {
        name: "API origin reached with match-viewer (plain HTTP)",
        template: "edge.yaml",
        caught_by: "cloudfront_origin_https_only",
        edits: &[Set(dist!("Origins/Id=api/CustomOriginConfig/OriginProtocolPolicy"), "match-viewer")],
    },
    Mutation {
        name: "API origin allows TLSv1",
        template: "edge.yaml",
        caught_by: "cloudfront_origin_https_only",
        edits: &[Set(dist!("Origins/Id=api/CustomOriginConfig/OriginSSLProtocols"), "[TLSv1, TLSv1.2]")],
    },
    Mutation {
        name: "distribution back on legacy standard logging (ACL bucket, some regions only)",
        template: "edge.yaml",
        caught_by: "cloudfront_access_logging_enabled",
        edits: &[Set(dist!("Logging"), "{Bucket: !GetAtt LogBucket.DomainName, Prefix: cloudfront/, IncludeCookies: false}")],
    },
    Mutation {
        name: "API errors cached for 10 s again (403)",
        template: "edge.yaml",
        caught_by: "cloudfront_api_errors_not_cached",
        edits: &[Set(dist!("CustomErrorResponses/1/ErrorCachingMinTTL"), "10")],
    },
    Mutation {
        name: "API 400 answers cached by default (no custom error response)",
        template: "edge.yaml",
        caught_by: "cloudfront_api_errors_not_cached",
        edits: &[Remove(dist!("CustomErrorResponses/0"))],
    },
    Mutation {
        name: "API origin without the origin-verify header",
        template: "edge.yaml",
        caught_by: "cloudfront_api_origin_verify_header",
        edits: &[Remove(dist!("Origins/Id=api/OriginCustomHeaders"))],
    },
    Mutation {
        name: "origin-verify value written into the distribution",
        template: "edge.yaml",
        caught_by: "cloudfront_api_origin_verify_header",
        edits: &[Set(dist!("Origins/Id=api/OriginCustomHeaders/0/HeaderValue"), "'5f3a9c0d2b7e41f8a6c3d9e0b1f2a4c7'")],
    },
    // ---- edge-logs: standard logging v2 ----
    Mutation {
        name: "access log source without a delivery",
        template: "edge-logs.yaml",
        caught_by: "cloudfront_access_logging_enabled",
        edits: &[Remove("Resources/AccessLogDelivery")],
    },
    Mutation {
        name: "access logs delivered to a CloudWatch log group instead of the bucket",
        template: "edge-logs.yaml",
        caught_by: "cloudfront_access_logging_enabled",
        edits: &[Set(
            "Resources/AccessLogBucketDestination/Properties/DestinationResourceArn",
            "'arn:aws:logs:us-east-1:111122223333:log-group:cloudfront-access'",
        )],
    },
    Mutation {
        name: "site bucket SSE-S3 (AES256) instead of aws:kms",
        template: "edge.yaml",
        caught_by: "s3_bucket_sse_kms_cmk",
        edits: &[Set(
            "Resources/SiteBucket/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault",
            "{SSEAlgorithm: AES256}",
        )],
    },
    Mutation {
        name: "site bucket aws:kms under the AWS-managed key",
        template: "edge.yaml",
        caught_by: "s3_bucket_sse_kms_cmk",
        edits: &[Remove(
            "Resources/SiteBucket/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/KMSMasterKeyID",
        )],
    },
    Mutation {
        name: "site bucket without a Bucket Key",
        template: "edge.yaml",
        caught_by: "s3_bucket_sse_kms_cmk",
        edits: &[Set("Resources/SiteBucket/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/BucketKeyEnabled", "false")],
    },
    Mutation {
        name: "site bucket BlockPublicPolicy false",
        template: "edge.yaml",
        caught_by: "s3_bucket_public_access_blocked",
        edits: &[Set("Resources/SiteBucket/Properties/PublicAccessBlockConfiguration/BlockPublicPolicy", "false")],
    },
    Mutation {
        name: "log bucket RestrictPublicBuckets false",
        template: "edge.yaml",
        caught_by: "s3_bucket_public_access_blocked",
        edits: &[Set("Resources/LogBucket/Properties/PublicAccessBlockConfiguration/RestrictPublicBuckets", "false")],
    },
    Mutation {
        name: "site bucket policy without the TLS deny",
        template: "edge.yaml",
        caught_by: "s3_bucket_ssl_requests_only",
        edits: &[Remove("Resources/SiteBucketPolicy/Properties/PolicyDocument/Statement/Sid=DenyInsecureTransport")],
    },
    Mutation {
        name: "log bucket without any bucket policy",
        template: "edge.yaml",
        caught_by: "s3_bucket_ssl_requests_only",
        edits: &[Remove("Resources/LogBucketPolicy")],
    },
    Mutation {
        name: "log bucket accepts ACLs again (BucketOwnerPreferred, as legacy logging needed)",
        template: "edge.yaml",
        caught_by: "s3_bucket_owner_enforced",
        edits: &[Set("Resources/LogBucket/Properties/OwnershipControls/Rules/0/ObjectOwnership", "BucketOwnerPreferred")],
    },
    Mutation {
        name: "site bucket accepts ACLs (BucketOwnerPreferred)",
        template: "edge.yaml",
        caught_by: "s3_bucket_owner_enforced",
        edits: &[Set("Resources/SiteBucket/Properties/OwnershipControls/Rules/0/ObjectOwnership", "BucketOwnerPreferred")],
    },
    Mutation {
        name: "CloudFront may read the site bucket for any distribution (no AWS:SourceArn)",
        template: "edge.yaml",
        caught_by: "s3_bucket_policy_cloudfront_oac_scoped",
        edits: &[Remove(
            "Resources/SiteBucketPolicy/Properties/PolicyDocument/Statement/Sid=CloudFrontReadsThroughOacForThisDistributionOnly/Condition",
        )],
    },
    Mutation {
        name: "site bucket readable by anyone (Principal *)",
        template: "edge.yaml",
        caught_by: "s3_bucket_policy_cloudfront_oac_scoped",
        edits: &[Set(
            "Resources/SiteBucketPolicy/Properties/PolicyDocument/Statement/Sid=CloudFrontReadsThroughOacForThisDistributionOnly/Principal",
            "'*'",
        )],
    },
    Mutation {
        name: "site key rotation off",
        template: "edge.yaml",
        caught_by: "kms_key_rotation_enabled",
        edits: &[Set("Resources/SiteKey/Properties/EnableKeyRotation", "false")],
    },
    Mutation {
        name: "site bucket deleted with the stack",
        template: "edge.yaml",
        caught_by: "data_resources_retained",
        edits: &[Remove("Resources/SiteBucket/DeletionPolicy")],
    },
    // ---- edge-global: WAF ----
    Mutation {
        name: "SQLi managed rule group removed",
        template: "edge-global.yaml",
        caught_by: "wafv2_web_acl_managed_rules",
        edits: &[Remove("Resources/WebAcl/Properties/Rules/Name=aws-sqli")],
    },
    Mutation {
        name: "Common managed rule group in count mode",
        template: "edge-global.yaml",
        caught_by: "wafv2_web_acl_managed_rules",
        edits: &[Set("Resources/WebAcl/Properties/Rules/Name=aws-common/OverrideAction", "{Count: {}}")],
    },
    Mutation {
        name: "rate-based rule only counts",
        template: "edge-global.yaml",
        caught_by: "wafv2_web_acl_managed_rules",
        edits: &[Set("Resources/WebAcl/Properties/Rules/Name=rate-limit-per-ip/Action", "{Count: {}}")],
    },
    Mutation {
        name: "Stripe's large webhook events blocked again (SizeRestrictions_BODY override removed)",
        template: "edge-global.yaml",
        caught_by: "wafv2_body_size_webhook_exception",
        edits: &[Remove("Resources/WebAcl/Properties/Rules/Name=aws-common/Statement/ManagedRuleGroupStatement/RuleActionOverrides")],
    },
    Mutation {
        name: "no 8 KB body limit left at the edge (label rule removed)",
        template: "edge-global.yaml",
        caught_by: "wafv2_body_size_webhook_exception",
        edits: &[Remove("Resources/WebAcl/Properties/Rules/Name=body-over-8kb-except-stripe-webhook")],
    },
    Mutation {
        name: "WAF log group without retention",
        template: "edge-global.yaml",
        caught_by: "log_group_retention",
        edits: &[Remove("Resources/WafLogGroup/Properties/RetentionInDays")],
    },
    Mutation {
        name: "WAF logs key rotation off",
        template: "edge-global.yaml",
        caught_by: "kms_key_rotation_enabled",
        edits: &[Set("Resources/WafLogsKey/Properties/EnableKeyRotation", "false")],
    },
    // ---- data ----
    Mutation {
        name: "booking table PITR off",
        template: "data.yaml",
        caught_by: "dynamodb_table_pitr_enabled",
        edits: &[Set("Resources/BookingTable/Properties/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled", "false")],
    },
    Mutation {
        name: "booking table under the AWS-owned key",
        template: "data.yaml",
        caught_by: "dynamodb_table_kms_cmk",
        edits: &[Set("Resources/BookingTable/Properties/SSESpecification", "{SSEEnabled: false}")],
    },
    Mutation {
        name: "booking table under the AWS-managed aws/dynamodb key",
        template: "data.yaml",
        caught_by: "dynamodb_table_kms_cmk",
        edits: &[Remove("Resources/BookingTable/Properties/SSESpecification/KMSMasterKeyId")],
    },
    Mutation {
        name: "booking table deletion protection off",
        template: "data.yaml",
        caught_by: "dynamodb_table_deletion_protection",
        edits: &[Set("Resources/BookingTable/Properties/DeletionProtectionEnabled", "false")],
    },
    Mutation {
        name: "booking table DeletionPolicy Delete",
        template: "data.yaml",
        caught_by: "data_resources_retained",
        edits: &[Set("Resources/BookingTable/DeletionPolicy", "Delete")],
    },
    Mutation {
        name: "data key replaced without keeping the old one",
        template: "data.yaml",
        caught_by: "data_resources_retained",
        edits: &[Remove("Resources/DataKey/UpdateReplacePolicy")],
    },
    Mutation {
        name: "notifications topic without KMS",
        template: "data.yaml",
        caught_by: "sns_topic_kms_encrypted",
        edits: &[Remove("Resources/NotificationsTopic/Properties/KmsMasterKeyId")],
    },
    Mutation {
        name: "notifications topic under the AWS-managed aws/sns key",
        template: "data.yaml",
        caught_by: "sns_topic_kms_encrypted",
        edits: &[Set("Resources/NotificationsTopic/Properties/KmsMasterKeyId", "alias/aws/sns")],
    },
    Mutation {
        name: "booking-events topic (staff subscriptions) deleted with the stack",
        template: "data.yaml",
        caught_by: "data_resources_retained",
        edits: &[Remove("Resources/NotificationsTopic/DeletionPolicy")],
    },
    Mutation {
        name: "data key rotation off",
        template: "data.yaml",
        caught_by: "kms_key_rotation_enabled",
        edits: &[Set("Resources/DataKey/Properties/EnableKeyRotation", "false")],
    },
    // ---- identity ----
    Mutation {
        name: "MFA parameter allows OFF",
        template: "identity.yaml",
        caught_by: "cognito_user_pool_hardened",
        edits: &[Set("Parameters/MfaMode/AllowedValues", "['OFF', 'OPTIONAL', 'ON']")],
    },
    Mutation {
        name: "eight-character passwords",
        template: "identity.yaml",
        caught_by: "cognito_user_pool_hardened",
        edits: &[Set("Resources/UserPool/Properties/Policies/PasswordPolicy/MinimumLength", "8")],
    },
    Mutation {
        name: "threat protection only audits",
        template: "identity.yaml",
        caught_by: "cognito_user_pool_hardened",
        edits: &[Set("Resources/UserPool/Properties/UserPoolAddOns/AdvancedSecurityMode", "AUDIT")],
    },
    Mutation {
        name: "site client allows the implicit flow",
        template: "identity.yaml",
        caught_by: "cognito_app_client_code_flow_only",
        edits: &[Set("Resources/SiteClient/Properties/AllowedOAuthFlows", "[code, implicit]")],
    },
    Mutation {
        name: "site client accepts plain passwords",
        template: "identity.yaml",
        caught_by: "cognito_app_client_code_flow_only",
        edits: &[Set("Resources/SiteClient/Properties/ExplicitAuthFlows", "[ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]")],
    },
    Mutation {
        name: "site client reveals which emails have accounts",
        template: "identity.yaml",
        caught_by: "cognito_app_client_code_flow_only",
        edits: &[Set("Resources/SiteClient/Properties/PreventUserExistenceErrors", "LEGACY")],
    },
    Mutation {
        name: "user pool deleted with the stack",
        template: "identity.yaml",
        caught_by: "data_resources_retained",
        edits: &[Remove("Resources/UserPool/DeletionPolicy")],
    },
    // ---- api and functions ----
    Mutation {
        name: "POST /api/bookings with AuthorizationType NONE",
        template: "api.yaml",
        caught_by: "apigw_method_cognito_authorizer",
        edits: &[
            Set("Resources/ApiBookingsPost/Properties/AuthorizationType", "NONE"),
            Remove("Resources/ApiBookingsPost/Properties/AuthorizerId"),
        ],
    },
    Mutation {
        name: "GET /api/bookings/{ref} with IAM auth instead of Cognito",
        template: "api.yaml",
        caught_by: "apigw_method_cognito_authorizer",
        edits: &[Set("Resources/ApiBookingGet/Properties/AuthorizationType", "AWS_IAM")],
    },
    Mutation {
        name: "POST /api/bookings/{ref}/cancel without an authorizer id",
        template: "api.yaml",
        caught_by: "apigw_method_cognito_authorizer",
        edits: &[Remove("Resources/ApiBookingCancelPost/Properties/AuthorizerId")],
    },
    Mutation {
        name: "stage logs full requests and responses",
        template: "api.yaml",
        caught_by: "apigw_stage_logging_tracing",
        edits: &[Set("Resources/ApiStage/Properties/MethodSettings/0/DataTraceEnabled", "true")],
    },
    Mutation {
        name: "stage without access logs",
        template: "api.yaml",
        caught_by: "apigw_stage_logging_tracing",
        edits: &[Remove("Resources/ApiStage/Properties/AccessLogSetting")],
    },
    Mutation {
        name: "stage without X-Ray",
        template: "api.yaml",
        caught_by: "apigw_stage_logging_tracing",
        edits: &[Set("Resources/ApiStage/Properties/TracingEnabled", "false")],
    },
    Mutation {
        name: "stage's web ACL admits direct execute-api calls (origin check removed)",
        template: "api.yaml",
        caught_by: "wafv2_api_acl_behind_cloudfront",
        edits: &[Remove("Resources/ApiWebAcl/Properties/Rules/Name=require-origin-verify")],
    },
    Mutation {
        name: "origin-verify value written into the web ACL",
        template: "api.yaml",
        caught_by: "wafv2_api_acl_behind_cloudfront",
        edits: &[Set(
            "Resources/ApiWebAcl/Properties/Rules/Name=require-origin-verify/Statement/NotStatement/Statement/OrStatement/Statements/0/ByteMatchStatement/SearchString",
            "'5f3a9c0d2b7e41f8a6c3d9e0b1f2a4c7'",
        )],
    },
    Mutation {
        name: "API rate limit keyed on CloudFront's addresses",
        template: "api.yaml",
        caught_by: "wafv2_api_acl_behind_cloudfront",
        edits: &[Set(
            "Resources/ApiWebAcl/Properties/Rules/Name=rate-limit-per-ip/Statement/RateBasedStatement",
            "{Limit: !Ref ApiRateLimitPerIp, EvaluationWindowSec: 300, AggregateKeyType: IP}",
        )],
    },
    Mutation {
        name: "origin-verify header in the web ACL's logs",
        template: "api.yaml",
        caught_by: "wafv2_api_acl_behind_cloudfront",
        edits: &[Remove("Resources/ApiWebAclLogging/Properties/RedactedFields/3")],
    },
    Mutation {
        name: "guests' forwarded addresses redacted from the stage web ACL's logs",
        template: "api.yaml",
        caught_by: "wafv2_api_acl_behind_cloudfront",
        edits: &[Set(
            "Resources/ApiWebAclLogging/Properties/RedactedFields",
            "[{SingleHeader: {Name: authorization}}, {SingleHeader: {Name: x-origin-verify}}, {SingleHeader: {Name: x-forwarded-for}}]",
        )],
    },
    Mutation {
        name: "8 KB body limit lifted for every path ending in /api",
        template: "api.yaml",
        caught_by: "wafv2_body_size_webhook_exception",
        edits: &[Set(
            "Resources/ApiWebAcl/Properties/Rules/Name=body-over-8kb-except-stripe-webhook/Statement/AndStatement/Statements/1/NotStatement/Statement/AndStatement/Statements/0/ByteMatchStatement/SearchString",
            "/api",
        )],
    },
    Mutation {
        name: "cross-site scripting body rule overridden to Count along with the size rule",
        template: "api.yaml",
        caught_by: "wafv2_body_size_webhook_exception",
        edits: &[Set(
            "Resources/ApiWebAcl/Properties/Rules/Name=aws-common/Statement/ManagedRuleGroupStatement/RuleActionOverrides",
            "[{Name: SizeRestrictions_BODY, ActionToUse: {Count: {}}}, {Name: CrossSiteScripting_BODY, ActionToUse: {Count: {}}}]",
        )],
    },
    Mutation {
        name: "payment role dynamodb:* on the table",
        template: "api.yaml",
        caught_by: "lambda_role_least_privilege",
        edits: &[Set("Resources/PaymentRole/Properties/Policies/0/PolicyDocument/Statement/Sid=BookingTable/Action", "'dynamodb:*'")],
    },
    Mutation {
        name: "query role reads every table (Resource *)",
        template: "api.yaml",
        caught_by: "lambda_role_least_privilege",
        edits: &[Set("Resources/QueryRole/Properties/Policies/0/PolicyDocument/Statement/Sid=BookingTable/Resource", "'*'")],
    },
    Mutation {
        name: "record role reads every secret",
        template: "api.yaml",
        caught_by: "lambda_role_least_privilege",
        edits: &[Set("Resources/RecordRole/Properties/Policies/0/PolicyDocument/Statement/Sid=StripeKeys/Resource", "'*'")],
    },
    Mutation {
        name: "notify role Action * on the data key",
        template: "api.yaml",
        caught_by: "lambda_role_least_privilege",
        edits: &[Set("Resources/NotifyRole/Properties/Policies/0/PolicyDocument/Statement/Sid=DataKey/Action", "'*'")],
    },
    Mutation {
        name: "notify role sends email from any SES identity",
        template: "api.yaml",
        caught_by: "ses_send_scoped_to_identity",
        edits: &[Set(
            "Resources/NotifyRole/Properties/Policies/0/PolicyDocument/Statement/Sid=GuestEmailFromTheHotelsIdentityOnly/Resource",
            "'*'",
        )],
    },
    Mutation {
        name: "notify role may use every SES action",
        template: "api.yaml",
        caught_by: "ses_send_scoped_to_identity",
        edits: &[Set(
            "Resources/NotifyRole/Properties/Policies/0/PolicyDocument/Statement/Sid=GuestEmailFromTheHotelsIdentityOnly/Action",
            "'ses:*'",
        )],
    },
    Mutation {
        name: "sweeper role with AmazonDynamoDBFullAccess",
        template: "api.yaml",
        caught_by: "lambda_role_least_privilege",
        edits: &[Set(
            "Resources/SweeperRole/Properties/ManagedPolicyArns",
            "[!Sub 'arn:${AWS::Partition}:iam::aws:policy/AmazonDynamoDBFullAccess']",
        )],
    },
    Mutation {
        name: "Stripe secret key in the payment function's environment",
        template: "api.yaml",
        caught_by: "lambda_env_no_plaintext_secrets",
        edits: &[Set("Resources/PaymentFunction/Properties/Environment/Variables/STRIPE_KEY", "sk_live_0123456789abcdefghij")],
    },
    Mutation {
        name: "webhook secret from a NoEcho parameter into the record function's environment",
        template: "api.yaml",
        caught_by: "lambda_env_no_plaintext_secrets",
        edits: &[
            Set("Parameters/StripeWebhookSecret", "{Type: String, NoEcho: true, Description: webhook signing secret}"),
            Set("Resources/RecordFunction/Properties/Environment/Variables/STRIPE_WEBHOOK_SECRET", "!Ref StripeWebhookSecret"),
        ],
    },
    Mutation {
        name: "query function environment under the AWS-managed key",
        template: "api.yaml",
        caught_by: "lambda_function_env_kms_encrypted",
        edits: &[Remove("Resources/QueryFunction/Properties/KmsKeyArn")],
    },
    Mutation {
        name: "payment log group without retention",
        template: "api.yaml",
        caught_by: "log_group_retention",
        edits: &[Remove("Resources/PaymentLogGroup/Properties/RetentionInDays")],
    },
    Mutation {
        name: "notify log group without KMS",
        template: "api.yaml",
        caught_by: "log_group_kms_encrypted",
        edits: &[Remove("Resources/NotifyLogGroup/Properties/KmsKeyId")],
    },
    Mutation {
        name: "payment function without its errors alarm",
        template: "api.yaml",
        caught_by: "lambda_function_errors_alarm",
        edits: &[Remove("Resources/PaymentErrorsAlarm")],
    },
    Mutation {
        name: "notify's errors alarm notifies nobody",
        template: "api.yaml",
        caught_by: "lambda_function_errors_alarm",
        edits: &[Remove("Resources/NotifyErrorsAlarm/Properties/AlarmActions")],
    },
    Mutation {
        name: "record's errors alarm watches the payment function",
        template: "api.yaml",
        caught_by: "lambda_function_errors_alarm",
        edits: &[Set("Resources/RecordErrorsAlarm/Properties/Dimensions/0/Value", "!Ref PaymentFunction")],
    },
    Mutation {
        name: "sweeper's only alarm watches throttles",
        template: "api.yaml",
        caught_by: "lambda_function_errors_alarm",
        edits: &[Set("Resources/SweeperErrorsAlarm/Properties/MetricName", "Throttles")],
    },
    Mutation {
        name: "stream mapping retries whole batches",
        template: "api.yaml",
        caught_by: "lambda_stream_mapping_partial_batch",
        edits: &[Remove("Resources/NotifyStreamMapping/Properties/FunctionResponseTypes")],
    },
    Mutation {
        name: "stream mapping drops what it gives up on",
        template: "api.yaml",
        caught_by: "lambda_stream_mapping_partial_batch",
        edits: &[Remove("Resources/NotifyStreamMapping/Properties/DestinationConfig")],
    },
    Mutation {
        name: "stream mapping does not bisect",
        template: "api.yaml",
        caught_by: "lambda_stream_mapping_partial_batch",
        edits: &[Set("Resources/NotifyStreamMapping/Properties/BisectBatchOnFunctionError", "false")],
    },
    Mutation {
        name: "failure queue with SQS-managed encryption only",
        template: "api.yaml",
        caught_by: "sqs_queue_kms_encrypted",
        edits: &[
            Remove("Resources/NotifyFailureQueue/Properties/KmsMasterKeyId"),
            Set("Resources/NotifyFailureQueue/Properties/SqsManagedSseEnabled", "true"),
        ],
    },
    // ---- monitoring ----
    Mutation {
        name: "CloudTrail single-region",
        template: "monitoring.yaml",
        caught_by: "cloudtrail_multi_region",
        edits: &[Set("Resources/Trail/Properties/IsMultiRegionTrail", "false")],
    },
    Mutation {
        name: "CloudTrail without global service events",
        template: "monitoring.yaml",
        caught_by: "cloudtrail_multi_region",
        edits: &[Set("Resources/Trail/Properties/IncludeGlobalServiceEvents", "false")],
    },
    Mutation {
        name: "CloudTrail without log file validation",
        template: "monitoring.yaml",
        caught_by: "cloudtrail_log_file_validation",
        edits: &[Set("Resources/Trail/Properties/EnableLogFileValidation", "false")],
    },
    Mutation {
        name: "CloudTrail without KMS",
        template: "monitoring.yaml",
        caught_by: "cloudtrail_kms_encrypted",
        edits: &[Remove("Resources/Trail/Properties/KMSKeyId")],
    },
    Mutation {
        name: "trail no longer records site and artifacts object writes",
        template: "monitoring.yaml",
        caught_by: "cloudtrail_data_events_selected",
        edits: &[Remove("Resources/Trail/Properties/AdvancedEventSelectors/Name=Site and artifacts object writes")],
    },
    Mutation {
        name: "trail no longer records who reads or deletes audit logs",
        template: "monitoring.yaml",
        caught_by: "cloudtrail_data_events_selected",
        edits: &[Remove("Resources/Trail/Properties/AdvancedEventSelectors/Name=Audit bucket reads and deletes")],
    },
    Mutation {
        name: "trail no longer records booking table data events",
        template: "monitoring.yaml",
        caught_by: "cloudtrail_data_events_selected",
        edits: &[Remove("Resources/Trail/Properties/AdvancedEventSelectors/Name=Booking table data events")],
    },
    Mutation {
        name: "trail bucket IgnorePublicAcls false",
        template: "monitoring.yaml",
        caught_by: "s3_bucket_public_access_blocked",
        edits: &[Set("Resources/TrailBucket/Properties/PublicAccessBlockConfiguration/IgnorePublicAcls", "false")],
    },
    Mutation {
        name: "trail bucket policy without the TLS deny",
        template: "monitoring.yaml",
        caught_by: "s3_bucket_ssl_requests_only",
        edits: &[Remove("Resources/TrailBucketPolicy/Properties/PolicyDocument/Statement/Sid=DenyInsecureTransport")],
    },
    Mutation {
        name: "trail bucket SSE-S3",
        template: "monitoring.yaml",
        caught_by: "s3_bucket_sse_kms_cmk",
        edits: &[Set(
            "Resources/TrailBucket/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
            "AES256",
        )],
    },
    Mutation {
        name: "trail log group without KMS",
        template: "monitoring.yaml",
        caught_by: "log_group_kms_encrypted",
        edits: &[Remove("Resources/TrailLogGroup/Properties/KmsKeyId")],
    },
    Mutation {
        name: "alerts topic without KMS",
        template: "monitoring.yaml",
        caught_by: "sns_topic_kms_encrypted",
        edits: &[Remove("Resources/AlertsTopic/Properties/KmsMasterKeyId")],
    },
    Mutation {
        name: "monitoring key rotation off",
        template: "monitoring.yaml",
        caught_by: "kms_key_rotation_enabled",
        edits: &[Set("Resources/MonitoringKey/Properties/EnableKeyRotation", "false")],
    },
];

/// Applies a mutation's edits to a template document.
pub fn apply(mutation: &Mutation, doc: &mut Value) -> Result<(), CheckError> {
    for edit in mutation.edits {
        let result = match *edit {
            Set(path, yaml) => {
                serde_yaml_ng::from_str::<Value>(yaml).map_err(|e| format!("value {yaml:?}: {e}")).and_then(|v| set(doc, path, v))
            }
            Remove(path) => remove(doc, path),
        };
        result.map_err(|reason| CheckError::Mutation { mutation: mutation.name, reason })?;
    }
    Ok(())
}

fn split(path: &str) -> Result<(Vec<&str>, &str), String> {
    let mut segments: Vec<&str> = path.split('/').collect();
    let last = segments.pop().filter(|s| !s.is_empty()).ok_or_else(|| format!("empty path {path:?}"))?;
    Ok((segments, last))
}

fn walk<'a>(doc: &'a mut Value, segments: &[&str], path: &str) -> Result<&'a mut Value, String> {
    segments.iter().try_fold(doc, |value, segment| step(value, segment).ok_or_else(|| format!("{path}: no {segment:?}")))
}

fn step<'a>(value: &'a mut Value, segment: &str) -> Option<&'a mut Value> {
    match value {
        Value::Mapping(m) => m.get_mut(segment),
        Value::Sequence(items) => {
            let index = position(items, segment)?;
            items.get_mut(index)
        }
        _ => None,
    }
}

/// The index a sequence segment names: a number, or `Key=value`.
fn position(items: &[Value], segment: &str) -> Option<usize> {
    if let Ok(index) = segment.parse::<usize>() {
        return (index < items.len()).then_some(index);
    }
    let (key, wanted) = segment.split_once('=')?;
    items.iter().position(|item| get(item, key).and_then(Value::as_str) == Some(wanted))
}

fn set(doc: &mut Value, path: &str, new: Value) -> Result<(), String> {
    let (segments, last) = split(path)?;
    match walk(doc, &segments, path)? {
        Value::Mapping(m) => {
            m.insert(Value::String(last.to_owned()), new);
            Ok(())
        }
        Value::Sequence(items) => {
            let index = position(items, last).ok_or_else(|| format!("{path}: no item {last:?}"))?;
            items[index] = new;
            Ok(())
        }
        _ => Err(format!("{path}: parent is neither a mapping nor a sequence")),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<(), String> {
    let (segments, last) = split(path)?;
    match walk(doc, &segments, path)? {
        Value::Mapping(m) => m.remove(last).map(|_| ()).ok_or_else(|| format!("{path}: nothing to remove")),
        Value::Sequence(items) => {
            let index = position(items, last).ok_or_else(|| format!("{path}: no item {last:?}"))?;
            items.remove(index);
            Ok(())
        }
        _ => Err(format!("{path}: parent is neither a mapping nor a sequence")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        serde_yaml_ng::from_str("R: {P: {Items: [{Id: a, V: 1}, {Id: b, V: 2}], Flag: true}}").unwrap()
    }

    #[test]
    fn edits_follow_keys_indexes_and_selectors() {
        let check = |edits: &'static [Edit], expected: Result<&str, &str>| {
            let mutation = Mutation { name: "m", template: "t.yaml", caught_by: "r", edits };
            let mut value = doc();
            let got = apply(&mutation, &mut value).map(|()| value).map_err(|e| e.to_string());
            match expected {
                Ok(yaml) => assert_eq!(got.unwrap(), serde_yaml_ng::from_str::<Value>(yaml).unwrap(), "{edits:?}"),
                Err(fragment) => assert!(got.as_ref().is_err_and(|e| e.contains(fragment)), "{edits:?}: {got:?}"),
            }
        };
        check(&[Set("R/P/Items/Id=b/V", "3")], Ok("R: {P: {Items: [{Id: a, V: 1}, {Id: b, V: 3}], Flag: true}}"));
        check(&[Set("R/P/New", "!Ref X")], Ok("R: {P: {Items: [{Id: a, V: 1}, {Id: b, V: 2}], Flag: true, New: !Ref X}}"));
        check(&[Remove("R/P/Items/0")], Ok("R: {P: {Items: [{Id: b, V: 2}], Flag: true}}"));
        check(&[Remove("R/P/Flag")], Ok("R: {P: {Items: [{Id: a, V: 1}, {Id: b, V: 2}]}}"));
        check(&[Remove("R/P/Missing")], Err("nothing to remove"));
        check(&[Set("R/Q/X", "1")], Err("no \"Q\""));
        check(&[Set("R/P/Items/Id=c/V", "1")], Err("no \"Id=c\""));
    }

    #[test]
    fn mutation_names_are_unique() {
        let mut names: Vec<_> = MUTATIONS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
