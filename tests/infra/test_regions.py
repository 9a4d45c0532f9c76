"""Regional correctness: residents' uploads and photo links use the deployment region's own S3
endpoint, ``amazonaws.com.cn`` in the China regions (there is no global S3 endpoint there).

moto's in-process mock plays S3 in each region; the expected hosts are written out here from
AWS's published endpoint names, not taken from botocore.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from moto import mock_aws

from chalicelib.adapters import photo_storage
from chalicelib.settings import settings

EXPECTED_HOST = {
    "cn-northwest-1": "s3.cn-northwest-1.amazonaws.com.cn",  # Ningxia
    "cn-north-1": "s3.cn-north-1.amazonaws.com.cn",  # Beijing
    "eu-west-2": "s3.eu-west-2.amazonaws.com",
}
BUCKET = "propdesk-photos-regional"


@pytest.fixture
def region_s3(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app deployed in ``request.param``: AWS_REGION as Lambda sets it, no local endpoint."""
    region = request.param
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL"):  # the suite's moto server, if another module set it
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("PROPDESK_PHOTO_BUCKET", BUCKET)
    settings.cache_clear()
    photo_storage._client.cache_clear()
    try:
        with mock_aws():
            boto3.client("s3", region_name=region).create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": region})
            yield region
    finally:
        settings.cache_clear()
        photo_storage._client.cache_clear()


@pytest.mark.parametrize("region_s3", list(EXPECTED_HOST), indirect=True)
def test_a_residents_upload_goes_to_the_regions_own_s3_endpoint(region_s3: str) -> None:
    key = photo_storage.incoming_prefix("tenant-1", "ticket-1") + "upload-1"
    form = photo_storage.upload_form(key, max_bytes=1024)

    assert urlsplit(form.url).scheme == "https"
    assert urlsplit(form.url).netloc == EXPECTED_HOST[region_s3]
    # signed for that region's S3, so S3 there accepts it
    assert form.fields["x-amz-credential"].endswith(f"/{region_s3}/s3/aws4_request")

    sent = requests.post(form.url, data=form.fields, files={"file": ("photo.jpg", b"\xff\xd8\xffjpeg", "image/jpeg")},
                         timeout=30)
    assert int(sent.status_code) == 201, sent.text  # (moto's mock gives the status as text)
    assert photo_storage.read_incoming(key, 1024) == b"\xff\xd8\xffjpeg"


@pytest.mark.parametrize("region_s3", list(EXPECTED_HOST), indirect=True)
def test_photo_links_and_the_pages_allowed_origin_are_the_regions_own(region_s3: str) -> None:
    photo_storage.put_photo("tenant-1/photos/ticket-1/p.jpg", b"\xff\xd8\xffclean", "image/jpeg")

    link = photo_storage.view_url("tenant-1/photos/ticket-1/p.jpg")
    assert urlsplit(link).netloc == EXPECTED_HOST[region_s3]
    assert requests.get(link, timeout=30).content == b"\xff\xd8\xffclean"
    # the Content-Security-Policy lets the pages post to and show from exactly that origin
    assert photo_storage.bucket_origin() == f"https://{EXPECTED_HOST[region_s3]}"
