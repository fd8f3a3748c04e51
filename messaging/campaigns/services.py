"""Campaign writes: create (a draft: its content checked, no channel needed), what still blocks
sending, start now / at a time / on a schedule, one recurring run, cancel. Keyword-only,
transactional, audited."""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from insights.facade import audience_get
from tenants.facade import audit_log
from tenants.models import Client
from untitle.beat import ScheduleError, cron_task_sync, validate_schedule

from .. import compliance
from ..audit import AuditAction
from ..errors import MessagingError, MessagingErrorCode
from ..models import Cafe24Connection, Campaign, CampaignVariant, Delivery
from ..sending.services import campaign_send
from ..tasks import campaign_recurring_task, campaign_send_task
from .checks import campaign_check, link_check, variants_clean
from .prepare import campaign_prepare
from ..sending.push import fcm_credentials
from .selectors import campaign_progress


def _refuse(field: str, message: str) -> MessagingError:
    return MessagingError(message, fields={field: message})


def campaign_create(*, client: Client, name: str, channel: str, variants, saved_query=None, saved_query_id=None,
                    segment_id=None, link_url: str = "", is_ad: bool = True, sender_name: str = "",
                    contact: str = "", optout_text: str = "", schedule_kind: str = "now", scheduled_at=None,
                    cron: str = "", holdout_pct: int = 10, daily_cap: int = 2, attribution_days: int = 7,
                    actor=None) -> Campaign:
    """``saved_query`` (the saved question itself) or ``saved_query_id`` or ``segment_id`` is
    the audience; it must be the client's own, and a question must find visitors (kind A)."""
    if saved_query is not None:
        saved_query_id = saved_query.pk
    name = (name or "").strip()[:120]
    if not name:
        raise _refuse("name", _("캠페인 이름을 입력해 주세요."))
    if channel not in Campaign.Channel.values:
        raise _refuse("channel", _("채널을 선택해 주세요."))
    if channel == Campaign.Channel.SIMULATED and not settings.SIMULATED_CHANNEL:
        raise _refuse("channel", _("시뮬레이션 채널은 데모에서만 쓸 수 있습니다. 웹 푸시나 문자를 골라 주세요."))
    if saved_query_id is None and segment_id is None:
        raise _refuse("audience", _("오디언스(세그먼트 또는 저장된 질문)를 선택해 주세요."))
    if saved_query_id is not None and audience_get(client=client, saved_query_id=saved_query_id) is None:
        raise _refuse("audience", _("오디언스로 쓸 수 있는 저장된 질문(대상자 찾기)이 아닙니다."))
    if segment_id is not None and audience_get(client=client, segment_id=segment_id) is None:
        raise _refuse("audience", _("세그먼트를 찾을 수 없습니다."))
    if not 0 <= int(holdout_pct) <= 50:
        raise _refuse("holdout_pct", _("대조군 비율은 0-50% 사이여야 합니다."))
    if schedule_kind == Campaign.Schedule.AT and not scheduled_at:
        raise _refuse("scheduled_at", _("예약 발송 시각을 입력해 주세요."))
    if schedule_kind == Campaign.Schedule.RECURRING:
        try:
            cron = validate_schedule(cron)
        except ScheduleError as exc:
            raise _refuse("cron", exc.message)
        if not cron:
            raise _refuse("cron", _("반복 일정(cron)을 입력해 주세요."))
    clean = variants_clean(variants)
    link_check(link_url)  # content, like the texts: refused before anything is saved
    with transaction.atomic():
        campaign = Campaign.objects.create(
            client=client, name=name, channel=channel, saved_query_id=saved_query_id, segment_id=segment_id,
            link_url=link_url, is_ad=is_ad, sender_name=sender_name.strip(), contact=contact.strip(),
            optout_text=optout_text.strip(), schedule_kind=schedule_kind, scheduled_at=scheduled_at, cron=cron,
            holdout_pct=int(holdout_pct), daily_cap=int(daily_cap), attribution_days=int(attribution_days),
            created_by=actor if getattr(actor, "is_authenticated", False) else None)
        CampaignVariant.objects.bulk_create([CampaignVariant(campaign=campaign, key=v.key, body=v.body, title=v.title)
                                             for v in clean])
        # The content is refused now; the channel may be set up later (send_blocker says how).
        _check_ad_frame(campaign, clean)
        audit_log(action=AuditAction.CAMPAIGN_CREATE, client=client, actor=actor, target=name,
                  details={"campaign_id": campaign.pk, "channel": channel})
    return campaign


def _check_ad_frame(campaign: Campaign, variants) -> None:
    if not campaign.is_ad:
        return
    kw = dict(channel=campaign.channel, sender_name=campaign.sender_name, contact=campaign.contact,
              optout=campaign.optout_text)
    for v in variants:
        problems = compliance.check_ad(compliance.compose_ad(v.body, **kw), **kw)
        if problems:
            raise MessagingError(problems[0].message, code=MessagingErrorCode.COMPLIANCE,
                                 fields={problems[0].code: problems[0].message})


@dataclass(frozen=True)
class SendBlocker:
    """Why a campaign cannot be sent yet, in the marketer's words, and the page that fixes it."""

    code: str
    message: str
    link: str
    link_label: str

    def error(self) -> MessagingError:
        return MessagingError(self.message, code=self.code, link=self.link)


def send_blocker(*, campaign: Campaign) -> SendBlocker | None:
    """What the campaign's channel still needs before "보내기" works; None when it is set up.

    Read-only and without calls to Cafe24 (the page shows it before anyone clicks); a token that
    Cafe24 refuses is found at send time and then shows here as "재연결 필요".
    """
    slug = campaign.client.slug
    if campaign.channel == Campaign.Channel.SIMULATED and not settings.SIMULATED_CHANNEL:
        return SendBlocker(MessagingErrorCode.INVALID,
                           _("시뮬레이션 채널은 데모에서만 보낼 수 있습니다. 웹 푸시나 문자로 새 캠페인을 만들어 주세요."),
                           reverse("messaging:campaign_new", kwargs={"slug": slug}), _("새 캠페인 만들기"))
    if campaign.channel == Campaign.Channel.SMS:
        cafe24 = reverse("messaging:cafe24_settings", kwargs={"slug": slug})
        conn = Cafe24Connection.objects.filter(client=campaign.client).first()
        if conn is None or conn.status == Cafe24Connection.Status.INACTIVE:
            return SendBlocker(MessagingErrorCode.CAFE24_REVOKED,
                               _("문자는 쇼핑몰의 Cafe24 계정과 발신 번호로 나갑니다. 먼저 Cafe24를 연결해 주세요. "
                                 "캠페인은 초안으로 저장되어 있으니 연결한 뒤 여기서 보내면 됩니다."),
                               cafe24, _("Cafe24 연결하기"))
        if conn.status == Cafe24Connection.Status.REVOKED:
            return SendBlocker(MessagingErrorCode.CAFE24_REVOKED,
                               _("Cafe24 연결이 끊어졌습니다. 다시 연결한 뒤 보내 주세요."), cafe24, _("Cafe24 다시 연결하기"))
        if not conn.sender_no:
            return SendBlocker(MessagingErrorCode.NO_SENDER,
                               _("Cafe24에 인증된 발신 번호가 없습니다. Cafe24 관리자에서 SMS 발신 번호를 인증한 뒤 "
                                 "Cafe24 연결 화면에서 다시 연결해 주세요."), cafe24, _("Cafe24 연결 보기"))
    if campaign.channel == Campaign.Channel.PUSH and not fcm_credentials():
        return SendBlocker(MessagingErrorCode.NO_FCM,
                           _("웹 푸시는 아직 보낼 수 없습니다. 푸시 설정에서 쇼핑몰에 알림 받기를 설치하고, "
                             "이 서비스의 웹 푸시 발송이 켜져 있는지 운영팀에 확인해 주세요. 캠페인은 초안으로 저장되어 있습니다."),
                           reverse("tenants:keys", kwargs={"slug": slug}), _("푸시 설정"))
    return None


def _check_sendable(campaign: Campaign) -> None:
    blocker = send_blocker(campaign=campaign)
    if blocker is not None:
        raise blocker.error()
    try:
        campaign_check(campaign)
    except MessagingError as exc:
        # A token Cafe24 refused just now: the connection is "재연결 필요", the fix is the same page.
        if exc.code in (MessagingErrorCode.CAFE24_REVOKED, MessagingErrorCode.NO_SENDER) and not exc.link:
            exc.link = reverse("messaging:cafe24_settings", kwargs={"slug": campaign.client.slug})
        raise


def campaign_start(*, campaign: Campaign, actor=None, enqueue: bool = True) -> dict:
    """Check, build deliveries and queue the send (the marketer's "보내기")."""
    _check_sendable(campaign)
    if campaign.schedule_kind == Campaign.Schedule.RECURRING:
        _sync_periodic(campaign)
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SCHEDULED)
        audit_log(action=AuditAction.CAMPAIGN_SCHEDULE, client=campaign.client, actor=actor, target=campaign.name,
                  details={"campaign_id": campaign.pk, "cron": campaign.cron})
        return campaign_progress(campaign=campaign)
    # A scheduled ad is judged at its send time (quiet hours, today's cap), not when it was booked.
    at = campaign.scheduled_at if campaign.schedule_kind == Campaign.Schedule.AT and campaign.scheduled_at else None
    progress = campaign_prepare(campaign=campaign, now=max(at, dj_timezone.now()) if at else None)
    with transaction.atomic():
        status = Campaign.Status.SCHEDULED if campaign.schedule_kind == Campaign.Schedule.AT else Campaign.Status.SENDING
        Campaign.objects.filter(pk=campaign.pk).update(status=status, started_at=dj_timezone.now(), error="")
        audit_log(action=AuditAction.CAMPAIGN_START, client=campaign.client, actor=actor, target=campaign.name,
                  details={"campaign_id": campaign.pk, "recipients": progress["total"]})
    campaign.refresh_from_db()
    if enqueue:
        eta = campaign.scheduled_at if campaign.schedule_kind == Campaign.Schedule.AT else None
        transaction.on_commit(lambda: campaign_send_task.apply_async(args=[campaign.pk], eta=eta))
    return progress


def campaign_run_recurring(*, campaign_id: int) -> dict:
    """One scheduled run of a recurring campaign: a fresh audience, a run key per local day."""
    campaign = Campaign.objects.select_related("client").get(pk=campaign_id)
    if campaign.status == Campaign.Status.CANCELLED:
        return campaign_progress(campaign=campaign)
    now = dj_timezone.now()
    run_key = now.astimezone(campaign.client.tzinfo).strftime("%Y%m%d")
    try:
        campaign_check(campaign)
        campaign_prepare(campaign=campaign, now=now, run_key=run_key)
    except MessagingError as exc:
        # Shown on the campaign page; the next scheduled run tries again.
        Campaign.objects.filter(pk=campaign.pk).update(error=f"{run_key}: {exc.message}"[:500])
        return campaign_progress(campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    return campaign_send(campaign_id=campaign.pk)


def _sync_periodic(campaign: Campaign) -> None:
    task = cron_task_sync(
        current=campaign.periodic_task, name=f"campaign-{campaign.pk}", task=campaign_recurring_task.name,
        cron=campaign.cron, timezone=campaign.client.timezone, args=[campaign.pk],
        description=f"{campaign.client.slug}: {campaign.name}")
    Campaign.objects.filter(pk=campaign.pk).update(periodic_task=task)


def campaign_cancel(*, campaign: Campaign, actor=None) -> None:
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CANCELLED)
        Delivery.objects.filter(campaign=campaign, status__in=[Delivery.Status.PENDING, Delivery.Status.HELD]).update(
            status=Delivery.Status.SUPPRESSED, reason="cancelled")
        if campaign.periodic_task_id:
            PeriodicTask.objects.filter(pk=campaign.periodic_task_id).update(enabled=False)
        audit_log(action=AuditAction.CAMPAIGN_CANCEL, client=campaign.client, actor=actor, target=campaign.name,
                  details={"campaign_id": campaign.pk})
