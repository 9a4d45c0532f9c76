"""The local stack's moto may answer DynamoDB reads with plain JSON (``plain_json_reads``):
the answers must be the ones moto's own serializer gives, item for item."""

from __future__ import annotations

import uuid

import boto3
import pytest

from infra.local import aws as local_aws

TABLE = f"propdesk-reads-{uuid.uuid4().hex[:8]}"  # moto's backends are shared by the whole process
ITEMS = [
    {"pk": {"S": "firm"}, "sk": {"S": "a"}, "n": {"N": "5"}, "f": {"N": "2.5"}, "ok": {"BOOL": True},
     "none": {"NULL": True}, "tags": {"SS": ["x", "y"]}, "nums": {"NS": ["1", "2"]},
     "m": {"M": {"l": {"L": [{"S": "维修"}, {"N": "1"}]}}}},
    {"pk": {"S": "firm"}, "sk": {"S": "b"}, "text": {"S": "the hallway light"}},
    {"pk": {"S": "firm"}, "sk": {"S": "c"}, "blob": {"B": b"\x00\x01photo"}},  # binary: moto's serializer
]


@pytest.fixture()
def client():
    server, endpoint = local_aws.start_moto()
    try:
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")
        dynamodb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                         {"AttributeName": "sk", "KeyType": "RANGE"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                    {"AttributeName": "sk", "AttributeType": "S"}])
        for item in ITEMS:
            dynamodb.put_item(TableName=TABLE, Item=item)
        yield dynamodb
        dynamodb.delete_table(TableName=TABLE)
    finally:
        server.stop()


def reads(client) -> list[dict]:
    query = {"TableName": TABLE, "KeyConditionExpression": "pk = :pk",
             "ExpressionAttributeValues": {":pk": {"S": "firm"}}}
    first = client.query(**query, Limit=1)
    answers = [first, client.query(**query, ExclusiveStartKey=first["LastEvaluatedKey"]),
               client.query(**query, Select="COUNT"),
               client.get_item(TableName=TABLE, Key={"pk": {"S": "firm"}, "sk": {"S": "a"}}),
               client.get_item(TableName=TABLE, Key={"pk": {"S": "firm"}, "sk": {"S": "missing"}}),
               client.batch_get_item(RequestItems={TABLE: {"Keys": [{"pk": {"S": "firm"}, "sk": {"S": "b"}}]}})]
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


def test_plain_json_answers_are_moto_serializers_answers(client):
    as_moto_writes_them = reads(client)
    undo = local_aws.plain_json_reads()
    try:
        plain = reads(client)
    finally:
        undo()
    assert plain == as_moto_writes_them
    assert plain[0]["Items"] == ITEMS[:1] and plain[1]["Items"] == ITEMS[1:]  # as put, binary included
    assert plain[2]["Count"] == 3 and "Items" not in plain[2]
    assert plain[4] == {}
    assert plain[5]["Responses"][TABLE] == [ITEMS[1]]


def pages(client, forward: bool, **condition) -> list[list[str]]:
    """Every page of a Query of two items a page, as sort keys."""
    query = {"TableName": TABLE, "KeyConditionExpression": "pk = :pk" + condition.get("and", ""), "Limit": 2,
             "ExpressionAttributeValues": {":pk": {"S": "firm"}, **condition.get("values", {})},
             "ScanIndexForward": forward}
    found, start = [], None
    while True:
        answer = client.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        found.append([item["sk"]["S"] for item in answer["Items"]])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return found


def test_partition_queries_page_as_moto_does(client):
    """bench's ``_partition_queries`` (a page starts at its start key) pages as moto itself."""
    from bench.dashboard import _partition_queries
    for sk in ("d", "e", "f"):
        client.put_item(TableName=TABLE, Item={"pk": {"S": "firm"}, "sk": {"S": sk}})
    client.put_item(TableName=TABLE, Item={"pk": {"S": "other firm"}, "sk": {"S": "b"}})
    after_b = {"and": " AND sk > :b", "values": {":b": {"S": "b"}}}
    undo = _partition_queries()
    try:
        patched = [pages(client, True), pages(client, False), pages(client, True, **after_b)]
    finally:
        undo()
    assert patched == [pages(client, True), pages(client, False), pages(client, True, **after_b)]
    assert patched[:2] == [[["a", "b"], ["c", "d"], ["e", "f"]], [["f", "e"], ["d", "c"], ["b", "a"]]]
    assert patched[2] == [["c", "d"], ["e", "f"]]
