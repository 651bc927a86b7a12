"""The S3 API behind ``badgepages publish``: AWS S3, Cloudflare R2 and other compatible stores.

The client is boto3, an optional extra (``pip install 'badgepages[s3]'``). Credentials come
only from the standard AWS chain (environment, profile, web identity from OIDC, instance
role) and are never read, printed or logged here. Every failure of the API becomes an
:class:`S3Error` with one line that names the bucket and the cause, never a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from badgepages.publish import WORKERS, Headers, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

INSTALL_HINT = "pip install 'badgepages[s3]'"
# S3 bucket naming rules (also R2's): 3-63 lower-case letters, digits, dots and hyphens.
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


class S3Error(Exception):
    """A one-line reason why the object store could not be used."""


@dataclass(frozen=True)
class Target:
    """A bucket and the prefix the site's paths are published under ("" or ending in /)."""

    bucket: str
    prefix: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_target(text: str) -> Target:
    """Read ``s3://bucket/prefix`` (the prefix is optional)."""
    if not text.startswith("s3://"):
        raise S3Error(f"'{text}' is not an s3://bucket/prefix address")
    bucket, _, prefix = text.removeprefix("s3://").partition("/")
    if not BUCKET.match(bucket):
        raise S3Error(f"'{bucket}' is not a bucket name (3-63 lower-case letters, digits, . or -)")
    parts = [part for part in prefix.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise S3Error(f"the prefix '{prefix}' may not hold '.' or '..'")
    return Target(bucket, "".join(f"{part}/" for part in parts))


class S3Store:
    """The objects under one prefix of one bucket, named by their path under the prefix."""

    def __init__(self, client: S3Client, target: Target) -> None:
        self.client = client
        self.target = target

    def list_objects(self) -> dict[str, StoredObject]:
        """Return every object under the prefix, with its size and ETag."""
        found = {}
        with self._errors("list the objects of"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.target.bucket, Prefix=self.target.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    path = item["Key"].removeprefix(self.target.prefix)
                    found[path] = StoredObject(item["Size"], item["ETag"])
        return found

    def read(self, path: str) -> bytes | None:
        """Return an object's content, or None when there is none."""
        client = self.client
        with self._errors(f"read {path} in"):
            try:
                response = client.get_object(Bucket=self.target.bucket, Key=self._key(path))
            except client.exceptions.NoSuchKey:
                return None
            return response["Body"].read()

    def write(self, path: str, body: bytes, headers: Headers) -> str:
        """Store an object with its headers; return the ETag the store gave it."""
        with self._errors(f"upload {path} to"):
            response = self.client.put_object(
                Bucket=self.target.bucket,
                Key=self._key(path),
                Body=body,
                ContentType=headers.content_type,
                CacheControl=headers.cache_control,
            )
            return response["ETag"]

    def delete(self, paths: Sequence[str]) -> None:
        """Delete objects, a thousand per request."""
        for start in range(0, len(paths), DELETE_BATCH):
            keys = paths[start : start + DELETE_BATCH]
            batch: list[ObjectIdentifierTypeDef] = [{"Key": self._key(path)} for path in keys]
            with self._errors("delete stale objects in"):
                response = self.client.delete_objects(
                    Bucket=self.target.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            for error in response.get("Errors", []):
                raise S3Error(
                    f"cannot delete {error.get('Key')} in {self.target}: {error.get('Code')}"
                )

    def _key(self, path: str) -> str:
        return self.target.prefix + path

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn the client's exceptions into one-line S3Errors."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        try:
            yield
        except (NoCredentialsError, PartialCredentialsError):
            raise S3Error(
                "no credentials for the S3 API: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role (the standard AWS chain)"
            ) from None
        except (EndpointConnectionError, ConnectTimeoutError):
            raise S3Error(
                f"cannot reach the S3 API at {self._endpoint()}: check --endpoint and the network"
            ) from None
        except ClientError as error:
            raise S3Error(self._refusal(action, error)) from None
        except BotoCoreError as error:  # unreachable endpoint, timeouts, bad parameters
            raise S3Error(f"cannot {action} {self.target}: {error}") from None

    def _refusal(self, action: str, error: object) -> str:
        details = getattr(error, "response", {}).get("Error", {})
        code, message = str(details.get("Code", "")), str(details.get("Message", ""))
        if code == "NoSuchBucket":
            return f"the bucket '{self.target.bucket}' does not exist at {self._endpoint()}"
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return (
                f"access denied: cannot {action} {self.target} ({code}): check the credentials "
                "and the bucket's policy"
            )
        return f"cannot {action} {self.target}: {code} {message}".rstrip()

    def _endpoint(self) -> str:
        return str(self.client.meta.endpoint_url)


def open_store(target: Target, endpoint: str | None, workers: int = WORKERS) -> S3Store:
    """Return a store for the target; the endpoint defaults to AWS or $AWS_ENDPOINT_URL_S3."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise S3Error(f"publishing needs boto3: {INSTALL_HINT}") from None
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=workers,
        # Checksums only where the API requires them: several S3-compatible stores refuse
        # the CRC headers newer clients send by default.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    try:
        client = boto3.session.Session().client("s3", endpoint_url=endpoint, config=config)
    except ValueError as error:  # a malformed --endpoint
        raise S3Error(f"cannot use the endpoint {endpoint}: {error}") from None
    return S3Store(client, target)
