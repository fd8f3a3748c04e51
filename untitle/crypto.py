"""Encryption at rest for every app's secrets: Cafe24 tokens and member PII (messaging), webhook
signing secrets (segments, alerts). MultiFernet = key rotation. It lives in the project package
so that any app, whatever its layer, stores secrets the same way.

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


def is_token(value: str) -> bool:
    """Whether ``value`` is already one of our Fernet tokens (a data migration run twice)."""
    try:
        fernet().decrypt(value.encode())
        return True
    except (InvalidToken, ValueError, TypeError):
        return False


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


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every installed model with EncryptedTextFields, and their names (for re-encryption)."""
    from django.apps import apps

    out = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            out.append((model, names))
    return out


# --- data migrations: a plaintext column becomes an encrypted one -------------------------------
# Raw SQL on purpose: in a migration the historical model's field is either still plain text or
# already decrypting, and neither reads a column holding both kinds of value.

def _rewrite_column(schema_editor, *, table: str, column: str, to_tokens: bool) -> int:
    """Rewrite the non-empty values of ``table.column`` that are not yet in the wanted form."""
    conn = schema_editor.connection
    qn = conn.ops.quote_name
    n = 0
    with conn.cursor() as cur:
        cur.execute(f"SELECT id, {qn(column)} FROM {qn(table)} WHERE {qn(column)} <> ''")
        for pk, value in cur.fetchall():
            if value and is_token(value) != to_tokens:
                cur.execute(f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE id = %s",
                            [encrypt(value) if to_tokens else decrypt(value), pk])
                n += 1
    return n


def encrypt_column(schema_editor, *, table: str, column: str) -> int:
    """Encrypt every non-empty plaintext value of ``table.column`` (tokens already there are kept)."""
    return _rewrite_column(schema_editor, table=table, column=column, to_tokens=True)


def decrypt_column(schema_editor, *, table: str, column: str) -> int:
    """The way back: tokens of ``table.column`` replaced by their plain values."""
    return _rewrite_column(schema_editor, table=table, column=column, to_tokens=False)
