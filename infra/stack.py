"""The PropDesk stack: one DynamoDB table, staff identity, the Chalice API and alarms.

Two deployment profiles (``-c profile=global|cn``, ``PROPDESK_PROFILE`` in every function):

* ``global`` (any commercial region): a Cognito user pool for staff, SES for e-mail, SNS for SMS.
* ``cn`` (AWS China, cn-north-1 / cn-northwest-1), where Cognito user pools, SES and SNS SMS
  do not exist: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) signs the ES256 ID tokens of
  PropDesk's own accounts (people live in the table), e-mail goes out over SMTP and SMS through
  Alibaba Cloud or Tencent Cloud, with their credentials in Secrets Manager. The API is
  REGIONAL (China has no edge-optimized endpoints, no CloudFront in front of API Gateway).

Every ARN is built with the partition (``Aws.PARTITION``), never a literal ``arn:aws:``.

The table is built from ``chalicelib/store/schema.py`` (``TABLE_SPEC``), the same data the
PynamoDB models and the local table creation read, so code and infra cannot drift.

The Chalice app is packaged by ``chalice.cdk.Chalice`` (``chalice package`` + CfnInclude of
the SAM template), as the ``dev`` stage of ``.chalice/config.json``. Chalice is told not to manage IAM (``manage_iam_role: False``): every
function it emits -- the API handler, the built-in authorizer, scheduled jobs, whatever the
app grows -- is found in the included SAM template and given the one least-privilege role
defined here, its own log group (30 days) and error/throttle alarms.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from aws_cdk import (
    Aws,
    CfnOutput,
    CfnResource,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from chalice.cdk import Chalice
from constructs import Construct

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.settings import PROFILES, SMS_PROVIDERS  # noqa: E402
from chalicelib.store import schema  # noqa: E402  (needs REPO_ROOT on sys.path)
from infra import lambda_package  # noqa: E402
from infra.concurrency import SCHEDULED_CONCURRENCY, api_concurrency  # noqa: E402
from infra.profiles import CHINA_REGIONS, DEFAULT_SMTP_HOST, DEFAULT_SMTP_PORT, check_certificate  # noqa: E402

#: The Chalice stage of ``.chalice/config.json`` that is deployed (see ``ChaliceApp``).
CHALICE_STAGE = lambda_package.STAGE

#: The API function role may do exactly this on the table and its indexes. No Scan, ever.
#: (Transactions need no actions of their own: TransactWriteItems/TransactGetItems are
#: authorised by Put/Update/Delete/ConditionCheck/GetItem.)
DYNAMODB_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
]

#: Cognito admin calls the API makes (chalicelib/adapters/identity.py: signup creates users,
#: staff management, sign-in; disabling a user also signs them out everywhere).
COGNITO_ACTIONS = [
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminGetUser",
    "cognito-idp:AdminInitiateAuth",
    "cognito-idp:AdminRespondToAuthChallenge",
    "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser",
    "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminUserGlobalSignOut",
]

SES_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]

#: What the ``accounts`` identity adapter does with its token key: sign ID tokens, and read the
#: public key once to verify them. Nothing else (no Decrypt, no key administration).
TOKEN_KEY_ACTIONS = ["kms:Sign", "kms:GetPublicKey"]

#: The headers every answer of the app carries (``SECURITY_HEADERS`` of chalicelib/api/http.py,
#: which this module must not import: its package registers the routes, and a second synth in
#: one process would register them twice). tests/infra checks the two are the same.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
ACCESS_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
ALARM_PERIOD = Duration.minutes(5)

#: The table operations the app uses (CloudWatch allows at most 10 metrics per alarm).
TABLE_OPERATIONS = [
    dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM, dynamodb.Operation.QUERY, dynamodb.Operation.BATCH_GET_ITEM,
    dynamodb.Operation.BATCH_WRITE_ITEM, dynamodb.Operation.TRANSACT_WRITE_ITEMS,
    dynamodb.Operation.TRANSACT_GET_ITEMS,
]

#: The sweep runs every minute: its oldest due step waiting longer than this is an incident.
SWEEP_LAG_LIMIT_S = 300

#: X-Ray has no resource-level permissions: these two go on ``*``.
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]

#: API Gateway's access log line, one JSON object per request. The request id is the one the
#: app binds to its own log lines (``request_scope`` in chalicelib/api/http.py), the trace id
#: X-Ray's. The route is the resource *template* (``/t/{token}``), never the path, which can
#: carry a tracking token; no query string, source IP, user agent or authorizer claim but the
#: tenant id (never the e-mail or name the authorizer also passes on).
ACCESS_LOG_FORMAT = {
    "request_id": "$context.requestId",
    "trace_id": "$context.xrayTraceId",
    "time": "$context.requestTimeEpoch",
    "method": "$context.httpMethod",
    "route": "$context.resourcePath",
    "status": "$context.status",
    "latency_ms": "$context.responseLatency",
    "integration_latency_ms": "$context.integrationLatency",
    "tenant_id": "$context.authorizer.tenant_id",
    "error_type": "$context.error.responseType",
}

#: The app's own metrics (Powertools EMF, chalicelib/observability.py): namespace and the one
#: dimension Powertools adds (``service``, from POWERTOOLS_SERVICE_NAME).
APP_METRICS_NAMESPACE = "PropDesk"
APP_SERVICE = "propdesk"

#: Asynchronous invocations of the scheduled functions: (retries, maximum event age in seconds)
#: before the event goes to the failure queue. The minute sweep is not retried (the next minute
#: redoes its work, "now" taken from its own event); others get Lambda's two retries in an hour.
JOB_RETRIES = {"SlaSweep": (0, 60)}
DEFAULT_JOB_RETRIES = (2, 3600)

#: Checks of checkov (``make test`` runs it on every profile) that do not fit PropDesk, with why.
#: Each goes into the resource's ``Metadata.checkov.skip``; bench/checkov.py lists them.
SKIP_NO_VPC = ("CKV_AWS_117", "no VPC: the functions call only AWS APIs and SMS/e-mail providers over TLS; "
               "a VPC would add NAT cost and cold start")
SKIP_ENV_CMK = ("CKV_AWS_173", "Lambda encrypts the environment at rest with its AWS-managed key; "
                "the only secret in it is resolved from Secrets Manager at deploy")
SKIP_SYNC_DLQ = ("CKV_AWS_116", "invoked synchronously by API Gateway: a failure is answered to the caller, "
                 "there is no asynchronous event to dead-letter")
SKIP_JOB_DLQ = ("CKV_AWS_116", "failed runs go to the JobFailures queue through an on-failure destination "
                "(EventInvokeConfig), which this check does not read")
SKIP_LOGS_CMK = ("CKV_AWS_158", "CloudWatch Logs encrypts at rest; the lines carry ids, routes and statuses, "
                 "no personal data (a CMK would need a per-region logs principal)")
SKIP_TABLE_CMK = ("CKV_AWS_119", "encrypted with the AWS-managed DynamoDB key; a customer-managed key adds "
                  "cost and a key to lose without a threat it answers")
SKIP_SECRET_CMK = ("CKV_AWS_149", "encrypted with the account's AWS-managed Secrets Manager key, readable only "
                   "by the function role")
SKIP_PHOTO_VERSIONING = ("CKV_AWS_21", "no versioning: deleting a resident's photo (or an unstripped upload) "
                         "must remove it, not keep a previous version")
SKIP_LOG_BUCKET_LOGGING = ("CKV_AWS_18", "this is the access-log bucket: logging it into itself would loop")
SKIP_LOG_BUCKET_VERSIONING = ("CKV_AWS_21", "access logs are written once and expire; versions would only "
                              "keep expired logs")
SKIP_API_CACHE = ("CKV_AWS_120", "no API cache: answers are per tenant and per person and must not be "
                  "served from a shared cache")
SKIP_STAR_WRITES = {
    "global": ("CKV_AWS_111", "SMS to a phone number has no resource ARN, so sns:Publish on '*', fenced off "
               "every topic by a Deny; X-Ray has no resource-level permissions"),
    "cn": ("CKV_AWS_111", "X-Ray has no resource-level permissions: PutTraceSegments and PutTelemetryRecords "
           "on '*', nothing else"),
}


def _error_body(code: str, message: str) -> str:
    """A gateway-response body in the app's error shape, ``{"error": {"code", "message",
    "fields": {}}}``. ``message`` is a JSON string literal or a VTL expression that renders
    as one (``$context.error.messageString`` is API Gateway's message, quoted)."""
    return '{"error": {"code": "%s", "message": %s, "fields": {}}}' % (code, message)


#: API Gateway's own answers (before or instead of the Lambda) in our error shape, with the
#: same security headers as the app's answers (``SECURITY_HEADERS``): response type ->
#: (status, code, message, extra headers). ``None`` as status keeps API Gateway's status code.
#: The messages of the 401 and 404 are the local gateway's (infra/local/gateway.py), so a
#: caller sees the same answer locally and deployed (tests/infra checks both).
#:
#: There is no gateway response for 405: every path also has an ANY method that reaches the
#: app (``_methods_reach_the_app``), so a wrong method gets the app's own 405 as under
#: ``chalice local``. 415 is the app's answer too (proxy integrations pass any content type);
#: UNSUPPORTED_MEDIA_TYPE is set in case API Gateway ever answers it itself.
GATEWAY_RESPONSES: dict[str, tuple[str | None, str, str, dict[str, str]]] = {
    "UNAUTHORIZED": ("401", "unauthorized", '"Sign in first: send Authorization: Bearer <ID token>."', {}),
    "ACCESS_DENIED": ("403", "forbidden", '"Forbidden"', {}),
    "EXPIRED_TOKEN": ("401", "unauthorized", '"Sign in first: send Authorization: Bearer <ID token>."', {}),
    # API Gateway answers unknown routes with MISSING_AUTHENTICATION_TOKEN (403 by default).
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", '"No such route."', {}),
    "RESOURCE_NOT_FOUND": ("404", "not_found", '"No such route."', {}),
    "REQUEST_TOO_LARGE": ("413", "payload_too_large", '"Request too large"', {}),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "unsupported_media_type", '"Unsupported Content-Type"', {}),
    # stage throttling is per second: a second later is worth a retry
    "THROTTLED": ("429", "rate_limited", '"Too many requests"', {"Retry-After": "1"}),
    "QUOTA_EXCEEDED": ("429", "rate_limited", '"Too many requests"', {"Retry-After": "60"}),
    "DEFAULT_4XX": (None, "bad_request", "$context.error.messageString", {}),
    "DEFAULT_5XX": (None, "internal", '"Internal error"', {}),
}


def api_gateway_stage(source_dir: Path = REPO_ROOT) -> str:
    """The API Gateway stage name the deployed Chalice stage uses (``.chalice/config.json``)."""
    config = json.loads((source_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    stage = config.get("stages", {}).get(CHALICE_STAGE, {})
    return stage.get("api_gateway_stage") or config.get("api_gateway_stage") or "api"


class ChaliceApp(Chalice):
    """``chalice.cdk.Chalice`` packaging the ``dev`` stage of ``.chalice/config.json``.

    Out of the box the construct packages the Chalice stage named after its CDK scope
    (``scope.to_string()``, i.e. the stack name such as ``PropDesk``), which config.json
    does not define: the ``dev`` stage's memory, timeout, environment and per-function
    ``lambda_functions`` settings would be silently dropped. ``stage_config`` still wins
    over config.json for everything but per-function settings.
    """

    def _package_app(self) -> None:
        self.stage_name = CHALICE_STAGE
        super()._package_app()
        # Trimmed and byte-compiled before it becomes the asset (infra/lambda_package.py).
        lambda_package.finish(Path(self._sam_package_dir) / "deployment.zip")


class PropDeskStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, source_dir: Path = REPO_ROOT,
                 domain_name: str | None = None, certificate_arn: str | None = None,
                 profile: str = "global", sms_provider: str | None = None,
                 smtp_host: str | None = None, smtp_port: int | str | None = None, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # S3 server access logs are granted by a bucket policy on the log bucket (no ACLs)
        self.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        if bool(domain_name) != bool(certificate_arn):
            raise ValueError("give both domain_name and certificate_arn (an ACM certificate in this region), or neither")
        check_certificate(profile, certificate_arn)
        self.profile = profile
        self.domain_name = domain_name

        self.table = self._table()
        self.photos = self._photo_bucket()
        self.user_pool: cognito.UserPool | None = None
        self.user_pool_client: cognito.UserPoolClient | None = None
        self.token_key: kms.Key | None = None
        self.secrets: dict[str, secretsmanager.Secret] = {}
        if profile == "global":
            self.user_pool, self.user_pool_client = self._user_pool()
        else:
            sms_provider = sms_provider or SMS_PROVIDERS[0]
            if sms_provider not in SMS_PROVIDERS:
                raise ValueError(f"sms_provider must be one of {', '.join(SMS_PROVIDERS)}, not {sms_provider!r}")
            self.token_key = self._token_key()
            self.secrets = self._provider_secrets(sms_provider)
        # Keys residents' contact digests and sealed links (domain/contacts.py): generated here, never
        # in the template; it reaches the functions as a Secrets Manager reference resolved at deploy.
        self.contact_pepper = secretsmanager.Secret(
            self, "ContactPepper", description="PropDesk: the key of residents' contact digests (do not rotate: "
            "a new one makes earlier reports unfindable by contact)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=48, exclude_punctuation=True),
            removal_policy=RemovalPolicy.RETAIN)
        for secret in (self.contact_pepper, *self.secrets.values()):
            _skip_checks(secret, SKIP_SECRET_CMK)
        self.alarm_topic = self._alarm_topic()
        # Failed asynchronous runs of the scheduled functions (on-failure destinations). SQS's
        # AWS-managed key: its key policy lets the account's principals use it through SQS.
        self.job_failures = sqs.Queue(self, "JobFailures", encryption=sqs.QueueEncryption.KMS_MANAGED,
                                      enforce_ssl=True, retention_period=Duration.days(14))

        # The one role of every function of the app. Its policy document is filled in
        # below (log groups are only known once the functions are), and is inline so the
        # permissions exist as soon as the role does.
        self.function_policy = iam.PolicyDocument()
        self.function_role = iam.Role(
            self, "AppFunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=("PropDesk Chalice functions: table, photos, user pool, SES, SNS SMS, own log groups"
                         if profile == "global" else
                         "PropDesk Chalice functions: table, photos, token key, provider secrets, own log groups"),
            inline_policies={"PropDeskApp": self.function_policy},
        )
        _skip_checks(self.function_role, SKIP_STAR_WRITES[profile])
        self.function_policy.add_statements(
            iam.PolicyStatement(
                sid="Table",
                actions=DYNAMODB_ACTIONS,
                resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
            ),
            iam.PolicyStatement(
                # residents upload with presigned POSTs signed by this role; the API reads the
                # upload once, writes the stripped copy, deletes the upload, signs GETs
                sid="Photos",
                actions=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                resources=[self.photos.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                # a firm's export (multipart upload) and deletion (everything under its prefixes)
                sid="FirmData",
                actions=["s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[self.photos.bucket_arn],
            ),
            iam.PolicyStatement(sid="FirmDataObjects", actions=["s3:AbortMultipartUpload"],
                                resources=[self.photos.arn_for_objects("*")]),
            iam.PolicyStatement(sid="Tracing", actions=XRAY_ACTIONS, resources=["*"]),
        )
        self.function_policy.add_statements(*(self._global_statements() if profile == "global"
                                              else self._china_statements()))

        self.api_stage_name = api_gateway_stage(source_dir)
        stage_config = {
            "api_gateway_stage": self.api_stage_name,
            # Chalice neither creates roles nor generates policies: every function gets
            # self.function_role (chalice's documented "bring your own role" settings).
            "autogen_policy": False,
            "manage_iam_role": False,
            "iam_role_arn": self.function_role.role_arn,
            # merged over the dev stage's environment_variables by Chalice
            "environment_variables": {
                schema.TABLE_ENV_VAR: self.table.table_name,
                "PROPDESK_PHOTO_BUCKET": self.photos.bucket_name,
                "PROPDESK_PROFILE": profile,
                "PROPDESK_CONTACT_PEPPER": self.contact_pepper.secret_value.unsafe_unwrap(),
                **(self._identity_environment() if profile == "global" else
                   self._china_environment(sms_provider, smtp_host or DEFAULT_SMTP_HOST,
                                           int(smtp_port or DEFAULT_SMTP_PORT))),
                "POWERTOOLS_SERVICE_NAME": "propdesk",
                "POWERTOOLS_METRICS_NAMESPACE": "PropDesk",
                "POWERTOOLS_LOG_LEVEL": "INFO",
                # traces carry timings and ids, never a response or an exception's text
                "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
                "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
                # links in pages, posters and messages: the firm-facing domain when there is one
                **({"PROPDESK_PUBLIC_BASE_URL": f"https://{domain_name}"} if domain_name else {}),
            },
        }
        if profile == "cn":
            # China has no edge-optimized endpoints (they are CloudFront): a regional API.
            stage_config["api_gateway_endpoint_type"] = "REGIONAL"
        self.chalice = ChaliceApp(self, "Api", source_dir=str(source_dir), stage_config=stage_config)

        self.rest_api = self.chalice.get_resource("RestAPI")
        self.api_name = f"propdesk-{self.stack_name}"
        self._configure_rest_api()

        self.functions = self._functions()
        self.authorizer_function_ids = self._authorizer_function_ids()
        self.scheduled_function_ids = self._scheduled_function_ids()
        self.log_groups: dict[str, logs.LogGroup] = {}
        for fn in self.functions:
            self._configure_function(fn)

        self._alarms()
        self._dashboard()

        self.api_url = f"https://{self.rest_api.ref}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{self.api_stage_name}/"
        CfnOutput(self, "ApiUrl", value=self.api_url, description="Base URL of the PropDesk API")
        if domain_name and certificate_arn:
            self._custom_domain(domain_name, certificate_arn)
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "PhotoBucket", value=self.photos.bucket_name)
        if self.user_pool is not None and self.user_pool_client is not None:
            CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
            CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        if self.token_key is not None:
            CfnOutput(self, "TokenKeyArn", value=self.token_key.key_arn,
                      description="KMS key that signs the ES256 ID tokens of PropDesk's own accounts")
        for name, secret in self.secrets.items():
            CfnOutput(self, f"{name}SecretArn", value=secret.secret_arn,
                      description=f"Put the {name} provider's credentials here (JSON; see infra/README.md)")
        CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
        CfnOutput(self, "JobFailuresQueueUrl", value=self.job_failures.queue_url,
                  description="Failed runs of the scheduled functions (see infra/README.md, runbook)")
        CfnOutput(self, "ApiAccessLogGroup", value=self.access_log_group.log_group_name)

    # -- data --------------------------------------------------------------------------

    def _photo_bucket(self) -> s3.Bucket:
        """Residents' photos: private (presigned URLs only), encrypted, TLS only. Uploads
        under ``incoming/`` are read once and deleted; any left (never confirmed) go after a day.
        Every request on it is logged (S3 server access logs) into ``AccessLogs``."""
        self.access_logs = s3.Bucket(
            self, "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", enabled=True, expiration=Duration.days(365))],
        )
        _skip_checks(self.access_logs, SKIP_LOG_BUCKET_LOGGING, SKIP_LOG_BUCKET_VERSIONING)
        photos = s3.Bucket(
            self, "Photos",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(id="unconfirmed-uploads", prefix="incoming/", enabled=True,
                                 expiration=Duration.days(1)),
                # a firm's export (the ZIP and its working files) holds every resident's contact
                # details: gone 7 days after it was written (chalicelib/domain/firm_data.py KEPT)
                s3.LifecycleRule(id="finished-exports", tag_filters={"propdesk-kind": "export"}, enabled=True,
                                 expiration=Duration.days(7)),
                # a multipart upload an export abandoned (its parts are billed, and personal)
                s3.LifecycleRule(id="abandoned-uploads", enabled=True,
                                 abort_incomplete_multipart_upload_after=Duration.days(7)),
            ],
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="photos/",
        )
        _skip_checks(photos, SKIP_PHOTO_VERSIONING)
        return photos

    def _alarm_topic(self) -> sns.Topic:
        """The topic alarms publish to, encrypted with a key of its own: CloudWatch cannot use
        SNS's AWS-managed key, so the key policy lets the CloudWatch service encrypt with it."""
        key = kms.Key(self, "AlarmTopicKey", description="PropDesk: encrypts the alarm topic",
                      enable_key_rotation=True)
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="CloudWatchAlarmsPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        ))
        return sns.Topic(self, "AlarmTopic", display_name="PropDesk alarms", enforce_ssl=True, master_key=key)

    def _table(self) -> dynamodb.Table:
        spec = schema.TABLE_SPEC
        table = dynamodb.Table(
            self, "Table",
            partition_key=dynamodb.Attribute(name=spec["hash_key"], type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=spec["range_key"], type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode[spec["billing_mode"]],
            time_to_live_attribute=spec["ttl_attribute"],
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
        )
        _skip_checks(table, SKIP_TABLE_CMK)
        for gsi in spec["global_secondary_indexes"]:
            range_key = gsi.get("range_key")
            table.add_global_secondary_index(
                index_name=gsi["name"],
                partition_key=dynamodb.Attribute(name=gsi["hash_key"], type=dynamodb.AttributeType.STRING),
                sort_key=(dynamodb.Attribute(name=range_key, type=dynamodb.AttributeType.STRING)
                          if range_key else None),
                projection_type=dynamodb.ProjectionType[gsi.get("projection", "ALL")],
                non_key_attributes=gsi.get("non_key_attributes"),
            )
        return table

    # -- identity ----------------------------------------------------------------------

    def _user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self, "UserPool",
            # the username is the e-mail address
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            # firms sign up through our API, which calls AdminCreateUser
            self_sign_up_enabled=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                "tenant_id": cognito.StringAttribute(min_len=1, max_len=64, mutable=False),
                "role": cognito.StringAttribute(min_len=1, max_len=32, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=False,
                temp_password_validity=Duration.days(7),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        client = pool.add_client(
            "AppClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(admin_user_password=True, user_password=True, user_srp=True),
            # a token carries tenant and role ...
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes("tenant_id", "role"),
            # ... but a user can never change their own tenant or role (only AdminUpdateUserAttributes can)
            write_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, fullname=True),
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            # no hosted UI: CDK would otherwise enable code + implicit grants to https://example.com
            disable_o_auth=True,
        )
        return pool, client

    def _identity_environment(self) -> dict[str, str]:
        assert self.user_pool is not None and self.user_pool_client is not None
        return {"COGNITO_USER_POOL_ID": self.user_pool.user_pool_id,
                "COGNITO_CLIENT_ID": self.user_pool_client.user_pool_client_id}

    def _global_statements(self) -> list[iam.PolicyStatement]:
        """Cognito admin calls on the pool; SES from the account's verified identities; SMS by
        SNS. An SMS to a phone number has no resource ARN (IAM needs ``*``): the Deny keeps
        that grant from reaching any topic of the account."""
        assert self.user_pool is not None
        return [
            iam.PolicyStatement(
                sid="UserPool",
                actions=COGNITO_ACTIONS,
                resources=[self.user_pool.user_pool_arn],
            ),
            iam.PolicyStatement(
                sid="SendEmail",
                actions=SES_ACTIONS,
                resources=[f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/*"],
            ),
            iam.PolicyStatement(sid="SendSms", actions=["sns:Publish"], resources=["*"]),
            iam.PolicyStatement(
                sid="SmsOnlyNoTopics",
                effect=iam.Effect.DENY,
                actions=["sns:Publish"],
                resources=[f"arn:{Aws.PARTITION}:sns:*:*:*"],
            ),
        ]

    # -- the cn profile: own accounts (KMS-signed tokens), SMTP and China SMS providers ----

    def _token_key(self) -> kms.Key:
        """The key that signs ID tokens (ES256 = ECDSA P-256 with SHA-256). The private half never
        leaves KMS; the app fetches the public key once and verifies locally. Retained: deleting
        it would sign everyone out, and KMS keys cannot be brought back."""
        return kms.Key(
            self, "TokenSigningKey",
            description="PropDesk: signs the ES256 ID tokens of its own staff accounts",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _provider_secrets(self, sms_provider: str) -> dict[str, secretsmanager.Secret]:
        """Empty secrets for the SMTP and SMS providers' credentials (the operator puts the JSON
        in after the first deploy, ``aws secretsmanager put-secret-value``): no credential is
        ever in the template, the environment or the table."""
        return {
            "Smtp": secretsmanager.Secret(
                self, "SmtpCredentials", description="PropDesk: SMTP user name and password (JSON)",
                removal_policy=RemovalPolicy.RETAIN),
            "Sms": secretsmanager.Secret(
                self, "SmsCredentials",
                description=f"PropDesk: {sms_provider} SMS credentials and signature (JSON)",
                removal_policy=RemovalPolicy.RETAIN),
        }

    def _china_environment(self, sms_provider: str, smtp_host: str, smtp_port: int) -> dict[str, str]:
        assert self.token_key is not None
        return {
            "PROPDESK_TOKEN_KEY_ID": self.token_key.key_arn,
            "PROPDESK_SMS_PROVIDER": sms_provider,
            "PROPDESK_SMS_SECRET_ARN": self.secrets["Sms"].secret_arn,
            "PROPDESK_SMTP_HOST": smtp_host,
            "PROPDESK_SMTP_PORT": str(smtp_port),
            "PROPDESK_SMTP_SECRET_ARN": self.secrets["Smtp"].secret_arn,
        }

    def _china_statements(self) -> list[iam.PolicyStatement]:
        """Sign with and read the public half of the token key; read the two provider secrets.
        No Cognito, SES or SNS publishing: none of them exists (or sends SMS) in China."""
        assert self.token_key is not None
        return [
            iam.PolicyStatement(sid="TokenKey", actions=TOKEN_KEY_ACTIONS, resources=[self.token_key.key_arn]),
            iam.PolicyStatement(sid="ProviderSecrets", actions=["secretsmanager:GetSecretValue"],
                                resources=[secret.secret_arn for secret in self.secrets.values()]),
        ]

    # -- the Chalice app ---------------------------------------------------------------

    def _configure_rest_api(self) -> None:
        api = self.rest_api
        # A known name, so that the API Gateway alarm can name its dimension.
        api.add_property_override("Name", self.api_name)
        api.add_property_override("DefinitionBody.info.title", self.api_name)
        responses: dict[str, Any] = {}
        for response_type, (status, code, message, extra) in GATEWAY_RESPONSES.items():
            headers = {"Content-Type": "application/json", **SECURITY_HEADERS, **extra}
            response: dict[str, Any] = {
                # static header values are quoted in API Gateway's mapping syntax
                "ResponseParameters": {"Headers": {name: f"'{value}'" for name, value in headers.items()}},
                "ResponseTemplates": {"application/json": _error_body(code, message)},
            }
            if status is not None:
                response["StatusCode"] = status
            responses[response_type] = response
        # SAM writes these into the API definition, so they are part of every deployment.
        api.add_property_override("GatewayResponses", responses)
        self._methods_reach_the_app()
        api.add_property_override("TracingEnabled", True)
        self._access_logs()
        _skip_checks(api, SKIP_API_CACHE)

    def _access_logs(self) -> None:
        """One JSON line per request (``ACCESS_LOG_FORMAT``) into a log group with retention, and
        two metrics read from it: 5xx answers by route and authorizer failures. API Gateway writes
        access logs with the account's CloudWatch role (``AWS::ApiGateway::Account``, one per
        account and region: a second PropDesk stack sets the same role)."""
        self.access_log_group = logs.LogGroup(self, "ApiAccessLogs", retention=ACCESS_LOG_RETENTION,
                                              removal_policy=RemovalPolicy.RETAIN)
        _skip_checks(self.access_log_group, SKIP_LOGS_CMK)
        role = iam.Role(self, "ApiGatewayLogsRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                        description="API Gateway writes the access logs of this account and region",
                        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                            "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        self.rest_api.add_property_override("AccessLogSetting", {
            "DestinationArn": self.access_log_group.log_group_arn,
            "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
        })
        # SAM passes DependsOn on to the stage it generates, which needs the account's role set
        self.rest_api.add_dependency(account)
        self.api_5xx_by_route = logs.MetricFilter(
            self, "Api5xxByRoute", log_group=self.access_log_group,
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", "5*"),
            metric_namespace=APP_METRICS_NAMESPACE, metric_name="Api5xx", metric_value="1",
            dimensions={"Method": "$.method", "Route": "$.route"})
        self.authorizer_failures = logs.MetricFilter(
            self, "AuthorizerFailures", log_group=self.access_log_group,
            filter_pattern=logs.FilterPattern.any(
                logs.FilterPattern.string_value("$.error_type", "=", "AUTHORIZER_FAILURE"),
                logs.FilterPattern.string_value("$.error_type", "=", "AUTHORIZER_CONFIGURATION_ERROR")),
            metric_namespace=APP_METRICS_NAMESPACE, metric_name="AuthorizerFailures", metric_value="1")

    def _methods_reach_the_app(self) -> None:
        """Give every path of the API an ANY method integrated with the API handler, without
        the authorizer. API Gateway answers a method a path lacks as if the path were unknown
        (403, or our 404); with ANY beside the path's own methods (which take precedence) a
        wrong method reaches the app, which answers 405 with ``Allow``, exactly as under
        ``chalice local``. Read from the API definition Chalice generated."""
        sam = self._sam_template()
        if not sam:
            raise RuntimeError("chalice.cdk left no sam.json: cannot complete the API definition")
        paths = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
        for path, methods in paths.items():
            handler = next(operation["x-amazon-apigateway-integration"] for name, operation in methods.items()
                           if isinstance(operation, dict) and "x-amazon-apigateway-integration" in operation
                           and "APIHandler.Arn" in json.dumps(operation["x-amazon-apigateway-integration"]))
            methods.setdefault("x-amazon-apigateway-any-method", {
                "responses": {"405": {"description": "method not allowed (answered by the app)"}},
                "x-amazon-apigateway-integration": handler,
            })
        self.rest_api.add_property_override("DefinitionBody.paths", paths)

    def _custom_domain(self, domain_name: str, certificate_arn: str) -> None:
        """The pages (residents' and the console) link with absolute paths and set their
        cookies on ``/console``: they are served at the root of a host. A regional custom
        domain maps the API's stage to that root (the execute-api URL keeps its ``/api/``
        stage prefix and suits the JSON API only). Point a CNAME at ``DomainTarget``."""
        domain = apigateway.CfnDomainName(
            self, "Domain", domain_name=domain_name, regional_certificate_arn=certificate_arn,
            endpoint_configuration=apigateway.CfnDomainName.EndpointConfigurationProperty(types=["REGIONAL"]),
            security_policy="TLS_1_2")
        mapping = apigateway.CfnBasePathMapping(self, "RootMapping", domain_name=domain.ref,
                                                rest_api_id=self.rest_api.ref, stage=self.api_stage_name)
        # the stage is made by the SAM transform from RestAPI: wait for it by its generated id
        mapping.add_override("DependsOn", [f"RestAPI{self.api_stage_name}Stage"])
        CfnOutput(self, "SiteUrl", value=f"https://{domain_name}/",
                  description="Where residents and staff open PropDesk (/r/<slug>, /console)")
        CfnOutput(self, "DomainTarget", value=domain.attr_regional_domain_name,
                  description="Point the domain's CNAME (or alias) record here")

    def _functions(self) -> list[CfnResource]:
        """Every function of the Chalice app, whatever the app defines today."""
        functions = [child for child in self.chalice.sam_template.node.children
                     if CfnResource.is_cfn_resource(child)
                     and child.cfn_resource_type == "AWS::Serverless::Function"]
        if not functions:
            raise RuntimeError("chalice package produced no AWS::Serverless::Function")
        return sorted(functions, key=lambda fn: fn.node.id)

    def _authorizer_function_ids(self) -> set[str]:
        """Logical ids of the functions API Gateway calls as (built-in Chalice) authorizers.

        Read from the API definition Chalice generated (``securityDefinitions`` ->
        ``authorizerUri`` = ``...${<Function>.Arn}/invocations``). chalice.cdk keeps the
        packaged SAM template under ``_sam_package_dir``; without it, no function is
        treated as an authorizer (they then simply get the ordinary alarms).
        """
        body = self._sam_template().get("Resources", {}).get("RestAPI", {}).get("Properties", {}).get(
            "DefinitionBody", {})
        ids: set[str] = set()
        for definition in body.get("securityDefinitions", {}).values():
            uri = definition.get("x-amazon-apigateway-authorizer", {}).get("authorizerUri", "")
            ids |= set(re.findall(r"\$\{(\w+)\.Arn\}", json.dumps(uri)))
        return ids & {fn.node.id for fn in self.functions}

    def _sam_template(self) -> dict[str, Any]:
        """The SAM template ``chalice package`` wrote (chalice.cdk keeps it under
        ``_sam_package_dir``); empty if there is none."""
        sam_file = Path(getattr(self.chalice, "_sam_package_dir", "")) / "sam.json"
        return json.loads(sam_file.read_text(encoding="utf-8")) if sam_file.is_file() else {}

    def _scheduled_function_ids(self) -> set[str]:
        """Logical ids of the functions EventBridge invokes (``@app.schedule``): asynchronous,
        one at a time, with an on-failure destination."""
        resources = self._sam_template().get("Resources", {})
        return {fn.node.id for fn in self.functions
                if any(event.get("Type") == "Schedule"
                       for event in resources.get(fn.node.id, {}).get("Properties", {}).get("Events", {}).values())}

    def _configure_function(self, fn: CfnResource) -> None:
        name = fn.node.id  # the logical id in Chalice's SAM template, e.g. APIHandler
        log_group = logs.LogGroup(self, f"{name}LogGroup", retention=LOG_RETENTION,
                                  removal_policy=RemovalPolicy.RETAIN)
        _skip_checks(log_group, SKIP_LOGS_CMK)
        self.log_groups[name] = log_group
        # Chalice already set Role from iam_role_arn; set it again so that no per-function
        # override in .chalice/config.json can route a function to another role.
        fn.add_property_override("Role", self.function_role.role_arn)
        # The function writes to its own, pre-created log group (retention set), never to an
        # auto-created /aws/lambda/... group; so the role needs no logs:CreateLogGroup.
        fn.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name})
        self.function_policy.add_statements(iam.PolicyStatement(
            sid=f"Logs{_sid(name)}",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        ))
        # X-Ray: Lambda's segment per invocation; the app adds DynamoDB and channel subsegments
        # (chalicelib/observability.py, loaded on the first traced call, not at import).
        fn.add_property_override("Tracing", "Active")
        if name in self.scheduled_function_ids:
            fn.add_property_override("ReservedConcurrentExecutions", SCHEDULED_CONCURRENCY)
            retries, max_age = JOB_RETRIES.get(name, DEFAULT_JOB_RETRIES)
            fn.add_property_override("EventInvokeConfig", {
                "MaximumRetryAttempts": retries,
                "MaximumEventAgeInSeconds": max_age,
                "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": self.job_failures.queue_arn}},
            })
            self.function_policy.add_statements(iam.PolicyStatement(
                sid=f"Failures{_sid(name)}", actions=["sqs:SendMessage"], resources=[self.job_failures.queue_arn]))
            _skip_checks(fn, SKIP_NO_VPC, SKIP_ENV_CMK, SKIP_JOB_DLQ)
        else:
            fn.add_property_override("ReservedConcurrentExecutions", api_concurrency())
            _skip_checks(fn, SKIP_NO_VPC, SKIP_ENV_CMK, SKIP_SYNC_DLQ)

    # -- alarms ------------------------------------------------------------------------

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, description: str, *, threshold: float = 0,
               missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING) -> cloudwatch.Alarm:
        """An alarm to the topic when ``metric`` goes over ``threshold`` in one period. Each
        description names its entry in infra/README.md's runbook (``Runbook: <title>``)."""
        alarm = cloudwatch.Alarm(
            self, construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=missing,
            alarm_description=description,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
        return alarm

    def _alarms(self) -> None:
        self._alarm(
            "Api5xxAlarm",
            cloudwatch.Metric(
                namespace="AWS/ApiGateway", metric_name="5XXError",
                dimensions_map={"ApiName": self.api_name, "Stage": self.api_stage_name},
                statistic="Sum", period=ALARM_PERIOD),
            "PropDesk API answered 5xx in the last 5 minutes. Runbook: API 5xx",
        )
        self._alarm(
            "AuthorizerFailuresAlarm",
            self.authorizer_failures.metric(statistic="Sum", period=ALARM_PERIOD),
            "PropDesk authorizer failed (not a refused token: it crashed, timed out or was throttled) "
            "in the last 5 minutes. Runbook: Authorizer failures",
        )
        self._alarm(
            "SweepLagAlarm", self._app_metric("SweepLagSeconds", "Maximum"),
            f"PropDesk's oldest due escalation waited over {SWEEP_LAG_LIMIT_S // 60} minutes, or no sweep ran "
            "in 5 minutes. Runbook: Sweep lag",
            threshold=SWEEP_LAG_LIMIT_S, missing=cloudwatch.TreatMissingData.BREACHING,
        )
        self._alarm(
            "OutboxFailuresAlarm", self._app_metric("NotificationFailed", "Sum"),
            "PropDesk gave up on a notification in the last 5 minutes. Runbook: Outbox failures",
        )
        self._alarm(
            "JobFailuresAlarm",
            self.job_failures.metric_approximate_number_of_messages_visible(statistic="Maximum", period=ALARM_PERIOD),
            "A scheduled PropDesk run failed and is on the JobFailures queue. Runbook: Job failures",
        )
        for fn in self.functions:
            name = fn.node.id
            # A token authorizer answers 401 by raising "Unauthorized", which Lambda counts
            # as an error: every expired token would trip an Errors alarm. Its real failures
            # reach clients as 500 (AUTHORIZER_FAILURE) and so trip the API 5xx alarm.
            metric_names = ("Throttles",) if name in self.authorizer_function_ids else ("Errors", "Throttles")
            for metric_name in metric_names:
                self._alarm(
                    f"{name}{metric_name}Alarm",
                    cloudwatch.Metric(
                        namespace="AWS/Lambda", metric_name=metric_name,
                        dimensions_map={"FunctionName": fn.ref},
                        statistic="Sum", period=ALARM_PERIOD),
                    f"PropDesk function {name}: {metric_name.lower()} in the last 5 minutes. "
                    f"Runbook: Function {metric_name.lower()}",
                )
        self._alarm(
            "TableThrottleAlarm",
            self.table.metric_throttled_requests_for_operations(operations=TABLE_OPERATIONS, period=ALARM_PERIOD),
            "PropDesk table throttled requests in the last 5 minutes. Runbook: Table throttles",
        )
        self._alarm(
            "TableSystemErrorsAlarm",
            self.table.metric_system_errors_for_operations(operations=TABLE_OPERATIONS, period=ALARM_PERIOD),
            "PropDesk table system errors in the last 5 minutes. Runbook: DynamoDB system errors",
        )

    def _app_metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        """A metric the app writes (Powertools EMF, chalicelib/observability.py)."""
        return cloudwatch.Metric(namespace=APP_METRICS_NAMESPACE, metric_name=name,
                                 dimensions_map={"service": APP_SERVICE}, statistic=statistic, period=ALARM_PERIOD)

    def _dashboard(self) -> None:
        """One page for the operator: the API, the functions, the jobs, the table."""
        api_dims = {"ApiName": self.api_name, "Stage": self.api_stage_name}

        def api(metric_name: str, statistic: str = "Sum") -> cloudwatch.Metric:
            return cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name=metric_name, dimensions_map=api_dims,
                                     statistic=statistic, period=ALARM_PERIOD)

        def per_function(metric_name: str, statistic: str = "Sum") -> list[cloudwatch.IMetric]:
            return [cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric_name, label=fn.node.id,
                                      dimensions_map={"FunctionName": fn.ref}, statistic=statistic,
                                      period=ALARM_PERIOD) for fn in self.functions]

        by_route = cloudwatch.MathExpression(
            expression=f"SEARCH('{{{APP_METRICS_NAMESPACE},Method,Route}} MetricName=\"Api5xx\"', 'Sum', 300)",
            using_metrics={}, label="5xx by route", period=ALARM_PERIOD)
        widgets = [
            [cloudwatch.GraphWidget(title="API requests and errors", left=[api("Count"), api("4XXError"), api("5XXError")]),
             cloudwatch.GraphWidget(title="API latency (p50, p99)", left=[api("Latency", "p50"), api("Latency", "p99")]),
             cloudwatch.GraphWidget(title="API 5xx by route", left=[by_route]),
             cloudwatch.GraphWidget(title="Authorizer failures",
                                    left=[self.authorizer_failures.metric(statistic="Sum", period=ALARM_PERIOD)])],
            [cloudwatch.GraphWidget(title="Function errors", left=per_function("Errors")),
             cloudwatch.GraphWidget(title="Function throttles", left=per_function("Throttles")),
             cloudwatch.GraphWidget(title="Concurrent executions", left=per_function("ConcurrentExecutions", "Maximum")),
             cloudwatch.GraphWidget(title="Function duration (p99)", left=per_function("Duration", "p99"))],
            [cloudwatch.GraphWidget(title="Sweep lag (s)", left=[self._app_metric("SweepLagSeconds", "Maximum")]),
             cloudwatch.GraphWidget(title="Outbox failures", left=[self._app_metric("NotificationFailed", "Sum")]),
             cloudwatch.GraphWidget(title="Failed job runs (queue)", left=[
                 self.job_failures.metric_approximate_number_of_messages_visible(statistic="Maximum",
                                                                                 period=ALARM_PERIOD)]),
             # one graph each: the two sums share their per-operation metric ids
             cloudwatch.GraphWidget(title="DynamoDB throttled requests", left=[
                 self.table.metric_throttled_requests_for_operations(operations=TABLE_OPERATIONS, period=ALARM_PERIOD)])],
            [cloudwatch.GraphWidget(title="DynamoDB system errors", left=[
                self.table.metric_system_errors_for_operations(operations=TABLE_OPERATIONS, period=ALARM_PERIOD)])],
        ]
        cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"{self.stack_name}-operations", widgets=widgets)


def _skip_checks(resource: Construct, *checks: tuple[str, str]) -> None:
    """Tell checkov to skip ``checks`` (id, one-line reason) on ``resource`` (its CloudFormation
    resource): ``Metadata: {checkov: {skip: [{id, comment}]}}``, added to any skips already there."""
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    assert isinstance(cfn, CfnResource)
    found = cfn.get_metadata("checkov") or {}
    skips = [*found.get("skip", []), *({"id": check, "comment": reason} for check, reason in checks)]
    cfn.add_metadata("checkov", {**found, "skip": skips})


def _sid(name: str) -> str:
    return "".join(ch for ch in name if ch.isalnum())


__all__ = ["PropDeskStack", "REPO_ROOT", "DYNAMODB_ACTIONS", "COGNITO_ACTIONS", "GATEWAY_RESPONSES",
           "TOKEN_KEY_ACTIONS", "CHINA_REGIONS", "ChaliceApp", "CHALICE_STAGE"]
