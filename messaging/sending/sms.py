"""SMS / LMS through the Cafe24 Admin API, in the shop's own name and sender number."""
from __future__ import annotations

from django.utils import timezone as dj_timezone

from .. import compliance, templates as msg_templates
from ..cafe24.client import Cafe24Error, Cafe24OutcomeUnknown, Cafe24Revoked
from ..connection.services import cafe24_api
from ..models import Cafe24Connection, Campaign, Delivery, MemberContact
from .contacts import member_contacts
from .deliveries import store_outcomes
from .render import render_message

# Cafe24's SMS endpoint takes at most this many member ids per call.
SMS_RECIPIENTS_PER_CALL = 100


class SmsSender:
    """Cafe24 sends one text to up to 100 members a call: group the wave by rendered text.

    A call is made once. When Cafe24's answer is lost or is a 5xx (a 504 can come after the
    message was queued) its members are marked failed / "outcome_unknown" and never sent again:
    the SMS API documents no way to ask what a queue did, and two texts are worse than none.
    """

    def __init__(self, campaign: Campaign, variants: dict):
        self.campaign, self.variants = campaign, variants
        self.api = cafe24_api(client=campaign.client)
        self.conn = Cafe24Connection.objects.get(client=campaign.client)

    def close(self) -> None:
        self.api.http.close()

    def send(self, rows: list[Delivery]) -> None:
        groups: dict[tuple, list[Delivery]] = {}
        member_ids = [d.member_id for d in rows]
        if any("name" in msg_templates.variables_in(v.body) for v in self.variants.values()):
            contacts = member_contacts(client=self.campaign.client, member_ids=member_ids, with_names=True)
        else:
            contacts = {c.member_id: c for c in MemberContact.objects.filter(
                client=self.campaign.client, member_id__in=member_ids)}
        for d in rows:
            c = contacts.get(d.member_id)
            # The tracking id is per variant here: one text per call cannot carry 100 ids.
            d.tracking_id = f"c{self.campaign.pk}{d.variant}"
            title, body, _link = render_message(campaign=self.campaign, variant=self.variants[d.variant], delivery=d,
                                                values={"name": c.name if c else ""})
            groups.setdefault((title, body), []).append(d)
        now = dj_timezone.now()
        try:
            for (title, body), ds in groups.items():
                try:
                    type_ = compliance.sms_type(body)
                except ValueError:
                    for d in ds:
                        d.status, d.reason = Delivery.Status.FAILED, "too_long"
                    continue
                for i in range(0, len(ds), SMS_RECIPIENTS_PER_CALL):
                    part = ds[i:i + SMS_RECIPIENTS_PER_CALL]
                    try:
                        res = self.api.sms_send(sender_no=self.conn.sender_no, content=body, type_=type_, title=title,
                                                member_ids=[d.member_id for d in part])
                    except Cafe24Revoked:
                        for d in part:
                            d.status, d.reason = Delivery.Status.PENDING, ""
                        raise
                    except Cafe24OutcomeUnknown as exc:
                        for d in part:
                            d.status, d.reason = Delivery.Status.FAILED, Cafe24OutcomeUnknown.code
                            d.provider_response = {"status": exc.status, "outcome": "unknown", "error": str(exc)[:300]}
                        continue
                    except Cafe24Error as exc:
                        for d in part:
                            d.status, d.reason = Delivery.Status.FAILED, exc.code
                            d.provider_response = {"status": exc.status, "error": str(exc)[:300]}
                        continue
                    for d in part:
                        d.status, d.sent_at, d.provider_response = Delivery.Status.SENT, now, {"queue_code": res.get("queue_code")}
        finally:
            store_outcomes([d for d in rows if d.status != Delivery.Status.SENDING])
