"""Cafe24's webhook, once its key is verified: an order placed becomes order_complete events, the
app deleted by the shop ends the connection."""
from __future__ import annotations

import uuid as uuid_mod

from django.conf import settings
from django.db import transaction
from django.utils import timezone as dj_timezone

from events.facade import latest_visitor_of_member, order_recorded, record_events
from tenants.facade import audit_log
from tenants.models import Client

from ..audit import AuditAction
from ..models import Cafe24Connection
from ..tasks import cafe24_order_record_task

# Cafe24 webhook event numbers (Cafe24 developer centre, "Webhooks").
ORDER_PLACED = 90023
APP_DELETED = 90077


def cafe24_webhook(*, payload: dict) -> str:
    """Handle one verified webhook; returns what was done (for the response and logs)."""
    event_no = int(payload.get("event_no") or 0)
    res = payload.get("resource") or {}
    mall_id = str(res.get("mall_id") or "")
    client = Client.objects.filter(mall_id=mall_id).first() if mall_id else None
    if client is None:
        return "ignored"
    if event_no == APP_DELETED:
        with transaction.atomic():
            n = Cafe24Connection.objects.filter(client=client).update(
                status=Cafe24Connection.Status.INACTIVE, access_token="", refresh_token="", script_no="",
                updated_at=dj_timezone.now())
            audit_log(action=AuditAction.CAFE24_APP_DELETED, client=client, target=mall_id,
                      details={"event_no": event_no})
        return "deactivated" if n else "ignored"
    if event_no == ORDER_PLACED:  # a server-side order record, for in-app browsers the SDK misses
        return "order" if _order_placed(client, res) else "ignored"
    return "ignored"


def _money(value) -> int:
    # Cafe24 writes amounts as decimal strings ("24680.00").
    try:
        return int(round(float(value or 0)))
    except (TypeError, ValueError):
        return 0


def order_webhook_events(*, client_id: int, resource: dict, visitor: str) -> list[dict]:
    """What webhook 90023 really knows, as order_complete events.

    Its documented body (sample in tests/fakes/cafe24.py, from the webhook reference) has no
    order lines: ``ordering_product_code`` is a comma list of product CODES, and the amounts are
    the order's: ``order_price_amount`` (the goods' value) and ``actual_payment_amount`` ("0.00"
    when paid with points). So: one event per product code, the order's value on the first one
    (sums and averages per order stay right; per-line price and quantity are unknown), and
    ``product_id`` the code Cafe24 sent rather than an invented "0".
    """
    order_id = str(resource.get("order_id") or "")
    member_id = str(resource.get("member_id") or "") or None
    codes = [c.strip() for c in str(resource.get("ordering_product_code") or "").split(",") if c.strip()]
    amount = _money(resource.get("order_price_amount"))
    events = []
    for i, code in enumerate(codes or ["unknown"]):
        events.append({
            "event_type": "order_complete", "uuid": visitor, "order_id": order_id, "login_id": member_id,
            "product_id": code, "product_quantity": 1, "amount": amount if i == 0 else 0,
            # Stable ids: a redelivered webhook is deduplicated by event_id downstream.
            "event_id": str(uuid_mod.uuid5(uuid_mod.NAMESPACE_URL, f"cafe24-order:{client_id}:{order_id}:{i}"))})
    return events


def _order_placed(client: Client, res: dict) -> bool:
    """Accept the order now, record it after a grace period.

    The SDK records the order's real lines from the order-complete page; the webhook is for
    the in-app browsers where the SDK cannot run. Both arrive within seconds, in either order:
    - SDK first: the webhook finds the order recorded and adds nothing.
    - webhook first: nothing is written yet; ``order_webhook_record`` runs after
      CAFE24_ORDER_WEBHOOK_GRACE_SECONDS and writes the webhook's record only if the SDK's lines
      still have not come, so an order is never counted twice by the two arriving close together.
    """
    order_id = str(res.get("order_id") or "")
    if not order_id:
        return False
    if order_recorded(client_id=client.pk, order_id=order_id):
        return True
    resource = {k: res.get(k) for k in ("order_id", "member_id", "ordering_product_code", "order_price_amount",
                                        "actual_payment_amount")}
    transaction.on_commit(lambda: cafe24_order_record_task.apply_async(
        args=[client.pk, resource], countdown=settings.CAFE24_ORDER_WEBHOOK_GRACE_SECONDS))
    return True


def order_webhook_record(*, client_id: int, resource: dict) -> str:
    """The deferred half of the order webhook: "sdk" when the SDK recorded the order meanwhile,
    else "recorded" (idempotent: a second run writes the same event ids)."""
    client = Client.objects.filter(pk=client_id).first()
    order_id = str(resource.get("order_id") or "")
    if client is None or not order_id:
        return "ignored"
    if order_recorded(client_id=client.pk, order_id=order_id):
        return "sdk"
    member_id = str(resource.get("member_id") or "") or None
    visitor = latest_visitor_of_member(client_id=client.pk, member_id=member_id) if member_id else None
    # Guests have no visitor id we can know: a stable one per order keeps the event countable.
    visitor = visitor or str(uuid_mod.uuid5(uuid_mod.NAMESPACE_URL, f"cafe24:{client.mall_id}:{order_id}"))
    record_events(client_id=client.pk, events=order_webhook_events(
        client_id=client.pk, resource=resource, visitor=visitor), history=True)
    return "recorded"
