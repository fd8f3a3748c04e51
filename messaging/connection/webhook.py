"""Cafe24's webhook, once its key is verified: an order placed becomes order_complete events, the
app deleted by the shop ends the connection."""
from __future__ import annotations

import uuid as uuid_mod

from django.db import transaction
from django.utils import timezone as dj_timezone

from events.facade import latest_visitor_of_member, order_recorded, record_events
from tenants.facade import audit_log
from tenants.models import Client

from ..audit import AuditAction
from ..models import Cafe24Connection

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
    if event_no == ORDER_PLACED:  # a server-side order_complete, for in-app browsers the SDK misses
        return "order" if _record_order(client, res) else "ignored"
    return "ignored"


def _record_order(client: Client, res: dict) -> bool:
    """An order_complete per order line, unless the SDK already recorded this order (it sees
    the order page in most browsers; the webhook covers in-app browsers where it cannot)."""
    order_id = str(res.get("order_id") or "")
    member_id = str(res.get("member_id") or "") or None
    if not order_id:
        return False
    if order_recorded(client_id=client.pk, order_id=order_id):
        return True
    visitor = latest_visitor_of_member(client_id=client.pk, member_id=member_id) if member_id else None
    # Guests have no visitor id we can know: a stable one per order keeps the event countable.
    visitor = visitor or str(uuid_mod.uuid5(uuid_mod.NAMESPACE_URL, f"cafe24:{client.mall_id}:{order_id}"))
    items = res.get("items") or res.get("order_items") or []
    if not items:
        items = [{"product_no": "0", "quantity": 1,
                  "payment_amount": res.get("payment_amount") or res.get("actual_payment_amount") or 0}]
    events = []
    for i, item in enumerate(items):
        qty = int(item.get("quantity") or 1)
        amount = int(float(item.get("payment_amount") or item.get("product_price") or 0) *
                     (1 if item.get("payment_amount") else qty))
        events.append({
            "event_type": "order_complete", "uuid": visitor, "order_id": order_id, "login_id": member_id,
            "product_id": str(item.get("product_no") or "0"), "product_quantity": qty, "amount": amount,
            # Stable ids: a redelivered webhook is deduplicated by event_id downstream.
            "event_id": str(uuid_mod.uuid5(uuid_mod.NAMESPACE_URL, f"cafe24-order:{client.pk}:{order_id}:{i}"))})
    record_events(client_id=client.pk, events=events, history=True)
    return True
