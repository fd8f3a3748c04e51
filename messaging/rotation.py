"""Key rotation, step 2: every stored secret (Cafe24 tokens, push tokens, member contacts)
encrypted again with the first FIELD_ENCRYPTION_KEY (messaging/crypto.py)."""
from __future__ import annotations

from .models import Cafe24Connection, MemberContact, PushSubscription


def reencrypt_all() -> int:
    """Re-encrypt every secret with the first key (after putting a new key first)."""
    n = 0
    for model, fields in ((Cafe24Connection, ["access_token", "refresh_token"]),
                          (PushSubscription, ["token"]), (MemberContact, ["cellphone", "name"])):
        for obj in model.objects.all().iterator():
            obj.save(update_fields=fields)  # from_db_value decrypted with any key; save encrypts with the first
            n += 1
    return n
