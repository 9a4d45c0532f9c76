"""botocore's endpoints.json cut to what the store's DynamoDB client reads from it.

Every botocore client parses ``endpoints.json`` (1.2 MB: every region of every partition for
~400 services) before its first call: about 13 ms of a cold start's first request, spent to
learn the partition of the firm's region and DynamoDB's legacy endpoint defaults. The endpoint
URL itself comes from DynamoDB's endpoint rules and ``partitions.json``, which stay botocore's.

``dynamodb_endpoints.json`` beside this module is that file with every partition's metadata
(regions, DNS suffix, defaults, variants) intact and its ``services`` cut to DynamoDB: 9 kB.
It is generated, never edited: ``python -m chalicelib.store.endpoints`` writes it from the
installed botocore, and a test fails when an upgraded botocore's file no longer cuts to it.
Only the store's connection reads it (``items.Connection``); boto3's other clients are stock.
"""

from __future__ import annotations

import json
import os
from typing import Any

SERVICES = ("dynamodb",)
PATH = os.path.join(os.path.dirname(__file__), "dynamodb_endpoints.json")


def cut(endpoints: dict[str, Any]) -> dict[str, Any]:
    """``endpoints`` with each partition's services cut to ``SERVICES``; all else unchanged."""
    return {**endpoints, "partitions": [
        {**partition, "services": {name: rules for name, rules in partition["services"].items() if name in SERVICES}}
        for partition in endpoints["partitions"]]}


def load() -> dict[str, Any]:
    with open(PATH, "rb") as file:
        return json.loads(file.read())


def write() -> None:
    import botocore.session

    full = botocore.session.Session().get_component("data_loader").load_data("endpoints")
    with open(PATH, "w", encoding="utf-8") as file:
        json.dump(cut(full), file, separators=(",", ":"), sort_keys=False)
        file.write("\n")


if __name__ == "__main__":
    write()
