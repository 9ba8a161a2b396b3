"""Field encryption (Fernet, rotatable) and keyed hashes for personal data."""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    """Encrypt with the newest key."""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt with whichever configured key encrypted the value."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was removed before rotation finished
        raise ValueError("cannot decrypt: no configured key matches") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (used by `manage.py rotate_field_keys`)."""
    return _current().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value, for duplicate detection without plaintext."""
    key = settings.FIELD_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
