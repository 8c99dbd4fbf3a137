"""Where media files live: a directory on disk (``MEDIA_DIR``, by default ``instance/media``) or an
S3-compatible bucket (``MEDIA_S3_BUCKET`` and friends) when several web machines and workers must
see the same files.

Keys are chosen by the library (``brand-<id>/<sha256>.<ext>``), never by a user, so a key cannot
climb out of the directory; the disk backend still refuses one that would.

The S3 backend needs ``boto3`` (not a dependency of PageOne: install it where you use S3). It
reads ``MEDIA_S3_BUCKET``, ``MEDIA_S3_ENDPOINT_URL`` (MinIO, Ceph, R2, …; empty for AWS),
``MEDIA_S3_REGION``, ``MEDIA_S3_ACCESS_KEY_ID``, ``MEDIA_S3_SECRET_ACCESS_KEY`` (empty: boto3's
own chain, e.g. an instance role) and ``MEDIA_S3_PREFIX`` (default ``media/``).

Every S3 call has a connect and a read timeout (:data:`S3_CONNECT_TIMEOUT`,
:data:`S3_READ_TIMEOUT`) and at most :data:`S3_ATTEMPTS` tries, so a bucket that stops answering
fails one request instead of holding a web process or the worker.

The outbound guard (core/outbound.py) is not in this path, on purpose: it stands between the
server and addresses that users or platforms give it (webhooks, sites, feeds). The bucket's
endpoint is the operator's own configuration, like ``DATABASE_URL``, and is often on a private
network or loopback (MinIO beside PageOne), which the guard would rightly refuse for a user's URL.
No user input reaches the endpoint or the key (keys are chosen by the library), and boto3 talks
only to that endpoint.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol


class StorageError(RuntimeError):
    """The storage could not keep or give back a file."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


class DiskStorage:
    """Files under one directory; written to a temporary name and renamed, so a reader never sees
    half a file."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"media key {key!r} leaves the media directory")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(f"media file {key} is missing") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


S3_CONNECT_TIMEOUT = 5.0  # seconds
S3_READ_TIMEOUT = 60.0  # a video of a few hundred MB is read in one answer
S3_ATTEMPTS = 3

_S3_SETTINGS = (
    "MEDIA_S3_BUCKET",
    "MEDIA_S3_ENDPOINT_URL",
    "MEDIA_S3_REGION",
    "MEDIA_S3_ACCESS_KEY_ID",
    "MEDIA_S3_SECRET_ACCESS_KEY",
    "MEDIA_S3_PREFIX",
)


class S3Storage:
    """Objects in an S3-compatible bucket, through boto3."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        try:
            import boto3  # noqa: PLC0415 - optional, only where S3 is configured
            from botocore.config import Config  # noqa: PLC0415
        except ImportError:
            raise StorageError(
                "MEDIA_S3_BUCKET is set but boto3 is not installed: pip install boto3"
            ) from None
        self.bucket = config["MEDIA_S3_BUCKET"]
        self.prefix = config.get("MEDIA_S3_PREFIX") or ""
        endpoint = config.get("MEDIA_S3_ENDPOINT_URL") or None
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=config.get("MEDIA_S3_REGION") or None,
            aws_access_key_id=config.get("MEDIA_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            config=Config(
                connect_timeout=S3_CONNECT_TIMEOUT,
                read_timeout=S3_READ_TIMEOUT,
                retries={"max_attempts": S3_ATTEMPTS, "mode": "standard"},
                # MinIO, Ceph and friends serve buckets under the path, not as subdomains.
                s3={"addressing_style": "path" if endpoint else "auto"},
            ),
        )

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=content_type
            )
        except Exception as exc:  # noqa: BLE001 - botocore's ClientError, timeouts, refusals
            raise StorageError(f"the bucket did not keep {key}: {type(exc).__name__}") from exc

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            return answer["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise StorageError(f"media file {key} is missing") from None
        except Exception as exc:  # noqa: BLE001 - botocore's ClientError, timeouts, refusals
            raise StorageError(f"the bucket did not give {key}: {type(exc).__name__}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception:  # noqa: BLE001 - botocore's ClientError 404 and friends
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


_disk: dict[str, DiskStorage] = {}
# One client per bucket configuration: making a boto3 client reads its service model (slow).
_s3: dict[tuple[Any, ...], S3Storage] = {}


def storage_for(config: Mapping[str, Any]) -> Storage:
    """The storage the configuration names: S3 when ``MEDIA_S3_BUCKET`` is set, else disk."""
    if config.get("MEDIA_S3_BUCKET"):
        settings = tuple(config.get(name) for name in _S3_SETTINGS)
        if settings not in _s3:
            _s3[settings] = S3Storage(config)
        return _s3[settings]
    root = str(config.get("MEDIA_DIR") or "instance/media")
    if root not in _disk:
        _disk[root] = DiskStorage(root)
    return _disk[root]
