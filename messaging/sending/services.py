"""The send loop and test sends.

The loop is idempotent by construction (Delivery's unique constraint + claiming rows with
SKIP LOCKED), so a Celery retry, a second worker or a resumed worker never sends one recipient
the same campaign twice.
"""
from __future__ import annotations

import uuid as uuid_mod

from django.conf import settings
from django.db import transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.facade import audit_log

from .. import compliance
from ..audit import AuditAction
from ..cafe24.client import Cafe24Revoked
from ..campaigns.checks import campaign_check
from ..campaigns.selectors import campaign_progress
from ..connection.services import cafe24_api
from ..errors import MessagingError
from ..fcm.client import FCMConfigError, PushMessage
from ..models import Cafe24Connection, Campaign, Delivery, PushSubscription
from ..tasks import campaign_send_task
from .deliveries import claim_wave
from .push import PushSender, fcm_client
from .render import render_message
from .simulated import SimulatedSender
from .sms import SmsSender


def campaign_send(*, campaign_id: int, wave: int | None = None, max_waves: int | None = None) -> dict:
    """Send every due pending delivery. Safe to run twice at once and to resume after a crash.

    Rows are claimed a wave at a time (SKIP LOCKED, status -> sending) and every claimed row of
    a wave is requested at once, so a killed worker leaves at most one wave in "sending". Those
    rows are never re-sent (the provider may have them): a later run marks them "failed /
    interrupted" for a human to look at, because sending twice is worse than not at all.
    """
    campaign = Campaign.objects.select_related("client").get(pk=campaign_id)
    if campaign.status in (Campaign.Status.CANCELLED,):
        return campaign_progress(campaign=campaign)
    wave = wave or settings.CAMPAIGN_SEND_WAVE
    now = dj_timezone.now()
    # A scheduled run (a booked time, or held rows released at 08:00) is sending from now on.
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(status=Campaign.Status.SENDING)
    Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SENDING,
                            claimed_at__lt=now - settings.CAMPAIGN_STALE_CLAIM).update(
        status=Delivery.Status.FAILED, reason="interrupted")
    variants = {v.key: v for v in campaign.variants.all()}
    if campaign.channel == Campaign.Channel.SIMULATED:  # the demo's channel: nothing leaves the server
        sender = SimulatedSender(campaign, variants)
    else:
        sender = PushSender(campaign, variants) if campaign.channel == "push" else SmsSender(campaign, variants)
    waves = 0
    try:
        while max_waves is None or waves < max_waves:
            rows = claim_wave(campaign, wave, dj_timezone.now())
            if not rows:
                break
            waves += 1
            sender.send(rows)
    except (FCMConfigError, Cafe24Revoked) as exc:
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FAILED, error=str(exc)[:500])
        raise
    finally:
        sender.close()
    progress = campaign_progress(campaign=campaign)
    c = progress["counts"]
    if not c["pending"] and not c["sending"]:
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=dj_timezone.now())
        if c["held"]:
            _release_held(campaign)
    return campaign_progress(campaign=Campaign.objects.get(pk=campaign.pk))


def _release_held(campaign: Campaign) -> None:
    """Quiet-hour holds become pending at 08:00 KST and a send is queued for then."""
    first = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.HELD).order_by("not_before").first()
    if first is None:
        return
    Delivery.objects.filter(campaign=campaign, status=Delivery.Status.HELD).update(status=Delivery.Status.PENDING)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SCHEDULED)
    transaction.on_commit(lambda: campaign_send_task.apply_async(args=[campaign.pk], eta=first.not_before))


def campaign_test_send(*, campaign: Campaign, actor, visitor: str = "", member_id: str = "") -> dict:
    """Send the first variant to the marketer's own browser or member id; nothing is recorded
    as a delivery and no audience member receives it."""
    variant = campaign.variants.first()
    title, body, link = render_message(campaign=campaign, variant=variant, values={"name": "테스트"})
    title = f"[TEST] {title}"
    if campaign.channel == Campaign.Channel.PUSH:
        try:
            vid = uuid_mod.UUID(str(visitor))
        except ValueError:
            message = _("테스트 받을 방문자 ID(uuid)를 입력해 주세요. 쇼핑몰에서 알림을 허용한 브라우저의 ID입니다.")
            raise MessagingError(message, fields={"visitor": message})
        subs = list(PushSubscription.objects.filter(client=campaign.client, uuid=vid, is_active=True))
        if not subs:
            message = _("이 방문자 ID로 구독된 브라우저가 없습니다. 쇼핑몰에서 알림을 먼저 허용해 주세요.")
            raise MessagingError(message, fields={"visitor": message})
        fcm = fcm_client()
        try:
            results = fcm.send_batch([PushMessage(key=str(s.pk), token=s.token, title=title, body=body, link=link)
                                      for s in subs])
        finally:
            fcm.close()
        out = {"sent": sum(r.outcome == "ok" for r in results), "failed": sum(r.outcome != "ok" for r in results)}
    else:
        if not member_id.strip():
            message = _("테스트 받을 회원 아이디를 입력해 주세요.")
            raise MessagingError(message, fields={"member_id": message})
        campaign_check(campaign)
        conn = Cafe24Connection.objects.get(client=campaign.client)
        cafe24_api(client=campaign.client).sms_send(sender_no=conn.sender_no, content=body, type_=compliance.sms_type(body),
                                                    title=title, member_ids=[member_id.strip()])
        out = {"sent": 1, "failed": 0}
    audit_log(action=AuditAction.CAMPAIGN_TEST_SEND, client=campaign.client, actor=actor, target=campaign.name,
              details={"campaign_id": campaign.pk, **out})
    return out
