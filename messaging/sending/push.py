"""Web push through FCM HTTP v1: the client from our service account, and a wave's sender."""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from ..errors import MessagingError, MessagingErrorCode
from ..fcm.client import MAX_BATCH, FCMClient, FCMConfigError, PushMessage
from ..models import Campaign, Delivery, PushSubscription
from .deliveries import store_outcomes
from .render import render_message

def fcm_credentials() -> dict | None:
    """The service account JSON, given inline or as a file path; None when push is not set up."""
    raw = settings.FCM_CREDENTIALS
    if not raw:
        return None
    if raw.strip().startswith("{"):
        return json.loads(raw)
    return json.loads(Path(raw).read_text())


def fcm_client() -> FCMClient:
    creds = fcm_credentials()
    if not creds:
        raise MessagingError(_("웹 푸시를 보내려면 FCM_CREDENTIALS(서비스 계정 JSON)를 설정해 주세요."),
                             code=MessagingErrorCode.NO_FCM)
    return FCMClient(creds, base_url=settings.FCM_BASE_URL, threads=settings.FCM_THREADS)


class PushSender:
    def __init__(self, campaign: Campaign, variants: dict):
        self.campaign, self.variants = campaign, variants
        self.fcm = fcm_client()

    def close(self) -> None:
        self.fcm.close()

    def send(self, rows: list[Delivery]) -> None:
        msgs, by_key = [], {}
        now = dj_timezone.now()
        for d in rows:
            by_key[str(d.pk)] = d
            sub = d.push_subscription
            if sub is None or not sub.is_active:
                d.status, d.reason = Delivery.Status.FAILED, "no_subscription"
                continue
            title, body, link = render_message(campaign=self.campaign, variant=self.variants[d.variant], delivery=d)
            msgs.append(PushMessage(key=str(d.pk), token=sub.token, title=title, body=body, link=link,
                                    data={"untitle_tid": d.tracking_id}))
        dead: list[int] = []
        try:
            for i in range(0, len(msgs), MAX_BATCH):
                for r in self.fcm.send_batch(msgs[i:i + MAX_BATCH]):
                    d = by_key[r.key]
                    d.provider_response = {"status": r.status, "name": r.message_id, "error": r.error}
                    if r.outcome == "ok":
                        d.status, d.sent_at, d.reason = Delivery.Status.SENT, now, ""
                    else:
                        d.status, d.reason = Delivery.Status.FAILED, r.outcome
                        if r.outcome in ("unregistered", "invalid"):
                            dead.append(d.push_subscription_id)
                        if r.outcome == "config":
                            raise FCMConfigError(r.error or f"FCM {r.status}")
        finally:
            # Persist whatever got an answer, even when the wave stops half-way.
            store_outcomes([d for d in rows if d.status != Delivery.Status.SENDING])
            if dead:
                PushSubscription.objects.filter(pk__in=dead).update(is_active=False)
