"""Campaign writes: create (checked before anything is saved), start now / at a time / on a
schedule, one recurring run, cancel. Keyword-only, transactional, audited."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from insights.facade import audience_get
from tenants.facade import audit_log
from tenants.models import Client
from untitle.beat import ScheduleError, cron_task_sync, validate_schedule

from ..audit import AuditAction
from ..errors import MessagingError
from ..models import Campaign, CampaignVariant, Delivery
from ..sending.services import campaign_send
from ..tasks import campaign_recurring_task, campaign_send_task
from .checks import campaign_check, variants_clean
from .prepare import campaign_prepare
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
    with transaction.atomic():
        campaign = Campaign.objects.create(
            client=client, name=name, channel=channel, saved_query_id=saved_query_id, segment_id=segment_id,
            link_url=link_url, is_ad=is_ad, sender_name=sender_name.strip(), contact=contact.strip(),
            optout_text=optout_text.strip(), schedule_kind=schedule_kind, scheduled_at=scheduled_at, cron=cron,
            holdout_pct=int(holdout_pct), daily_cap=int(daily_cap), attribution_days=int(attribution_days),
            created_by=actor if getattr(actor, "is_authenticated", False) else None)
        CampaignVariant.objects.bulk_create([CampaignVariant(campaign=campaign, key=v.key, body=v.body, title=v.title)
                                             for v in clean])
        campaign_check(campaign)  # refuse before saving anything that could never be sent
        audit_log(action=AuditAction.CAMPAIGN_CREATE, client=client, actor=actor, target=name,
                  details={"campaign_id": campaign.pk, "channel": channel})
    return campaign


def campaign_start(*, campaign: Campaign, actor=None, enqueue: bool = True) -> dict:
    """Check, build deliveries and queue the send (the marketer's "보내기")."""
    campaign_check(campaign)
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
