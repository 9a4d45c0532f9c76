"""The local stack's moto backs up only what a transaction touches (``cheap_transaction_backups``):
a cancelled transaction must still change nothing, as DynamoDB's would."""

from __future__ import annotations

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.local import aws as local_aws


@pytest.fixture()
def table():
    undo = local_aws.cheap_transaction_backups()
    server, endpoint = local_aws.start_moto()
    try:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}])
        yield client
        client.delete_table(TableName=TABLE)
    finally:
        server.stop()
        undo()


TABLE = f"propdesk-tx-{uuid.uuid4().hex[:8]}"  # moto's backends are shared by the whole process


def key(sk: str) -> dict:
    return {"pk": {"S": "firm"}, "sk": {"S": sk}}


def items(client) -> dict:
    found = client.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                         ExpressionAttributeValues={":pk": {"S": "firm"}})["Items"]
    return {item["sk"]["S"]: item.get("n", {}).get("N") for item in found}


def test_a_cancelled_transaction_leaves_every_item_as_it_was(table):
    table.put_item(TableName=TABLE, Item={**key("counter"), "n": {"N": "5"}})
    table.put_item(TableName=TABLE, Item={**key("ticket"), "n": {"N": "1"}})
    with pytest.raises(ClientError) as refused:
        table.transact_write_items(TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key("counter"), "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": TABLE, "Item": {**key("event"), "n": {"N": "9"}}}},
            {"Update": {"TableName": TABLE, "Key": key("ticket"), "UpdateExpression": "SET n = :two",
                        "ConditionExpression": "n = :stale",
                        "ExpressionAttributeValues": {":two": {"N": "2"}, ":stale": {"N": "0"}}}},
        ])
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert items(table) == {"counter": "5", "ticket": "1"}  # no ADD, no new event, no update


def test_a_transaction_that_passes_writes_every_item(table):
    table.put_item(TableName=TABLE, Item={**key("ticket"), "n": {"N": "1"}})
    table.transact_write_items(TransactItems=[
        {"Update": {"TableName": TABLE, "Key": key("counter"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Update": {"TableName": TABLE, "Key": key("ticket"), "UpdateExpression": "SET n = :two",
                    "ConditionExpression": "n = :current",
                    "ExpressionAttributeValues": {":two": {"N": "2"}, ":current": {"N": "1"}}}},
    ])
    assert items(table) == {"counter": "1", "ticket": "2"}
