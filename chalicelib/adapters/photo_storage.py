"""S3 as the photo store. The only module that calls S3.

Residents' browsers upload straight to S3 with a presigned POST (the bytes never pass
through Lambda or API Gateway), under ``incoming/{tenant}/{ticket}/{upload}`` (a lifecycle
rule removes what nobody confirmed after a day). Nobody sees an
incoming object: the service reads it once, checks its bytes, strips location metadata and
writes the clean copy to ``{tenant}/photos/{ticket}/{upload}.{ext}``; people see that copy
through short-lived presigned GETs. Signing is local computation (no round trip).

Every URL comes from botocore's endpoint for the deployment's region (``settings().region``,
Lambda's ``AWS_REGION``): ``s3.<region>.amazonaws.com``, and ``s3.<region>.amazonaws.com.cn``
in the China regions, which have no global endpoint. Never build an S3 URL by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..settings import settings

UPLOAD_SECONDS = 3600  # how long an upload form stays good
VIEW_SECONDS = 900  # how long a photo link works


@lru_cache(maxsize=1)
def _client() -> Any:
    import boto3  # lazily: importing the app must not build clients
    from botocore.config import Config
    return boto3.client("s3", region_name=settings().region,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def incoming_prefix(tenant_id: str, ticket_id: str) -> str:
    return f"incoming/{tenant_id}/{ticket_id}/"


def photo_key(tenant_id: str, ticket_id: str, upload_id: str, extension: str) -> str:
    return f"{tenant_id}/photos/{ticket_id}/{upload_id}.{extension}"


@dataclass(frozen=True)
class UploadForm:
    url: str
    fields: dict[str, str]


def upload_form(key: str, *, max_bytes: int, redirect: str | None = None) -> UploadForm:
    """A presigned POST for exactly ``key``, at most ``max_bytes``. With ``redirect`` S3
    answers 303 to it (``?key=…&bucket=…`` appended): the no-script path. Without, 201."""
    fields: dict[str, str] = {}
    conditions: list[Any] = [["content-length-range", 1, max_bytes]]
    if redirect:
        fields["success_action_redirect"] = redirect
        conditions.append({"success_action_redirect": redirect})
    else:
        fields["success_action_status"] = "201"
        conditions.append({"success_action_status": "201"})
    signed = _client().generate_presigned_post(settings().photo_bucket, key, Fields=fields, Conditions=conditions,
                                               ExpiresIn=UPLOAD_SECONDS)
    return UploadForm(url=signed["url"], fields=signed["fields"])


def bucket_origin() -> str:
    """Where browsers reach the bucket (for the pages' Content-Security-Policy)."""
    url = _client().generate_presigned_url("get_object", Params={"Bucket": settings().photo_bucket, "Key": "x"},
                                           ExpiresIn=60)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class TooLarge(Exception):
    pass


def read_incoming(key: str, max_bytes: int) -> bytes | None:
    """The uploaded bytes (at most ``max_bytes``; TooLarge beyond), or None if not there."""
    client = _client()
    try:
        answer = client.get_object(Bucket=settings().photo_bucket, Key=key, Range=f"bytes=0-{max_bytes}")
    except client.exceptions.NoSuchKey:
        return None
    except client.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("InvalidRange", "416"):
            return b""  # an empty object
        raise
    data = answer["Body"].read()
    if len(data) > max_bytes:
        raise TooLarge()
    return data


def put_photo(key: str, data: bytes, content_type: str) -> None:
    _client().put_object(Bucket=settings().photo_bucket, Key=key, Body=data, ContentType=content_type,
                         CacheControl="private, max-age=900", ContentDisposition="inline")


def delete(key: str) -> None:
    _client().delete_object(Bucket=settings().photo_bucket, Key=key)


def view_url(key: str) -> str:
    return _client().generate_presigned_url("get_object", Params={"Bucket": settings().photo_bucket, "Key": key},
                                            ExpiresIn=VIEW_SECONDS)


def read(key: str) -> bytes:
    """A stored object's bytes (a resident's download of their own photos)."""
    return _client().get_object(Bucket=settings().photo_bucket, Key=key)["Body"].read()


DOWNLOAD_TAG = "kind=resident-download"  # a bucket lifecycle rule on this tag expires them after a day


def put_download(key: str, data: bytes) -> None:
    _client().put_object(Bucket=settings().photo_bucket, Key=key, Body=data, ContentType="application/zip",
                         CacheControl="private, no-store", Tagging=DOWNLOAD_TAG)


def download_url(key: str, filename: str, seconds: int = VIEW_SECONDS) -> str:
    """A short-lived link that downloads ``key`` as ``filename``."""
    return _client().generate_presigned_url(
        "get_object", Params={"Bucket": settings().photo_bucket, "Key": key,
                              "ResponseContentDisposition": f'attachment; filename="{filename}"'},
        ExpiresIn=seconds)


# --- whole prefixes and large objects (a firm's export and deletion) ------------------------

def firm_prefixes(tenant_id: str) -> tuple[str, ...]:
    """Every prefix a firm's objects live under: its own, and its unconfirmed uploads."""
    return (f"{tenant_id}/", f"incoming/{tenant_id}/")


def list_keys(prefix: str, *, after: str = "", limit: int = 1000) -> list[str]:
    """Up to ``limit`` keys under ``prefix``, in key order, after ``after``: one ListObjectsV2."""
    args: dict[str, Any] = {"Bucket": settings().photo_bucket, "Prefix": prefix, "MaxKeys": limit}
    if after:
        args["StartAfter"] = after
    return [o["Key"] for o in _client().list_objects_v2(**args).get("Contents", [])]


def delete_keys(keys: list[str]) -> None:
    """Delete up to 1,000 objects in one request."""
    if keys:
        _client().delete_objects(Bucket=settings().photo_bucket,
                                 Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})


def put_bytes(key: str, data: bytes, content_type: str = "application/octet-stream",
              tag: tuple[str, str] | None = None) -> None:
    """``tag`` (name, value) marks the object for a lifecycle rule (infra/stack.py)."""
    _client().put_object(Bucket=settings().photo_bucket, Key=key, Body=data, ContentType=content_type,
                         **_tagging(tag))


def start_upload(key: str, content_type: str, tag: tuple[str, str] | None = None) -> str:
    """A multipart upload (parts of at least 5 MiB but the last); its id."""
    return _client().create_multipart_upload(Bucket=settings().photo_bucket, Key=key,
                                             ContentType=content_type, **_tagging(tag))["UploadId"]


def _tagging(tag: tuple[str, str] | None) -> dict:
    return {"Tagging": urlencode([tag])} if tag else {}


def upload_part(key: str, upload_id: str, number: int, data: bytes) -> str:
    return _client().upload_part(Bucket=settings().photo_bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                 Body=data)["ETag"]


def complete_upload(key: str, upload_id: str, etags: list[str]) -> None:
    _client().complete_multipart_upload(Bucket=settings().photo_bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e}
                                                                   for n, e in enumerate(etags, start=1)]})


def abort_uploads(prefix: str) -> None:
    """Abort every unfinished multipart upload under ``prefix`` (their parts are objects too)."""
    client = _client()
    for upload in client.list_multipart_uploads(Bucket=settings().photo_bucket, Prefix=prefix).get("Uploads", []):
        client.abort_multipart_upload(Bucket=settings().photo_bucket, Key=upload["Key"], UploadId=upload["UploadId"])
