"""Web push through FCM HTTP v1: the client from our service account, and a wave's sender."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from ..errors import MessagingError, MessagingErrorCode
from ..fcm.client import MAX_BATCH, FCMClient, FCMConfigError, PushMessage, PushResult
from ..models import Campaign, Delivery, PushSubscription
from .deliveries import store_outcomes
from .render import render_message

# A row FCM refused for now (quota, outage) is tried again after this, at most this many times.
RETRY_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5


class FCMPayloadError(Exception):
    """FCM refused the message itself (not a token): every recipient would get the same answer."""


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
    return FCMClient(creds, base_url=settings.FCM_BASE_URL, threads=settings.FCM_THREADS,
                     quota_wait=settings.FCM_QUOTA_WAIT_SECONDS)


def config_message(result: PushResult) -> str:
    """What the owner has to fix, in their words, for a configuration answer of FCM."""
    if result.error == "SENDER_ID_MISMATCH":
        return _("FCM이 발송을 거부했습니다(SENDER_ID_MISMATCH): 구독 토큰을 만든 Firebase 프로젝트와 "
                 "FCM_CREDENTIALS의 서비스 계정 프로젝트가 다릅니다. 쇼핑몰의 data-firebase 설정과 같은 프로젝트의 "
                 "서비스 계정 키를 설정해 주세요. 구독자는 삭제하지 않았습니다.")
    if result.error == "THIRD_PARTY_AUTH_ERROR":
        return _("FCM이 발송을 거부했습니다(THIRD_PARTY_AUTH_ERROR): Firebase 콘솔 > 프로젝트 설정 > 클라우드 메시징의 "
                 "웹 푸시 인증서(VAPID 키)가 쇼핑몰의 data-vapid 값과 맞는지 확인해 주세요. 구독자는 삭제하지 않았습니다.")
    return _("FCM이 서비스 계정을 거부했습니다(%(e)s): FCM_CREDENTIALS의 키와 프로젝트, Firebase Cloud Messaging API "
             "사용 설정을 확인해 주세요. 구독자는 삭제하지 않았습니다.") % {"e": result.error or result.status}


def payload_message(result: PushResult) -> str:
    return _("FCM이 메시지 내용을 거부했습니다: %(d)s. 링크는 https:// 로 시작해야 하고 메시지는 4KB 이하여야 합니다. "
             "캠페인을 고친 뒤 다시 보내 주세요. 구독자는 삭제하지 않았습니다.") % {"d": result.detail or result.error}


class PushSender:
    def __init__(self, campaign: Campaign, variants: dict):
        self.campaign, self.variants = campaign, variants
        self.fcm = fcm_client()

    def close(self) -> None:
        self.fcm.close()

    def send(self, rows: list[Delivery]) -> None:
        msgs, by_key = [], {}
        now = dj_timezone.now()
        early: list[Delivery] = []
        for d in rows:
            by_key[str(d.pk)] = d
            sub = d.push_subscription
            if sub is None or not sub.is_active:
                d.status, d.reason = Delivery.Status.FAILED, "no_subscription"
                early.append(d)
                continue
            title, body, link = render_message(campaign=self.campaign, variant=self.variants[d.variant], delivery=d)
            msgs.append(PushMessage(key=str(d.pk), token=sub.token, title=title, body=body, link=link,
                                    data={"untitle_tid": d.tracking_id}))
        store_outcomes(early)
        stop: Exception | None = None
        for i in range(0, len(msgs), MAX_BATCH):
            if stop is not None:
                break
            # Each group of answers is stored as soon as it arrives (one UPDATE for whatever came in
            # meanwhile): a worker killed mid-wave loses at most the answers of that instant, and a
            # row with FCM's message id is never later guessed to be "interrupted".
            for results in self.fcm.send_stream(msgs[i:i + MAX_BATCH]):
                done, dead = [], []
                for r in results:
                    d = by_key[r.key]
                    self._apply(d, r, now)
                    done.append(d)
                    if r.outcome in ("unregistered", "invalid"):
                        dead.append(d.push_subscription_id)
                    if stop is None and r.outcome == "config":
                        stop = FCMConfigError(config_message(r))
                    elif stop is None and r.outcome == "payload":
                        stop = FCMPayloadError(payload_message(r))
                    if stop is not None:
                        self.fcm.cancel_pending()  # requests not yet started never leave
                store_outcomes(done)
                if dead:
                    PushSubscription.objects.filter(pk__in=dead).update(is_active=False)
        # Rows never handed to FCM (a stop before their batch) go back untouched.
        unsent = [d for d in rows if d.status == Delivery.Status.SENDING]
        for d in unsent:
            d.status, d.reason = Delivery.Status.PENDING, ""
        store_outcomes(unsent)
        if stop is not None:
            raise stop

    @staticmethod
    def _apply(d: Delivery, r: PushResult, now) -> None:
        d.provider_response = {"status": r.status, "name": r.message_id, "error": r.error}
        if r.detail:
            d.provider_response["detail"] = r.detail
        if r.outcome == "ok":
            d.status, d.sent_at, d.reason, d.provider_message_id = Delivery.Status.SENT, now, "", r.message_id
        elif r.outcome in ("retry", "cancelled", "payload", "config"):
            # Not delivered: FCM refused it for now, or for a reason that is not this recipient's.
            # A later run (or the marketer's resend after the fix) takes it again.
            if r.outcome == "retry" and d.attempts + 1 >= MAX_ATTEMPTS:  # d.attempts: before this claim
                d.status, d.reason = Delivery.Status.FAILED, "retry_exhausted"
            else:
                d.status, d.reason = Delivery.Status.PENDING, "" if r.outcome == "cancelled" else r.outcome
                if r.outcome == "retry":
                    d.not_before = now + RETRY_AFTER
        else:
            d.status, d.reason = Delivery.Status.FAILED, r.outcome
