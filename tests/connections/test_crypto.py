import pytest
from django.test import override_settings

from connections.crypto import SecretDecryptionError, decrypt_secret, encrypt_secret


def test_a_secret_round_trips_and_is_not_stored_in_clear():
    token = encrypt_secret("sk-round-trip")
    assert b"sk-round-trip" not in token
    assert decrypt_secret(token) == "sk-round-trip"


def test_a_changed_encryption_key_gives_a_clear_error():
    token = encrypt_secret("sk-old")
    with override_settings(ENCRYPTION_KEY="a-completely-different-key-of-enough-length"):
        with pytest.raises(SecretDecryptionError, match="PLAYGROUND_ENCRYPTION_KEY"):
            decrypt_secret(token)
