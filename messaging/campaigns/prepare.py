"""A campaign's audience turned into Delivery rows: the holdout bucket, the variant, and whether
each recipient may get it now (consent, quiet hours, the daily frequency cap)."""
from __future__ import annotations

import zlib
from datetime import datetime

from django.db.models import Count
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.models import Client

from .. import compliance
from ..errors import MessagingError, MessagingErrorCode
from ..models import Campaign, Delivery, PushSubscription, new_tracking_id
from ..sending.contacts import member_contacts
from .audience import audience_visitors
from .selectors import campaign_progress


def holdout_bucket(campaign_id: int, key: str) -> int:
    # Stable 0-9999 per (campaign, visitor): a re-run assigns everyone the same group again.
    return zlib.crc32(f"{campaign_id}:{key}".encode()) % 10_000


def sent_today(client: Client, channel: str, now: datetime) -> dict[str, int]:
    """Per member/visitor: campaign messages already sent since Korean midnight (frequency cap)."""
    start = datetime.combine(now.astimezone(compliance.KST).date(), datetime.min.time(), tzinfo=compliance.KST)
    qs = (Delivery.objects.filter(client=client, status=Delivery.Status.SENT, sent_at__gte=start,
                                  campaign__channel=channel)
          .values("uuid", "member_id").annotate(n=Count("id")))
    out: dict[str, int] = {}
    for row in qs:
        key = row["member_id"] if channel == "sms" else str(row["uuid"])
        out[key] = out.get(key, 0) + row["n"]
    return out


def campaign_prepare(*, campaign: Campaign, recipients: list[tuple[str, str]] | None = None, now=None,
                     run_key: str = "1") -> dict:
    """Turn the audience into Delivery rows (send / held / suppressed / holdout). Idempotent."""
    now = now or dj_timezone.now()
    client = campaign.client
    if recipients is None:
        recipients = audience_visitors(campaign=campaign)
    if not recipients:
        raise MessagingError(_("오디언스가 비어 있습니다. 대상자가 있는 세그먼트나 질문을 골라 주세요."),
                             code=MessagingErrorCode.EMPTY_AUDIENCE)
    variants = [v.key for v in campaign.variants.all()]
    already = sent_today(client, campaign.channel, now)
    rows: list[Delivery] = []
    if campaign.channel == Campaign.Channel.PUSH:
        subs: dict[str, list[PushSubscription]] = {}
        uuids = [u for u, _m in recipients]
        for i in range(0, len(uuids), 5000):
            for s in PushSubscription.objects.filter(client=client, is_active=True, uuid__in=uuids[i:i + 5000]) \
                    .only("id", "uuid", "ad_consent", "night_consent"):
                subs.setdefault(str(s.uuid), []).append(s)
        contacts = {}
    elif campaign.channel == Campaign.Channel.SIMULATED:
        subs, contacts = {}, {}
    else:
        subs = {}
        contacts = member_contacts(client=client, member_ids=[m for _u, m in recipients if m])
    for visitor, member in recipients:
        b = holdout_bucket(campaign.pk, visitor)
        variant = "holdout" if b < campaign.holdout_pct * 100 else variants[b % len(variants)]
        base = dict(client=client, campaign=campaign, uuid=visitor, member_id=member or "",
                    recipient_key=f"{run_key}:{visitor}", variant=variant, tracking_id=new_tracking_id())
        if campaign.channel == Campaign.Channel.PUSH:
            visitor_subs = subs.get(visitor) or []
            consent = any(s.ad_consent for s in visitor_subs)
            night = any(s.night_consent for s in visitor_subs)
            sub = next((s for s in visitor_subs if s.ad_consent or not campaign.is_ad), visitor_subs[0] if visitor_subs else None)
            base["push_subscription"] = sub
            cap_key, reachable = visitor, bool(visitor_subs)
        elif campaign.channel == Campaign.Channel.SIMULATED:
            # Demo shoppers consented to ads at any hour, so the demo can be tried whenever it is
            # opened; quiet hours and consent are exercised by the real channels.
            consent = night = reachable = True
            cap_key = visitor
        else:
            c = contacts.get(member) if member else None
            consent, night = bool(c and c.sms_consent), bool(c and c.night_consent)
            cap_key, reachable = member, bool(c)
        if variant == "holdout":
            rows.append(Delivery(**base, status=Delivery.Status.HOLDOUT))
            continue
        if not reachable:
            rows.append(Delivery(**base, status=Delivery.Status.SUPPRESSED,
                                 reason="no_subscription" if campaign.channel == "push" else "not_member"))
            continue
        fate, when = compliance.may_receive(is_ad=campaign.is_ad, channel=campaign.channel, consent=consent,
                                            night_consent=night, at=now, sent_today=already.get(cap_key, 0),
                                            daily_cap=campaign.daily_cap)
        if fate == "send":
            rows.append(Delivery(**base, status=Delivery.Status.PENDING, not_before=now))
        elif fate == "hold":
            rows.append(Delivery(**base, status=Delivery.Status.HELD, not_before=when, reason="quiet_hours"))
        else:
            rows.append(Delivery(**base, status=Delivery.Status.SUPPRESSED, reason=fate.split(":", 1)[1]))
    Delivery.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return campaign_progress(campaign=campaign)
