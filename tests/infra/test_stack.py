"""The synthesized CloudFormation of infra/ (one CDK synth per session, in a subprocess).

The synth runs ``infra/synth.py`` in a child process: it imports ``app.py`` with CDK tokens
as environment variables and starts a node (jsii) process; neither should leak into the
test session.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.store import schema  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("aws_cdk") is None or importlib.util.find_spec("constructs") is None,
        reason='needs the infra extras: pip install "chalice[cdkv2]" aws-cdk-lib constructs',
    ),
]

# What the functions' role may do; spelled out here, independently of infra/stack.py.
DYNAMODB_ALLOWED = {
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
}
COGNITO_ALLOWED = {
    "cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminInitiateAuth",
    "cognito-idp:AdminRespondToAuthChallenge", "cognito-idp:AdminDisableUser",
    "cognito-idp:AdminEnableUser", "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:AdminDeleteUser", "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminUserGlobalSignOut",
}
ALLOWED_NAMESPACES = {"dynamodb", "cognito-idp", "logs", "ses", "sns", "s3"}

# cfn-lint exit code bits: 1 fatal, 2 error, 4 warning, 8 informational.
CFN_LINT_FAILING_BITS = 1 | 2 | 4


# -- fixtures ----------------------------------------------------------------------------

# The synth serves the stack at the root of a firm-facing domain, as a deployment for real use would.
DOMAIN = "desk.example.com"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = dict(os.environ)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "infra" / "synth.py"), "--outdir", str(outdir),
         "-c", f"domain_name={DOMAIN}", "-c", f"certificate_arn={CERTIFICATE}"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        pytest.fail(f"infra/synth.py failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    template_path = Path(proc.stdout.strip().splitlines()[-1])
    assert template_path.is_file() and template_path.parent == outdir.resolve()
    return outdir


@pytest.fixture(scope="session")
def template(synth_dir: Path) -> dict[str, Any]:
    return json.loads((synth_dir / "PropDesk.template.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return template["Resources"]


def of_type(resources: dict[str, dict[str, Any]], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in resources.items() if r["Type"] == cfn_type}


def the_one(resources: dict[str, dict[str, Any]], cfn_type: str) -> tuple[str, dict[str, Any]]:
    found = of_type(resources, cfn_type)
    assert len(found) == 1, f"expected exactly one {cfn_type}, found {sorted(found)}"
    return next(iter(found.items()))


@pytest.fixture(scope="session")
def functions(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found = of_type(resources, "AWS::Serverless::Function") | of_type(resources, "AWS::Lambda::Function")
    assert "APIHandler" in found, f"Chalice's API handler missing; functions: {sorted(found)}"
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(resources: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every IAM policy document in the template, with the logical id carrying it."""
    docs: list[tuple[str, dict[str, Any]]] = []
    for lid, res in resources.items():
        props = res.get("Properties", {})
        if res["Type"] == "AWS::IAM::Role":
            docs += [(lid, p["PolicyDocument"]) for p in props.get("Policies", [])]
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            docs.append((lid, props["PolicyDocument"]))
    return docs


def allow_statements(resources: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(lid, st) for lid, doc in policy_documents(resources)
            for st in as_list(doc["Statement"]) if st.get("Effect") == "Allow"]


# -- tests -------------------------------------------------------------------------------


def test_cfn_lint_passes_on_every_synthesized_template(synth_dir: Path) -> None:
    templates = sorted(synth_dir.glob("*.template.json"))
    assert templates, "no *.template.json in the cloud assembly"
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())",
         *map(str, templates)],
        capture_output=True, text=True, timeout=300,
    )
    assert not proc.returncode & CFN_LINT_FAILING_BITS, f"cfn-lint ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"


def test_table_matches_the_schema_spec(resources: dict[str, dict[str, Any]]) -> None:
    spec = schema.TABLE_SPEC
    _, table = the_one(resources, "AWS::DynamoDB::Table")
    props = table["Properties"]

    assert props["KeySchema"] == [
        {"AttributeName": spec["hash_key"], "KeyType": "HASH"},
        {"AttributeName": spec["range_key"], "KeyType": "RANGE"},
    ]
    assert props["BillingMode"] == spec["billing_mode"]
    assert "ProvisionedThroughput" not in props

    expected_gsis = {}
    for gsi in spec["global_secondary_indexes"]:
        key_schema = [{"AttributeName": gsi["hash_key"], "KeyType": "HASH"}]
        if gsi.get("range_key"):
            key_schema.append({"AttributeName": gsi["range_key"], "KeyType": "RANGE"})
        expected_gsis[gsi["name"]] = (key_schema, gsi.get("projection", "ALL"))
    actual_gsis = {g["IndexName"]: (g["KeySchema"], g["Projection"]["ProjectionType"])
                   for g in props.get("GlobalSecondaryIndexes", [])}
    assert actual_gsis == expected_gsis

    key_attrs = {k["AttributeName"] for k in props["KeySchema"]}
    for key_schema, _ in expected_gsis.values():
        key_attrs |= {k["AttributeName"] for k in key_schema}
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == dict.fromkeys(key_attrs, "S")

    assert props["TimeToLiveSpecification"] == {"AttributeName": spec["ttl_attribute"], "Enabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    assert props["SSESpecification"]["SSEEnabled"] is True  # AWS-managed KMS key (aws/dynamodb)


def test_no_iam_statement_allows_scan_or_service_wildcards(resources: dict[str, dict[str, Any]]) -> None:
    statements = allow_statements(resources)
    granted = {a for _, st in statements for a in as_list(st.get("Action", []))}
    assert "dynamodb:Query" in granted, "walker found no table policy at all"

    for lid, st in statements:
        assert "NotAction" not in st, f"{lid}: Allow + NotAction grants nearly everything: {st}"
        for action in as_list(st["Action"]):
            lowered = action.lower()
            assert not fnmatch.fnmatchcase("dynamodb:scan", lowered), f"{lid} allows Scan via {action!r}"
            namespace = lowered.split(":", 1)[0]
            if namespace in ("dynamodb", "cognito-idp", "iam"):
                assert "*" not in lowered and "?" not in lowered, f"{lid}: wildcard action {action!r}"
    # and no function brings policies of its own (SAM Policies / Chalice-managed roles)
    for lid, fn in of_type(resources, "AWS::Serverless::Function").items():
        assert "Policies" not in fn["Properties"], f"{lid} carries its own SAM Policies"


def test_every_function_uses_the_one_least_privilege_role(
        resources: dict[str, dict[str, Any]], functions: dict[str, dict[str, Any]]) -> None:
    roles = {fn["Properties"]["Role"]["Fn::GetAtt"][0] if isinstance(fn["Properties"]["Role"], dict) else None
             for fn in functions.values()}
    assert len(roles) == 1 and None not in roles, f"functions use different or literal roles: {roles}"
    role_id = roles.pop()
    role = resources[role_id]
    assert role["Type"] == "AWS::IAM::Role"
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}
    assert "ManagedPolicyArns" not in role["Properties"], "no broad managed policies (e.g. AWSLambdaBasicExecutionRole)"
    lambda_roles = {lid for lid, r in of_type(resources, "AWS::IAM::Role").items()
                    if "lambda.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])}
    assert lambda_roles == {role_id}, "Chalice created roles of its own (manage_iam_role should be off)"

    table_id, _ = the_one(resources, "AWS::DynamoDB::Table")
    pool_id, _ = the_one(resources, "AWS::Cognito::UserPool")
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    index_arn = {"Fn::Join": ["", [table_arn, "/index/*"]]}
    log_group_arns = {json.dumps({"Fn::GetAtt": [lid, "Arn"]})
                      for lid in of_type(resources, "AWS::Logs::LogGroup")}

    statements = [st for doc in (p["PolicyDocument"] for p in role["Properties"]["Policies"])
                  for st in as_list(doc["Statement"])]
    # policies attached to the role from outside (AWS::IAM::Policy) count too
    statements += [st for lid, doc in policy_documents(resources)
                   if resources[lid]["Type"] != "AWS::IAM::Role"
                   and role_id in json.dumps(resources[lid]["Properties"].get("Roles", []))
                   for st in as_list(doc["Statement"])]

    seen: set[str] = set()
    for st in statements:
        assert st["Effect"] == "Allow"
        actions = set(as_list(st["Action"]))
        namespaces = {a.split(":", 1)[0] for a in actions}
        assert len(namespaces) == 1 and namespaces <= ALLOWED_NAMESPACES, f"unexpected actions {actions}"
        namespace = namespaces.pop()
        seen.add(namespace)
        resources_ = as_list(st["Resource"])
        assert "*" not in resources_, f"{actions} on '*'"
        if namespace == "dynamodb":
            assert actions <= DYNAMODB_ALLOWED, actions - DYNAMODB_ALLOWED
            assert sorted(map(json.dumps, resources_)) == sorted(map(json.dumps, [table_arn, index_arn]))
        elif namespace == "cognito-idp":
            assert actions <= COGNITO_ALLOWED, actions - COGNITO_ALLOWED
            assert resources_ == [{"Fn::GetAtt": [pool_id, "Arn"]}]
        elif namespace == "s3":  # object actions on the photo bucket's objects only
            assert actions <= {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}, actions
            bucket_id, _ = the_one(resources, "AWS::S3::Bucket")
            assert resources_ == [{"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}], resources_
        elif namespace == "logs":
            assert actions <= {"logs:CreateLogStream", "logs:PutLogEvents"}, actions
            assert {json.dumps(r) for r in resources_} <= log_group_arns, "logs scoped to our log groups"
    assert {"dynamodb", "cognito-idp", "logs"} <= seen
    granted = {a for st in statements for a in as_list(st["Action"])}
    assert {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:ConditionCheckItem",
            "cognito-idp:AdminCreateUser", "cognito-idp:AdminInitiateAuth"} <= granted


def test_role_grants_every_cognito_admin_call_the_app_makes(resources: dict[str, dict[str, Any]]) -> None:
    """boto3 ``client.admin_xxx(...)`` calls in chalicelib must be allowed, or they fail only in AWS."""
    calls = {m for path in (REPO_ROOT / "chalicelib").rglob("*.py")
             for m in re.findall(r"\.(admin_[a-z_]+)\(", path.read_text(encoding="utf-8"))}
    needed = {"cognito-idp:" + "".join(part.capitalize() for part in call.split("_")) for call in calls}
    granted = {a for _, st in allow_statements(resources) for a in as_list(st["Action"])}
    assert not needed - granted, f"the app calls Cognito actions its role may not: {sorted(needed - granted)}"


def test_functions_get_table_pool_and_powertools_settings(
        resources: dict[str, dict[str, Any]], functions: dict[str, dict[str, Any]]) -> None:
    table_id, _ = the_one(resources, "AWS::DynamoDB::Table")
    pool_id, _ = the_one(resources, "AWS::Cognito::UserPool")
    client_id, _ = the_one(resources, "AWS::Cognito::UserPoolClient")
    for lid, fn in functions.items():
        env = fn["Properties"]["Environment"]["Variables"]
        assert env[schema.TABLE_ENV_VAR] == {"Ref": table_id}, lid
        assert env["COGNITO_USER_POOL_ID"] == {"Ref": pool_id}, lid
        assert env["COGNITO_CLIENT_ID"] == {"Ref": client_id}, lid
        assert env["POWERTOOLS_SERVICE_NAME"] == "propdesk"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "PropDesk"
        assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert not any("${Token[" in json.dumps(v) for v in env.values()), f"unresolved CDK token in {lid}"


def test_functions_are_the_dev_stage_of_chalice_config(functions: dict[str, dict[str, Any]]) -> None:
    """chalice.cdk would package a stage named after the stack; infra packages ``dev``."""
    config = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    dev = config["stages"]["dev"]
    for lid, fn in functions.items():
        props = fn["Properties"]
        assert "stage=dev:" in props["Tags"]["aws-chalice"], lid
        env = props["Environment"]["Variables"]
        for name in dev.get("environment_variables", {}):
            assert name in env, f"{lid} lacks {name} from the dev stage"
    handler = functions["APIHandler"]["Properties"]
    per_function = dev.get("lambda_functions", {}).get("api_handler", {})
    for key, prop in (("lambda_memory_size", "MemorySize"), ("lambda_timeout", "Timeout")):
        expected = per_function.get(key, dev.get(key, config.get(key)))
        if expected is not None:
            assert handler[prop] == expected, f"APIHandler {prop} is not the dev stage's {key}"


def test_every_function_logs_to_its_own_group_with_retention(
        resources: dict[str, dict[str, Any]], functions: dict[str, dict[str, Any]]) -> None:
    groups = set()
    for lid, fn in functions.items():
        ref = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        group = resources[ref]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"]["RetentionInDays"] == 30, lid
        groups.add(ref)
    assert len(groups) == len(functions), "log groups are not per function"


def test_user_pool_carries_tenant_and_role(resources: dict[str, dict[str, Any]]) -> None:
    _, pool = the_one(resources, "AWS::Cognito::UserPool")
    props = pool["Properties"]
    attrs = {a["Name"]: a for a in props["Schema"]}
    assert attrs["tenant_id"]["AttributeDataType"] == "String" and attrs["tenant_id"]["Mutable"] is False
    assert attrs["role"]["AttributeDataType"] == "String" and attrs["role"]["Mutable"] is True
    assert props["UsernameAttributes"] == ["email"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up
    assert [m["Name"] for m in props["AccountRecoverySetting"]["RecoveryMechanisms"]] == ["verified_email"]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 10 and policy["RequireNumbers"] and policy["RequireLowercase"]


def test_app_client_cannot_write_tenant_or_role(resources: dict[str, dict[str, Any]]) -> None:
    pool_id, _ = the_one(resources, "AWS::Cognito::UserPool")
    _, client = the_one(resources, "AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert props["UserPoolId"] == {"Ref": pool_id}
    # absent WriteAttributes means "every writable attribute", custom ones included
    write = props.get("WriteAttributes")
    assert write, "WriteAttributes must be an explicit list"
    assert "custom:tenant_id" not in write and "custom:role" not in write
    assert not any(a.startswith("custom:") for a in write)
    assert {"custom:tenant_id", "custom:role"} <= set(props["ReadAttributes"])
    assert props.get("GenerateSecret", False) is False
    assert set(props["ExplicitAuthFlows"]) == {
        "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH"}
    seconds = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
    units = props.get("TokenValidityUnits", {})
    assert props["IdTokenValidity"] * seconds[units.get("IdToken", "hours")] == 3600
    assert props["RefreshTokenValidity"] * seconds[units.get("RefreshToken", "days")] == 30 * 86400
    assert not props.get("AllowedOAuthFlowsUserPoolClient"), "no OAuth/hosted-UI flows"


EXPECTED_GATEWAY_RESPONSES = {
    "UNAUTHORIZED": ("401", "unauthorized"),
    "ACCESS_DENIED": ("403", "forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),
    "DEFAULT_4XX": (None, "bad_request"),
    "DEFAULT_5XX": (None, "internal"),
}


def test_gateway_responses_speak_our_error_shape(resources: dict[str, dict[str, Any]]) -> None:
    api = resources["RestAPI"]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["DefinitionBody"]["paths"], "not Chalice's API"
    responses = api["Properties"]["GatewayResponses"]
    for response_type, (status, code) in EXPECTED_GATEWAY_RESPONSES.items():
        response = responses[response_type]
        assert response.get("StatusCode") == status, response_type
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/json'"
        body = response["ResponseTemplates"]["application/json"]
        # $context.error.messageString is API Gateway's message as a quoted JSON string
        rendered = json.loads(body.replace("$context.error.messageString", '"Some message"'))
        assert set(rendered) == {"error"}, response_type
        assert rendered["error"]["code"] == code, response_type
        assert isinstance(rendered["error"]["message"], str) and rendered["error"]["message"]


def _alarm_dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm["Properties"].get("Dimensions", [])}


def test_alarms_for_api_5xx_lambda_errors_and_table(
        resources: dict[str, dict[str, Any]], functions: dict[str, dict[str, Any]]) -> None:
    topic_id, _ = the_one(resources, "AWS::SNS::Topic")
    alarms = list(of_type(resources, "AWS::CloudWatch::Alarm").values())
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]

    api = resources["RestAPI"]["Properties"]
    five_xx = [a for a in alarms if a["Properties"].get("MetricName") == "5XXError"]
    assert len(five_xx) == 1
    props = five_xx[0]["Properties"]
    assert props["Namespace"] == "AWS/ApiGateway"
    # the dimensions must name the deployed API, or the alarm watches nothing
    assert _alarm_dimensions(five_xx[0]) == {"ApiName": api["Name"], "Stage": api["StageName"]}
    assert props["Statistic"] == "Sum" and props["Period"] * props["EvaluationPeriods"] == 300
    assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"

    # Token authorizers answer 401 by raising "Unauthorized" (a Lambda error): their Errors
    # would alarm on every expired token; their real failures surface as API 5xx instead.
    authorizers = {fid for d in api["DefinitionBody"].get("securityDefinitions", {}).values()
                   for fid in re.findall(r"\$\{(\w+)\.Arn\}", json.dumps(d))}
    for metric_name in ("Errors", "Throttles"):
        watched = {json.dumps(_alarm_dimensions(a).get("FunctionName")) for a in alarms
                   if a["Properties"].get("Namespace") == "AWS/Lambda"
                   and a["Properties"].get("MetricName") == metric_name
                   and a["Properties"]["Threshold"] == 0}
        for lid in functions:
            if metric_name == "Errors" and lid in authorizers:
                continue
            assert json.dumps({"Ref": lid}) in watched, f"no Lambda {metric_name} alarm for {lid}"

    table_id, _ = the_one(resources, "AWS::DynamoDB::Table")
    table_metrics = {m["MetricStat"]["Metric"]["MetricName"] for a in alarms for m in a["Properties"].get("Metrics", [])
                     if "MetricStat" in m and m["MetricStat"]["Metric"]["Namespace"] == "AWS/DynamoDB"
                     and {"Name": "TableName", "Value": {"Ref": table_id}} in m["MetricStat"]["Metric"]["Dimensions"]}
    assert {"ThrottledRequests", "SystemErrors"} <= table_metrics


def test_outputs_name_api_table_pool_and_client(template: dict[str, Any], resources: dict[str, dict[str, Any]]) -> None:
    outputs = template["Outputs"]
    table_id, _ = the_one(resources, "AWS::DynamoDB::Table")
    pool_id, _ = the_one(resources, "AWS::Cognito::UserPool")
    client_id, _ = the_one(resources, "AWS::Cognito::UserPoolClient")
    assert outputs["TableName"]["Value"] == {"Ref": table_id}
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool_id}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": client_id}
    url = json.dumps(outputs["ApiUrl"]["Value"])
    stage = resources["RestAPI"]["Properties"]["StageName"]
    assert '{"Ref": "RestAPI"}' in url and f"/{stage}/" in url


def test_the_lambda_package_carries_the_app_and_the_standards_templates(synth_dir: Path) -> None:
    """Sign-up loads its starting standards from tenants/templates: they must be in the zip,
    and the zip must not carry tests or infra code."""
    import zipfile

    zips = [p for p in synth_dir.rglob("*.zip")]
    assert zips, "no deployment package in the cloud assembly"
    names = set(zipfile.ZipFile(max(zips, key=lambda p: p.stat().st_size)).namelist())
    assert "app.py" in names and "chalicelib/api/http.py" in names
    # the pages render from these at run time: the residents' and the console's templates, catalogues, CSS
    assert {"chalicelib/web/templates/form.html", "chalicelib/web/templates/console/queue.html",
            "chalicelib/web/i18n/zh_CN/LC_MESSAGES/console_work.po", "chalicelib/web/static/console.css"} <= names
    assert {"chalicelib/_bundled/templates/prc-residential.yaml",
            "chalicelib/_bundled/templates/uk-social-housing.yaml"} <= names
    assert not any(n.startswith(("tests/", "infra/", "bench/")) for n in names)


def test_the_photo_bucket_is_private_encrypted_and_forgets_unconfirmed_uploads(resources: dict[str, dict[str, Any]]) -> None:
    _, bucket = the_one(resources, "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                       "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    rules = props["LifecycleConfiguration"]["Rules"]
    assert [(r["Prefix"], r["ExpirationInDays"]) for r in rules] == [("incoming/", 1)]
    assert bucket["DeletionPolicy"] == "Retain"


def test_pages_are_served_at_the_root_of_the_firm_facing_domain(template: dict[str, Any],
                                                                 resources: dict[str, dict[str, Any]],
                                                                 functions: dict[str, dict[str, Any]]) -> None:
    """Pages link with absolute paths and the console's cookies live on /console: the stage is
    mapped to the domain's root (no base path), and links are made with that domain."""
    domain_id, domain = the_one(resources, "AWS::ApiGateway::DomainName")
    assert domain["Properties"]["DomainName"] == DOMAIN
    assert domain["Properties"]["RegionalCertificateArn"] == CERTIFICATE
    assert domain["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    _, mapping = the_one(resources, "AWS::ApiGateway::BasePathMapping")
    assert "BasePath" not in mapping["Properties"]
    assert mapping["Properties"]["RestApiId"] == {"Ref": "RestAPI"}
    assert mapping["Properties"]["Stage"] == resources["RestAPI"]["Properties"]["StageName"]
    assert mapping["Properties"]["DomainName"] == {"Ref": domain_id}
    for name, fn in functions.items():
        variables = fn["Properties"].get("Environment", {}).get("Variables", {})
        assert variables.get("PROPDESK_PUBLIC_BASE_URL") == f"https://{DOMAIN}", name
    assert template["Outputs"]["SiteUrl"]["Value"] == f"https://{DOMAIN}/"
