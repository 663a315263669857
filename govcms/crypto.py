"""Encryption at rest for credentials.

Keys come from the GOVCMS_FIELD_KEY setting: one or more comma-separated keys, newest first, so a
key can be rotated by prepending a new one (old ciphertexts still decrypt; re-saving re-encrypts).
A key that is not already a Fernet key is stretched with SHA-256.
"""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _fernet_key(raw: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(raw.encode())) == 32:
            return raw.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


@functools.cache
def _cipher(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k.strip())) for k in keys.split(",") if k.strip()])


def encrypt(plaintext: str) -> str:
    """Return the ciphertext (URL-safe text) of `plaintext` under the newest key."""
    return _cipher(settings.GOVCMS_FIELD_KEY).encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """Return the plaintext of `ciphertext`; raises ValueError if no configured key opens it."""
    try:
        return _cipher(settings.GOVCMS_FIELD_KEY).decrypt(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise ValueError("credential ciphertext cannot be decrypted with the configured keys") from error


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python sees plaintext, the database only ciphertext.

    Empty values are stored as empty strings so "not set" stays distinguishable without decrypting.
    The field cannot be filtered on (ciphertexts are randomised).
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(value)
