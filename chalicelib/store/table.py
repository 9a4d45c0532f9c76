"""Create the table where no CloudFormation does it: the local stack and the tests."""

from __future__ import annotations

import boto3

from . import schema


def create_table(table_name: str, *, client=None) -> None:
    """Create PropDesk's table from ``schema.TABLE_SPEC`` unless it exists."""
    client = client or boto3.client("dynamodb")
    spec = schema.TABLE_SPEC
    key_names = {spec["hash_key"], spec["range_key"]}
    for gsi in spec["global_secondary_indexes"]:
        key_names |= {gsi["hash_key"], gsi["range_key"]}
    try:
        client.create_table(
            TableName=table_name,
            BillingMode=spec["billing_mode"],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in sorted(key_names)],
            KeySchema=[{"AttributeName": spec["hash_key"], "KeyType": "HASH"},
                       {"AttributeName": spec["range_key"], "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": gsi["name"],
                "KeySchema": [{"AttributeName": gsi["hash_key"], "KeyType": "HASH"},
                              {"AttributeName": gsi["range_key"], "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": gsi["projection"]},
            } for gsi in spec["global_secondary_indexes"]],
        )
    except client.exceptions.ResourceInUseException:
        return
    client.get_waiter("table_exists").wait(TableName=table_name)
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification={
        "Enabled": True, "AttributeName": spec["ttl_attribute"]})
