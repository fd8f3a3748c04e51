"""Encryption at rest moved to ``untitle.crypto`` (segments and alerts store secrets too); this
module keeps the old path that messaging's migrations and models name. The masks of member
contact details stay here: they are messaging's."""
from __future__ import annotations

from untitle.crypto import (EncryptedTextField, decrypt, encrypt, fernet, is_token,  # noqa: F401
                            rotate)

__all__ = ["EncryptedTextField", "decrypt", "encrypt", "fernet", "is_token", "rotate", "mask_name", "mask_phone"]


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
