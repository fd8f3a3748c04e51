"""The demo's simulated channel, "시뮬레이션 (데모 전용)": a new user takes a campaign all the way
to its results without a Cafe24 shop or FCM.

Nothing leaves the server. Each claimed delivery is recorded as sent, and the demo's shoppers
answer the way a small shop's audience plausibly does, written to the event store as the SDK
would have recorded it (``events.facade.record_events``):

- ``CLICK_RATE`` (5 %) of recipients click: a ``message_click`` with the delivery's own
  ``tracking_id`` (what the storefront SDK records from the link's ``untitle_tid``);
- ``ORDER_AFTER_CLICK`` (25 %) of those who click then order (~1.25 % of recipients);
- everyone in the audience, holdout included, orders "anyway" at ``BASE_ORDER_RATE`` (2 %),
  the base rate of a shop's regulars over an attribution week. The holdout gets no message and
  no click, only that base rate, so the results page shows a lift of about +1 %p.

An order is one ``order_complete`` line (one product, quantity 1-2, a fashion-shop price).
Every draw is a hash of (seed, campaign, visitor, what), so a campaign's responses are the same
on every run and every machine, and a retried task stores nothing twice (the event ids and times
are derived from the delivery too). A week of responses is compressed into the minutes after the
send (all within 4 minutes: the collector's rules refuse events more than 5 minutes ahead), so
the results page fills at once.

It exists only when ``settings.SIMULATED_CHANNEL`` is on, which only an embedded run can be.
"""
from __future__ import annotations

import hashlib
import logging
import uuid as uuid_mod
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from typing import Iterable

from django.conf import settings
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from events.catalog import Code
from events.facade import record_events

from ..errors import MessagingError
from ..models import Campaign, Delivery
from .deliveries import store_outcomes

log = logging.getLogger(__name__)

SEED = 1
CLICK_RATE = 0.05
ORDER_AFTER_CLICK = 0.25
BASE_ORDER_RATE = 0.02
# Typical prices of the demo's fashion shop (KRW); the products are the generator's 1-200.
PRICES = (19_000, 29_000, 39_000, 49_000, 59_000, 79_000, 89_000)
PRODUCTS = 200
# Event ids derived from (campaign, visitor, response): a re-run stores the same ids, deduplicated.
_EVENT_IDS = uuid_mod.UUID("6f1c2a52-3d5e-4a8e-9b1f-5e1d0c7a9b31")


@dataclass(frozen=True)
class Response:
    """One thing a demo shopper did after a campaign, ``delay_s`` seconds after it reached them."""

    uuid: str
    kind: str  # "click" or "order"
    delay_s: int
    tracking_id: str = ""
    product_id: str = ""
    quantity: int = 0
    price: int = 0


def _unit(seed: int, campaign_id: int, visitor: str, what: str) -> float:
    digest = hashlib.blake2b(f"{seed}:{campaign_id}:{visitor}:{what}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def shopper_responses(*, campaign_id: int, people: Iterable[tuple[str, str, bool]],
                      seed: int = SEED) -> list[Response]:
    """What each of ``people`` = (visitor uuid, tracking id, received the message) does. Pure."""
    out: list[Response] = []
    for visitor, tid, received in people:
        def u(what: str) -> float:
            return _unit(seed, campaign_id, visitor, what)

        def order(delay: int) -> Response:
            return Response(visitor, "order", delay, product_id=str(1 + int(u("product") * PRODUCTS)),
                            quantity=1 + int(u("qty") < 0.2), price=PRICES[int(u("price") * len(PRICES))])

        ordered = False
        if received and u("click") < CLICK_RATE:
            click_at = 5 + int(u("click_at") * 115)
            out.append(Response(visitor, "click", click_at, tracking_id=tid))
            if u("order_after_click") < ORDER_AFTER_CLICK:
                out.append(order(click_at + 20 + int(u("order_at") * 100)))
                ordered = True
        if not ordered and u("base_order") < BASE_ORDER_RATE:
            out.append(order(10 + int(u("base_at") * 200)))
    return out


def _events(campaign: Campaign, responses: list[Response], at: dict[str, datetime],
            members: dict[str, str]) -> list[dict]:
    events = []
    for r in responses:
        ts = (at[r.uuid] + timedelta(seconds=r.delay_s)).astimezone(dt_timezone.utc)
        base = {"event_id": str(uuid_mod.uuid5(_EVENT_IDS, f"{campaign.pk}:{r.uuid}:{r.kind}")), "uuid": r.uuid,
                "created_at": ts.isoformat().replace("+00:00", "Z")}
        if members.get(r.uuid):
            base["login_id"] = members[r.uuid]
        if r.kind == "click":
            events.append({**base, "event_type": int(Code.MESSAGE_CLICK), "tracking_id": r.tracking_id})
        else:
            events.append({**base, "event_type": int(Code.ORDER_COMPLETE),
                           "order_id": f"SIM{campaign.pk}-{r.uuid[:8]}", "product_id": r.product_id,
                           "product_quantity": r.quantity, "price": r.price, "amount": r.price * r.quantity})
    return events


def _record(campaign: Campaign, rows: list[tuple[str, str, str, bool, datetime]]) -> None:
    """rows: (uuid, member id, tracking id, received, when it reached them)."""
    responses = shopper_responses(campaign_id=campaign.pk, people=[(u, t, r) for u, _m, t, r, _w in rows])
    if not responses:
        return
    at = {u: w for u, _m, _t, _r, w in rows}
    members = {u: m for u, m, _t, _r, _w in rows if m}
    try:
        record_events(client_id=campaign.client_id, events=_events(campaign, responses, at, members))
    except Exception:
        # The deliveries are sent either way; the demo's results just stay empty.
        log.exception("simulated responses of campaign %s could not be stored", campaign.pk)


class SimulatedSender:
    """The send loop's sender for ``Campaign.Channel.SIMULATED`` (same interface as PushSender)."""

    def __init__(self, campaign: Campaign, variants: dict):
        if not settings.SIMULATED_CHANNEL:
            raise MessagingError(_("시뮬레이션 채널은 데모에서만 쓸 수 있습니다. 웹 푸시나 문자로 새 캠페인을 만들어 주세요."))
        self.campaign, self.variants = campaign, variants
        self._answer_holdout()

    def _answer_holdout(self) -> None:
        # The holdout's base-rate orders, stamped from the campaign's start: the same on every run.
        start = self.campaign.started_at or self.campaign.created_at
        rows = [(str(u), m or "", "", False, start) for u, m in Delivery.objects.filter(
            campaign=self.campaign, status=Delivery.Status.HOLDOUT, uuid__isnull=False).values_list("uuid", "member_id")]
        _record(self.campaign, rows)

    def close(self) -> None:
        pass

    def send(self, rows: list[Delivery]) -> None:
        now = dj_timezone.now()
        for d in rows:
            d.status, d.sent_at, d.reason, d.provider_response = Delivery.Status.SENT, now, "", {"simulated": True}
        store_outcomes(rows)
        _record(self.campaign, [(str(d.uuid), d.member_id, d.tracking_id, True, now) for d in rows if d.uuid])
