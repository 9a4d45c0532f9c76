"""moto's server as the embedded AWS: start it, point boto3 at it, create our resources."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Callable

MAIL_FROM = "noreply@propdesk.local"  # verified in moto's SES, so e-mail sends locally
PHOTO_BUCKET = "propdesk-photos-local"
#: The region the local stack's ``cn`` profile runs in (AWS China, Ningxia): DynamoDB, S3,
#: Secrets Manager and KMS answer there with ``arn:aws-cn:`` ARNs, as in AWS China.
CN_REGION = "cn-northwest-1"
#: The cn profile's provider credentials, kept in (moto's) Secrets Manager as a deployment keeps
#: them; the local SMTP server and the SMS stand-in accept these.
SMS_SECRET_NAME = "propdesk/sms"
SMTP_SECRET_NAME = "propdesk/smtp"
LOCAL_SMS_KEY = {"access_key_id": "LTAI-local-propdesk", "access_key_secret": "local-sms-secret-not-real"}
LOCAL_SMTP_LOGIN = {"username": "mailer@propdesk.local", "password": "local-smtp-pass-not-real"}

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@dataclass(frozen=True)
class LocalAws:
    endpoint: str
    table: str
    user_pool_id: str
    client_id: str
    region: str = "us-east-1"
    #: the cn profile's asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs the accounts
    #: adapter's ID tokens; "" under global, which signs in through Cognito instead
    token_key_id: str = ""

    @property
    def identity(self) -> str:
        """The identity adapter this stack serves: ``accounts`` when it has a token key."""
        return "accounts" if self.token_key_id else "cognito"

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.user_pool_id}/.well-known/jwks.json"

    def environment(self) -> dict[str, str]:
        """What the app (and any boto3 client) needs to talk to this stack."""
        values = {
            **DUMMY_CREDENTIALS,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint,
            "PROPDESK_TABLE": self.table,
            "PROPDESK_MAIL_FROM": MAIL_FROM,
            "PROPDESK_PHOTO_BUCKET": PHOTO_BUCKET,
        }
        if self.token_key_id:  # the cn profile: PropDesk's own accounts, tokens signed by this key
            values.update({"PROPDESK_IDENTITY": "accounts", "PROPDESK_TOKEN_KEY_ID": self.token_key_id})
        if self.user_pool_id:
            values.update({"COGNITO_USER_POOL_ID": self.user_pool_id, "COGNITO_CLIENT_ID": self.client_id,
                           "COGNITO_JWKS_URL": self.jwks_url})
        return values


def cheap_transaction_backups() -> Callable[[], None]:
    """Make moto's ``TransactWriteItems`` cost what the transaction touches, not the table.

    moto 5 backs up every table a transaction names with ``copy.deepcopy(table)`` before it
    starts, once per item of the transaction, so one call costs O(table size): with 10,000
    watch items a two-item transaction took 3.7 s, all of it in moto, and on the local stack a
    ticket event (a transaction of the ticket and its ~15 score counters) slowed as the demo
    grew. DynamoDB has no such cost. Here the whole-table copy is skipped and the items the
    transaction names are backed up instead, and put back if it fails: the same
    all-or-nothing outcome (``tests/local/test_moto_transactions.py``). Applies to every moto
    backend in this process; returns the undo. The test suite runs with it too (tests/conftest.py:
    a module of the suite took ~10 × longer on moto as it is); PROPDESK_MOTO_AS_IS=1 turns it off."""
    import copy as real_copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.dynamo_type import DynamoType

    backend_class = models.DynamoDBBackend
    original = backend_class.transact_write_items

    class _CopyExceptTables:  # stands in for the ``copy`` module of moto.dynamodb.models during a call
        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, models.Table) else real_copy.deepcopy(value, memo)

    def transact_write_items(self, transact_items):
        backups = []
        for entry in transact_items:
            op = next(iter(entry.values()))
            name = op.get("TableName")
            if name not in self.tables:
                continue
            table = self.tables[name]
            key = op.get("Key") or {k: op["Item"][k] for k in table.table_key_attrs if k in op.get("Item", {})}
            if len(key) != len(table.table_key_attrs):
                continue  # moto will refuse it before writing anything
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            before = table.get_item(hash_value, range_value)
            backups.append((table, hash_value, range_value, real_copy.deepcopy(before)))
        models.copy = _CopyExceptTables
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, before in reversed(backups):
                if before is None:
                    table.delete_item(hash_value, range_value)
                elif range_value is None:
                    table.items[hash_value] = before
                else:
                    table.items[hash_value][range_value] = before
            raise
        finally:
            models.copy = real_copy

    backend_class.transact_write_items = transact_write_items

    def undo() -> None:
        backend_class.transact_write_items = original

    return undo


def plain_json_reads() -> Callable[[], None]:
    """Make moto's answers to DynamoDB reads cost a ``json.dumps``, not a walk of botocore's shapes.

    moto 5.2 writes every answer through a generic serializer that visits each attribute of
    each item against the operation's output shape: a Query page of 1,000 ticket items took
    ~2 s to serialize, ~80 % of a 10,000-ticket firm's export on the local stack (profiled with
    cProfile; DynamoDB answers such a page in milliseconds). A read's answer is already in the
    wire format (``{"S": ...}`` values), so for ``Query``, ``GetItem`` and ``BatchGetItem`` it is
    written as JSON directly; an answer that is not plain JSON (binary attributes, which the
    serializer base64-encodes) still goes through moto's serializer. The same bytes either way
    (``tests/local/test_moto_reads.py``). Applies to every moto backend in this process;
    returns the undo. The test suite runs on moto as it is."""
    import json

    from moto.dynamodb.responses import DynamoResult

    original = DynamoResult.execute_result
    plain = {"Query", "GetItem", "BatchGetItem"}

    def execute_result(self, context):
        if context.operation_model.name in plain and isinstance(self.result, dict):
            try:
                body = json.dumps(self.result, separators=(",", ":"))
            except TypeError:  # bytes: moto's serializer base64-encodes them
                return original(self, context)
            version = context.service_model.metadata.get("jsonVersion", "1.0")
            return 200, {"Content-Type": f"application/x-amz-json-{version}"}, body
        return original(self, context)

    DynamoResult.execute_result = execute_result

    def undo() -> None:
        DynamoResult.execute_result = original

    return undo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(port: int | None = None):
    """Start moto's server in this process (a thread). Returns (server, endpoint URL).

    Requests are served one at a time. moto checks a condition and applies a write as two
    steps, so two concurrent conditional writes can both pass; DynamoDB makes each item's
    condition and write atomic. Serving serially gives our concurrency tests the store
    semantics DynamoDB has, so they test our code rather than moto's races."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.server import DomainDispatcherApplication, create_backend_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    lock = threading.Lock()
    moto_app = DomainDispatcherApplication(create_backend_app)

    def serial_app(environ, start_response):
        with lock:
            return list(moto_app(environ, start_response))

    def entry() -> None:
        from moto.moto_server.threaded_moto_server import MotoRequestHandler, make_server
        server._server = make_server("127.0.0.1", port, serial_app, True, request_handler=MotoRequestHandler)
        server._server_ready_event.set()
        server._server.serve_forever()

    server._server_entry = entry  # type: ignore[method-assign]
    server.start()
    return server, f"http://127.0.0.1:{port}"


def create_resources(endpoint: str, table: str = "propdesk-local", region: str = "us-east-1") -> LocalAws:
    """The table (from the same schema the deployed stack uses), and the staff's sign-in as the
    region's profile has it: outside China a user pool shaped like infra/stack.py's (e-mail as
    username, custom tenant_id and role, an app client); in a China region (no Cognito there)
    the asymmetric KMS key the ``accounts`` adapter signs ID tokens with (ECC_NIST_P256, ES256).
    In a China region the sender is not verified in SES (there is none) and the bucket names
    its region."""
    import boto3

    from chalicelib.store.table import create_table

    china = region.startswith("cn-")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    create_table(table, client=session.client("dynamodb", endpoint_url=endpoint))
    pool_id = client_id = token_key_id = ""
    if china:
        token_key_id = create_token_key(session.client("kms", endpoint_url=endpoint))
    else:
        pool_id, client_id = create_user_pool(session.client("cognito-idp", endpoint_url=endpoint))
        session.client("ses", endpoint_url=endpoint).verify_email_identity(EmailAddress=MAIL_FROM)
    s3 = session.client("s3", endpoint_url=endpoint)
    if PHOTO_BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        placed = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=PHOTO_BUCKET, **placed)
    return LocalAws(endpoint=endpoint, table=table, user_pool_id=pool_id, client_id=client_id, region=region,
                    token_key_id=token_key_id)


def create_user_pool(cognito) -> tuple[str, str]:
    """(pool id, app client id) of a pool shaped like infra/stack.py's."""
    pool_id = cognito.create_user_pool(
        PoolName="propdesk-local",
        UsernameAttributes=["email"],
        Schema=[
            {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": False},
            {"Name": "role", "AttributeDataType": "String", "Mutable": True},
        ],
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireUppercase": False, "RequireLowercase": True,
                                     "RequireNumbers": True, "RequireSymbols": False}},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="propdesk-web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email", "name", "custom:tenant_id", "custom:role"],
        WriteAttributes=["email", "name"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def create_token_key(kms) -> str:
    """The accounts adapter's signing key, as infra/stack.py makes it for the cn profile; its ARN
    (``arn:aws-cn:kms:...`` in a China region)."""
    return kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256",
                          Description="PropDesk ID tokens (ES256)")["KeyMetadata"]["Arn"]


def create_provider_secrets(stack: LocalAws, sms: dict | None = None, smtp: dict | None = None,
                            names: tuple[str, str] = (SMS_SECRET_NAME, SMTP_SECRET_NAME)) -> dict[str, str]:
    """The cn profile's SMS provider and SMTP credentials in Secrets Manager (created, or
    updated when they exist). Returns {"sms": ARN, "smtp": ARN}."""
    import json

    import boto3

    client = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                           region_name=stack.region).client("secretsmanager", endpoint_url=stack.endpoint)
    arns = {}
    for what, name, value in (("sms", names[0], sms or LOCAL_SMS_KEY), ("smtp", names[1], smtp or LOCAL_SMTP_LOGIN)):
        try:
            arns[what] = client.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]
        except client.exceptions.ResourceExistsException:
            arns[what] = client.put_secret_value(SecretId=name, SecretString=json.dumps(value))["ARN"]
    return arns


def use(stack: LocalAws) -> None:
    """Point this process at the stack (before the first PynamoDB or boto3 call)."""
    os.environ.update(stack.environment())
