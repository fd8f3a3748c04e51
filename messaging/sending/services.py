"""The send loop and test sends.

The loop is idempotent by construction (Delivery's unique constraint + claiming rows with
SKIP LOCKED), so a Celery retry, a second worker or a resumed worker never sends one recipient
the same campaign twice.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.facade import audit_log

from .. import compliance
from ..audit import AuditAction
from ..cafe24.client import Cafe24Revoked
from ..campaigns.checks import campaign_check
from ..campaigns.selectors import campaign_progress
from ..connection.services import cafe24_api
from ..errors import MessagingError, MessagingErrorCode
from ..fcm.client import FCMConfigError, PushMessage
from ..models import Cafe24Connection, Campaign, Delivery, TestRecipient
from ..tasks import campaign_send_task
from .deliveries import claim_wave, reconcile_stale
from .push import FCMPayloadError, PushSender, fcm_client
from . import testers
from .contacts import member_contacts
from .render import render_message
from .simulated import SimulatedSender
from .sms import SmsSender


def campaign_send(*, campaign_id: int, wave: int | None = None, max_waves: int | None = None) -> dict:
    """Send every due pending delivery. Safe to run twice at once and to resume after a crash.

    Rows are claimed a wave at a time (SKIP LOCKED, status -> sending) and every claimed row of
    a wave is requested at once, so a killed worker leaves at most one wave in "sending". Push
    answers are stored as they arrive with FCM's message id, so a later run counts the rows FCM
    accepted as sent; the rest are never re-sent (the provider may have them) but marked
    "failed / interrupted" for a human to look at, because sending twice is worse than not at all.
    """
    campaign = Campaign.objects.select_related("client").get(pk=campaign_id)
    if campaign.status in (Campaign.Status.CANCELLED,):
        return campaign_progress(campaign=campaign)
    wave = wave or settings.CAMPAIGN_SEND_WAVE
    now = dj_timezone.now()
    # A scheduled run (a booked time, or held rows released at 08:00) is sending from now on.
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(status=Campaign.Status.SENDING)
    reconcile_stale(campaign, now - settings.CAMPAIGN_STALE_CLAIM)
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
    except FCMPayloadError as exc:
        # The message itself was refused: the step fails with what to fix; nobody is deactivated
        # and the unsent rows stay pending for the resend.
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FAILED, error=str(exc)[:500])
        return campaign_progress(campaign=Campaign.objects.get(pk=campaign.pk))
    except (FCMConfigError, Cafe24Revoked) as exc:
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.FAILED, error=str(exc)[:500])
        raise
    finally:
        sender.close()
    _resume_later(campaign)
    progress = campaign_progress(campaign=campaign)
    c = progress["counts"]
    if not c["pending"] and not c["sending"]:
        Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(
            status=Campaign.Status.SENT, finished_at=dj_timezone.now())
        if c["held"]:
            _release_held(campaign)
    return campaign_progress(campaign=Campaign.objects.get(pk=campaign.pk))


def _resume_later(campaign: Campaign) -> None:
    """Rows FCM refused for now (quota, outage) are due again in a minute: queue the run that
    takes them, instead of leaving the campaign "sending" with nobody working on it."""
    nxt = (Delivery.objects.filter(campaign=campaign, status=Delivery.Status.PENDING,
                                   not_before__gt=dj_timezone.now()).order_by("not_before").first())
    if nxt is not None and campaign.channel == Campaign.Channel.PUSH:
        transaction.on_commit(lambda: campaign_send_task.apply_async(args=[campaign.pk], eta=nxt.not_before))


def _release_held(campaign: Campaign) -> None:
    """Quiet-hour holds become pending at 08:00 KST and a send is queued for then."""
    first = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.HELD).order_by("not_before").first()
    if first is None:
        return
    Delivery.objects.filter(campaign=campaign, status=Delivery.Status.HELD).update(status=Delivery.Status.PENDING)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SCHEDULED)
    transaction.on_commit(lambda: campaign_send_task.apply_async(args=[campaign.pk], eta=first.not_before))


def campaign_test_send(*, campaign: Campaign, actor, visitor: str = "", member_id: str = "", now=None) -> dict:
    """Send the first variant to the marketer's OWN registered test recipients (``testers``):
    their browsers for push, their member id for SMS; ``visitor`` / ``member_id`` pick one of
    them. The audience's advertising rules hold (the "(광고)" frame and checks, ad consent, night
    consent between 21:00 and 08:00), CAMPAIGN_TEST_SENDS_PER_HOUR per marketer. Nothing is
    recorded as a delivery and no audience member receives it."""
    campaign_check(campaign)
    variant = campaign.variants.first()
    title, body, link = render_message(campaign=campaign, variant=variant, values={"name": "테스트"})
    title = f"[TEST] {title}"
    now = now or dj_timezone.now()
    push = campaign.channel == Campaign.Channel.PUSH
    field = "visitor" if push else "member_id"
    mine = list(testers.tester_list(client=campaign.client, user=actor,
                                    kind=TestRecipient.Kind.DEVICE if push else TestRecipient.Kind.MEMBER))
    if push:
        mine = [t for t in mine if t.push_subscription and t.push_subscription.is_active]
        if visitor.strip():
            mine = [t for t in mine if str(t.push_subscription.uuid) == visitor.strip()]
    elif member_id.strip():
        mine = [t for t in mine if t.member_id == member_id.strip()]
    if not mine:
        message = (_("테스트는 내가 등록한 기기로만 보낼 수 있습니다. 캠페인 > 테스트 수신처에서 이 브라우저를 등록해 주세요.")
                   if push else
                   _("테스트는 내가 등록한 회원 아이디로만 보낼 수 있습니다. 캠페인 > 테스트 수신처에서 내 회원 아이디를 등록해 주세요."))
        raise MessagingError(message, fields={field: message}, link=reverse("messaging:testers", args=[campaign.client.slug]))
    contacts = {} if push else member_contacts(client=campaign.client, member_ids=[t.member_id for t in mine])
    allowed, refusals = [], []
    for t in mine:
        consent, night = (testers.device_consents(t.push_subscription) if push
                          else testers.member_consents(contacts.get(t.member_id)))
        why = testers.ad_refusal(is_ad=campaign.is_ad, consent=consent, night_consent=night, at=now)
        (refusals if why else allowed).append(why or t)
    if not allowed:
        message = (_("지금은 야간(21시~08시)이라 야간 광고 수신에 동의한 테스트 수신처에만 광고를 보낼 수 있습니다.")
                   if "night" in refusals else
                   _("테스트 수신처가 광고 수신에 동의하지 않았습니다. 광고 수신 동의와 함께 다시 등록해 주세요."))
        raise MessagingError(message, code=MessagingErrorCode.COMPLIANCE, fields={field: message})
    testers.take_test_send_slot(client=campaign.client, user=actor)
    if push:
        fcm = fcm_client()
        try:
            results = fcm.send_batch([PushMessage(key=str(t.pk), token=t.push_subscription.token, title=title,
                                                  body=body, link=link) for t in allowed])
        finally:
            fcm.close()
        out = {"sent": sum(r.outcome == "ok" for r in results), "failed": sum(r.outcome != "ok" for r in results)}
    else:
        conn = Cafe24Connection.objects.get(client=campaign.client)
        cafe24_api(client=campaign.client).sms_send(sender_no=conn.sender_no, content=body, type_=compliance.sms_type(body),
                                                    title=title, member_ids=[t.member_id for t in allowed])
        out = {"sent": len(allowed), "failed": 0}
    out["skipped"] = len(refusals)
    audit_log(action=AuditAction.CAMPAIGN_TEST_SEND, client=campaign.client, actor=actor, target=campaign.name,
              details={"campaign_id": campaign.pk, **out})
    return out
