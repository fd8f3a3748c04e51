"""Encryption at rest for Cafe24 tokens and member PII (MultiFernet = key rotation).

FIELD_ENCRYPTION_KEY holds comma-separated Fernet keys: the first encrypts, every one decrypts.
To rotate, put a new key first, run ``manage.py reencrypt_fields``, then drop the old key.
The embedded/dev run without a key derives one from SECRET_KEY and says so loudly; a
production run (not EMBEDDED, not DEBUG) refuses to start encrypting without a real key.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import warnings
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _fernet(raw: str, secret: str, embedded: bool) -> MultiFernet:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        if not embedded:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is required outside the embedded run "
                                       "(Fernet.generate_key(), comma-separate several to rotate)")
        warnings.warn("FIELD_ENCRYPTION_KEY is not set: deriving one from SECRET_KEY. "
                      "Fine for the embedded demo, never for production.", RuntimeWarning, stacklevel=3)
        keys = [base64.urlsafe_b64encode(hashlib.sha256(("untitle-field:" + secret).encode()).digest()).decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY: not a Fernet key ({exc})")


def fernet() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY or "", settings.SECRET_KEY,
                   bool(settings.EMBEDDED or settings.DEBUG))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # A key was dropped before re-encryption: surface it, never hand back ciphertext.
        raise ImproperlyConfigured("a stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY "
                                   "(was a key removed before `manage.py reencrypt_fields`?)")


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


def mask_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) < 7:
        return "***"
    return f"{digits[:3]}-****-{digits[-4:]}"


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    return name[0] + "*" * (len(name) - 2) + (name[-1] if len(name) > 2 else "*")


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python code only ever sees the plain value."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
