"""Key rotation, step 2: every stored secret of every app (Cafe24 and push tokens, member
contacts, segment and alert webhook secrets) encrypted again with the first FIELD_ENCRYPTION_KEY
(untitle/crypto.py). The fields are found, not listed, so a new encrypted field is never missed."""
from __future__ import annotations

from untitle.crypto import encrypted_fields


def reencrypt_all() -> int:
    """Re-encrypt every secret with the first key (after putting a new key first); rows seen."""
    n = 0
    for model, fields in encrypted_fields():
        for obj in model._default_manager.all().iterator():
            obj.save(update_fields=fields)  # from_db_value decrypted with any key; save encrypts with the first
            n += 1
    return n
