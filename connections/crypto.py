"""Encryption at rest for provider API keys.

The Fernet key is derived (HKDF-SHA256) from settings.ENCRYPTION_KEY, a secret dedicated to
this purpose, so rotating Django's SECRET_KEY does not lose stored keys.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from playground import redaction


class SecretDecryptionError(Exception):
    """A stored secret cannot be read with the current encryption key."""


@lru_cache(maxsize=4)
def _fernet(master_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"playground", info=b"connection-api-keys"
    ).derive(master_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(plaintext: str) -> bytes:
    return _fernet(settings.ENCRYPTION_KEY).encrypt(plaintext.encode())


def decrypt_secret(token: bytes | memoryview) -> str:
    try:
        plaintext = _fernet(settings.ENCRYPTION_KEY).decrypt(bytes(token)).decode()
    except InvalidToken:
        raise SecretDecryptionError(
            "Cannot decrypt the stored API key: PLAYGROUND_ENCRYPTION_KEY has changed since it "
            "was saved. Enter the key again on the Connections page."
        ) from None
    redaction.remember([plaintext])  # kept out of every log line from now on
    return plaintext
