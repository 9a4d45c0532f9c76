"""The store's DynamoDB connection: botocore's own models and endpoint rules, found without
listing every service folder botocore ships (a cold start's first request pays for that)."""

from __future__ import annotations

import os

import botocore.session
import pytest
from botocore.exceptions import UnknownServiceError

from chalicelib.store import endpoints
from chalicelib.store.items import Connection


def _client_and_directory_reads(monkeypatch):
    reads = []
    listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda path=".": reads.append(path) or listdir(path))
    client = Connection(region="eu-west-2").client
    monkeypatch.setattr(os, "listdir", listdir)
    return client, reads


def test_the_client_is_botocores_dynamodb_client_with_every_operation(monkeypatch):
    client, _ = _client_and_directory_reads(monkeypatch)
    stock = botocore.session.Session().create_client("dynamodb", region_name="eu-west-2")
    assert client.meta.service_model.operation_names == stock.meta.service_model.operation_names
    assert client.meta.service_model.api_version == stock.meta.service_model.api_version
    assert client.meta.region_name == "eu-west-2"
    # the endpoint rules were found too: an ordinary region resolves as botocore's own client does
    # (unless the tests point every client at the local moto server)
    if not client.meta.endpoint_url.startswith("http://"):
        assert client.meta.endpoint_url == stock.meta.endpoint_url == "https://dynamodb.eu-west-2.amazonaws.com"


def test_building_it_reads_a_handful_of_folders_not_every_service(monkeypatch):
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    services = len([name for name in os.listdir(data) if os.path.isdir(os.path.join(data, name))])
    _, reads = _client_and_directory_reads(monkeypatch)
    assert services > 300  # what botocore's own loader would walk, twice
    assert len(reads) <= 6, reads


def test_a_service_it_was_not_told_about_is_refused_by_name():
    session = Connection(region="eu-west-2").session
    with pytest.raises(UnknownServiceError):
        session.create_client("sqs", region_name="eu-west-2")


@pytest.mark.parametrize("name", ["partitions", "sdk-default-configuration", "_retry"])
def test_the_files_it_reads_hold_what_botocores_own_loader_reads(name):
    ours = Connection(region="eu-west-2").session.get_component("data_loader").load_data(name)
    stock = botocore.session.Session().get_component("data_loader").load_data(name)
    assert ours == stock and type(ours) is dict  # plain dicts: the same content, decoded faster


def test_the_dynamodb_model_it_reads_is_botocores():
    ours = Connection(region="cn-northwest-1").session.get_component("data_loader")
    stock = botocore.session.Session().get_component("data_loader")
    for kind in ("service-2", "endpoint-rule-set-1"):
        assert ours.load_service_model("dynamodb", kind) == stock.load_service_model("dynamodb", kind)


def test_a_china_region_resolves_to_the_china_partition(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    client = Connection(region="cn-northwest-1", host=None).session.create_client("dynamodb", region_name="cn-northwest-1")
    assert client.meta.endpoint_url == "https://dynamodb.cn-northwest-1.amazonaws.com.cn"
    assert client.meta.partition == "aws-cn"


def test_the_endpoints_it_reads_are_botocores_cut_to_dynamodb():
    # regenerate with `python -m chalicelib.store.endpoints` when botocore is upgraded
    ours = Connection(region="eu-west-2").session.get_component("data_loader").load_data("endpoints")
    stock = botocore.session.Session().get_component("data_loader").load_data("endpoints")
    assert [p["partition"] for p in ours["partitions"]] == [p["partition"] for p in stock["partitions"]]
    for mine, theirs in zip(ours["partitions"], stock["partitions"]):
        assert {k: v for k, v in mine.items() if k != "services"} == {k: v for k, v in theirs.items() if k != "services"}
        assert set(mine["services"]) <= {"dynamodb"} and mine["services"].get("dynamodb") == theirs["services"].get("dynamodb")
    assert os.path.getsize(endpoints.PATH) < 50_000 < os.path.getsize(
        os.path.join(os.path.dirname(botocore.__file__), "data", "endpoints.json"))


def _every_region():
    stock = botocore.session.Session().get_component("data_loader").load_data("endpoints")
    return [(p["partition"], region) for p in stock["partitions"] for region in p["regions"]]


@pytest.mark.parametrize("partition,region", _every_region())
def test_every_region_resolves_as_with_botocores_own_data(monkeypatch, partition, region):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    ours = Connection(region=region, host=None).session.create_client("dynamodb", region_name=region)
    stock = botocore.session.Session().create_client("dynamodb", region_name=region)
    assert (ours.meta.endpoint_url, ours.meta.partition) == (stock.meta.endpoint_url, stock.meta.partition)
    assert ours.meta.partition == partition
    assert ours._request_signer._region_name == stock._request_signer._region_name
    assert ours._request_signer._signing_name == stock._request_signer._signing_name == "dynamodb"
