"""Encryption of stored credentials (platform tokens, provider keys) with Fernet."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from core.ops.logs import remember_secret


class CredentialsUnreadable(Exception):
    """The stored credentials cannot be decrypted with the current key."""


def _fernet(app_config: dict[str, Any] | None = None) -> Fernet:
    config = app_config if app_config is not None else current_app.config
    key = config.get("CREDENTIALS_KEY")
    if key:
        return Fernet(key.encode() if isinstance(key, str) else key)
    # Derive a dedicated key so the session-signing secret is never used directly for data.
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"pageone-credentials", info=b"fernet"
    ).derive(config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_json(value: dict[str, Any], app_config: dict[str, Any] | None = None) -> str:
    remember_secret(value)
    return _fernet(app_config).encrypt(json.dumps(value).encode()).decode()


def decrypt_json(token: str | None, app_config: dict[str, Any] | None = None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        value = json.loads(_fernet(app_config).decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable("stored credentials cannot be decrypted") from exc
    # Whatever a credential holds is a secret: no log line of this process may show it.
    remember_secret(value)
    return value
