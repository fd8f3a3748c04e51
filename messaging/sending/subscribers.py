"""Web push subscriptions: a storefront browser that allowed notifications, and its consents."""
from __future__ import annotations

import hashlib
import uuid as uuid_mod

from django.db import IntegrityError, transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.models import Client

from ..errors import MessagingError, MessagingErrorCode
from ..models import PushSubscription


def push_subscribe(*, client: Client, visitor: str, token: str, kind: str = "fcm", ad_consent: bool = False,
                   night_consent: bool = False) -> PushSubscription:
    try:
        visitor_uuid = uuid_mod.UUID(str(visitor))
    except ValueError:
        message = _("방문자 ID(uuid)가 올바르지 않습니다.")
        raise MessagingError(message, fields={"uuid": message})
    token = (token or "").strip()
    if not token or len(token) > 4096:
        message = _("푸시 토큰이 비어 있거나 너무 깁니다.")
        raise MessagingError(message, fields={"token": message})
    if kind not in PushSubscription.Kind.values:
        message = _("지원하지 않는 구독 종류입니다: %(k)s") % {"k": kind}
        raise MessagingError(message, fields={"kind": message})
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    now = dj_timezone.now()
    with transaction.atomic():
        sub = PushSubscription.objects.select_for_update().filter(client=client, token_hash=token_hash).first()
        if sub is None:
            sub = PushSubscription(client=client, token_hash=token_hash, token=token)
        sub.uuid, sub.kind, sub.is_active = visitor_uuid, kind, True
        sub.ad_consent, sub.night_consent = bool(ad_consent), bool(night_consent) and bool(ad_consent)
        sub.consent_at = now if ad_consent else None
        try:
            sub.save()
        except IntegrityError:  # a concurrent subscribe of the same token won: update theirs
            raise MessagingError(_("잠시 후 다시 시도해 주세요."), code=MessagingErrorCode.CONFLICT)
    return sub
