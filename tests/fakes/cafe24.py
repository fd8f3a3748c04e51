"""Fake Cafe24 Admin API for one or more malls, at ``{url}/{mall_id}/api/v2/...``.

Every shape below follows a page of the Cafe24 developer documentation, named beside it.
Admin API reference: https://developers.cafe24.com/docs/api/admin/ (anchors per endpoint).
The same shapes are in the typed client generated from those pages
(github.com/shepherd231/cafe24api-client, types/admin/endpoints/*.d.ts), where we read them.
"""
from __future__ import annotations

import base64
import itertools
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .server import FakeServer

KST = ZoneInfo("Asia/Seoul")
DOCS = "https://developers.cafe24.com/docs/api/admin/"

# Call limits (https://developers.cafe24.com/docs/api/admin/#api-call-limit): a leaky bucket per
# mall that drains 2 calls a second; most endpoints hold 40, script tags 10, sending SMS 1.
DRAIN_PER_SECOND = 2.0
BUCKET_SIZES = {"default": 40, "scripttags": 10, "sms": 1}

# Webhook 90023 "order placed", the sample body of the webhook reference
# (https://developers.cafe24.com/docs/ko/api/webhook/ , event 90023; also
# shepherd231/cafe24api-client packages/cafe24-webhook-utils/src/event/on-order-received.ts).
# No order lines: only ordering_product_code (product CODES, comma separated), amounts as
# strings, and actual_payment_amount "0.00" because this order was paid with points (mileage).
ORDER_PLACED_SAMPLE = {
    "event_no": 90023,
    "resource": {
        "mall_id": "cafe24bestshop", "event_shop_no": "1", "event_code": "create_order",
        "order_id": "20200717-0029236", "payment_gateway_name": "", "currency": "KRW",
        "order_date": "2020-07-17T15:28:14+09:00", "order_place_name": "naver pay", "member_id": "gdhong",
        "member_authentication": None, "buyer_name": "Jessica Hong", "buyer_email": "gdhong@cafe24corp.com",
        "buyer_phone": "02-0000-0000", "buyer_cellphone": "010-2424-2424", "group_no_when_ordering": "",
        "first_order": None, "order_from_mobile": "F", "paid": "T", "payment_date": "2020-07-17T15:24:07+09:00",
        "billing_name": "Jessica Hong", "bank_code": None, "payment_method": "mileage", "easypay_name": "",
        "use_escrow": "F", "bank_account_no": "", "order_price_amount": "24680.00",
        "membership_discount_amount": "0.00", "actual_payment_amount": "0.00", "mileage_spent_amount": "0.00",
        "shipping_fee": "0.00", "shipping_type": "A", "shipping_status": "F", "wished_delivery_date": "0000-00-00",
        "wished_delivery_time": None, "store_pickup": "F", "shipping_message": "", "order_place_id": "NCHECKOUT",
        "ordering_product_code": "P00000BO,P00000DQ",
        "ordering_product_name": "Sample Product Name 1,Sample Product Name 2",
    },
}

# Senders (DOCS#retrieve-a-list-of-sms-senders): auth_status 00 deleted, 10 registered,
# 20 under review, 30 verified, 40 rejected; only 30 sends. The documented example lists an
# unverified sender too; ours lists it FIRST so code that takes the first sender is caught.
DEFAULT_SENDERS = [{"sender_no": 3, "sender": "010-1234-5678", "auth_status": "20"},
                   {"sender_no": 2, "sender": "02-000-0000", "auth_status": "30"}]


def _error(status: int, message: str) -> dict:
    # Error body of every Admin API answer (DOCS#api-status-code / "에러 응답 예제").
    return {"error": {"code": status, "message": message, "more_info": {}}}


class FakeCafe24(FakeServer):
    def __init__(self, *, client_id: str = "cid", client_secret: str = "csecret", customers=None,
                 senders=None, throttle_first: int = 0, refresh_delay: float = 0.0):
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.lock = threading.Lock()
        self.seq = itertools.count(1)
        self.access: dict[str, datetime] = {}   # token -> expires_at (KST, naive)
        self.refresh: dict[str, datetime] = {}  # token -> expires_at (KST, naive)
        self.codes: set[str] = {"good-code"}
        self.refresh_calls = 0
        self.refresh_delay = refresh_delay
        self.customers = {c["member_id"]: c for c in (customers or [])}
        self.senders = senders if senders is not None else [dict(s) for s in DEFAULT_SENDERS]
        self.scripttags: dict[str, dict] = {}
        self.sms_calls: list[dict] = []
        self.sms_504_after_queue = 0   # answer 504 although the message WAS queued (documented 504)
        self.throttle_left = throttle_first
        self.calls: list[tuple[str, str]] = []
        self.queries: list[dict] = []
        self.revoked = False
        self.clock = timedelta(0)      # tests move Cafe24's clock forward (token expiry)
        self.buckets: dict[tuple[str, str], tuple[float, float]] = {}  # (mall, group) -> (level, at)

    # --- clock and tokens ---------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(KST).replace(tzinfo=None) + self.clock

    def advance(self, **delta) -> None:
        with self.lock:
            self.clock += timedelta(**delta)

    def expire_all_access(self):
        with self.lock:
            self.access.clear()

    def _tokens(self, mall_id: str) -> dict:
        # Token answer (DOCS#get-access-token / #refresh-access-token): local Korean time without a
        # zone; the access token lives 2 hours, the refresh token 14 days and rotates on refresh.
        n = next(self.seq)
        a, r = f"at-{n}", f"rt-{n}"
        now = self.now()
        self.access[a] = now + timedelta(hours=2)
        self.refresh[r] = now + timedelta(days=14)
        return {"access_token": a, "expires_at": self.access[a].isoformat(timespec="milliseconds"),
                "refresh_token": r, "refresh_token_expires_at": self.refresh[r].isoformat(timespec="milliseconds"),
                "client_id": self.client_id, "mall_id": mall_id, "user_id": "admin",
                "scopes": ["mall.read_application", "mall.write_application", "mall.read_customer",
                           "mall.read_privacy", "mall.write_notification", "mall.read_notification"],
                "issued_at": now.isoformat(timespec="milliseconds"), "shop_no": "1", "token_type": "bearer"}

    # --- call limit -----------------------------------------------------------------------------
    @staticmethod
    def group_of(method: str, path: str) -> str:
        if path.startswith("/api/v2/admin/scripttags"):
            return "scripttags"
        if path == "/api/v2/admin/sms" and method == "POST":
            return "sms"
        return "default"

    def _take(self, mall_id: str, group: str) -> tuple[bool, dict]:
        """One call into the mall's bucket; the usage headers every answer carries
        (DOCS#api-call-limit: X-Api-Call-Limit used/size, X-Cafe24-Call-Usage and
        X-Cafe24-Time-Usage in percent, X-Cafe24-Call-Remain seconds to wait once full)."""
        size = BUCKET_SIZES[group]
        t = time.monotonic()
        level, at = self.buckets.get((mall_id, group), (0.0, t))
        level = max(0.0, level - (t - at) * DRAIN_PER_SECOND)
        if level + 1 > size + 1e-9:
            self.buckets[(mall_id, group)] = (level, t)
            remain = (level + 1 - size) / DRAIN_PER_SECOND
            return False, {"X-Api-Call-Limit": f"{size}/{size}", "X-Cafe24-Call-Usage": "100",
                           "X-Cafe24-Time-Usage": "100", "X-Cafe24-Call-Remain": f"{remain:.2f}"}
        level += 1
        self.buckets[(mall_id, group)] = (level, t)
        used = min(size, int(round(level)) or 1)
        return True, {"X-Api-Call-Limit": f"{used}/{size}", "X-Cafe24-Call-Usage": str(int(100 * level / size)),
                      "X-Cafe24-Time-Usage": "1"}

    # --- requests -------------------------------------------------------------------------------
    def handle(self, req):
        parts = req.path.strip("/").split("/", 1)
        mall_id, path = parts[0], "/" + (parts[1] if len(parts) > 1 else "")
        self.calls.append((req.method, path))
        self.queries.append(dict(req.query))
        if path == "/api/v2/oauth/token":
            return self._token(req, mall_id)
        if not path.startswith("/api/v2/admin/"):
            return 404, {}, _error(404, "not found")
        token = (req.headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.lock:
            expires = self.access.get(token)
            if expires is None or expires <= self.now():
                return 401, {}, _error(401, "Invalid access_token")
        if req.headers.get("X-Cafe24-Api-Version") is None:
            return 400, {}, _error(400, "version header required")
        with self.lock:
            if self.throttle_left > 0:
                self.throttle_left -= 1
                return 429, {"X-Api-Call-Limit": "40/40", "X-Cafe24-Call-Usage": "100",
                             "X-Cafe24-Time-Usage": "100", "X-Cafe24-Call-Remain": "0.05"}, \
                    _error(429, "Too Many Requests")
            ok, headers = self._take(mall_id, self.group_of(req.method, path))
        if not ok:
            # Over the limit (DOCS#api-call-limit): 429 until the bucket drains.
            return 429, headers, _error(429, "Too Many Requests")
        return self._admin(req, path, headers)

    def _token(self, req, mall_id):
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if req.headers.get("Authorization") != expected:
            return 401, {}, {"error": "invalid_client", "error_description": "bad client credentials"}
        form = req.form()
        if form.get("grant_type") == "authorization_code":
            with self.lock:
                if form.get("code") not in self.codes:
                    return 400, {}, {"error": "invalid_grant"}
                self.codes.discard(form["code"])
                return 200, {}, self._tokens(mall_id)
        if form.get("grant_type") == "refresh_token":
            if self.refresh_delay:
                time.sleep(self.refresh_delay)  # widens the race window for the concurrency test
            with self.lock:
                self.refresh_calls += 1
                expires = self.refresh.get(form.get("refresh_token", ""))
                # A spent, unknown or 14-day-old refresh token is refused (DOCS#refresh-access-token).
                if self.revoked or expires is None or expires <= self.now():
                    return 400, {}, {"error": "invalid_grant", "error_description": "refresh token is invalid"}
                del self.refresh[form["refresh_token"]]  # rotation: the old one is spent
                return 200, {}, self._tokens(mall_id)
        return 400, {}, {"error": "unsupported_grant_type"}

    def _admin(self, req, path, headers):
        if path == "/api/v2/admin/scripttags":
            if req.method == "GET":
                # DOCS#retrieve-a-list-of-script-tags -> {"scripttags": [...]}
                return 200, headers, {"scripttags": list(self.scripttags.values())}
            # DOCS#create-a-script-tag -> 201 {"scripttag": {script_no, client_id, src, ...}}
            body = req.json()["request"]
            no = str(1509432821494844 + next(self.seq))
            self.scripttags[no] = self._tag(no, body)
            return 201, headers, {"scripttag": self.scripttags[no]}
        if path.startswith("/api/v2/admin/scripttags/"):
            no = path.rsplit("/", 1)[1]
            if no not in self.scripttags:
                return 404, headers, _error(404, "No script tag found")
            if req.method == "DELETE":
                # DOCS#delete-a-script-tag -> {"scripttag": {"script_no"}}
                self.scripttags.pop(no)
                return 200, headers, {"scripttag": {"script_no": no}}
            if req.method == "PUT":
                # DOCS#update-a-script-tag: the fields sent replace the stored ones.
                body = req.json().get("request", {})
                tag = self.scripttags[no]
                tag.update({k: v for k, v in body.items() if k in ("src", "display_location", "exclude_path",
                                                                 "skin_no", "integrity")})
                tag["updated_date"] = self.now().isoformat(timespec="seconds") + "+09:00"
                return 200, headers, {"scripttag": tag}
        if path == "/api/v2/admin/customers":
            # DOCS#retrieve-a-list-of-customers: member_id takes a comma list; sms / news_mail
            # consent flags, no phone number.
            ids = [m for m in req.query.get("member_id", "").split(",") if m]
            if not ids and not req.query.get("cellphone"):
                return 422, headers, _error(422, "member_id or cellphone is required")
            return 200, headers, {"customers": [
                {"shop_no": 1, "member_id": m, "group_no": 1, "member_authentication": "T", "use_blacklist": "F",
                 "blacklist_type": "", "authentication_method": "i", "sms": self.customers[m].get("sms", "F"),
                 "news_mail": self.customers[m].get("news_mail", "F"), "solar_calendar": "T",
                 "total_points": "0.00", "available_points": "0.00", "used_points": "0.00",
                 "created_date": "2019-04-20T11:19:27+09:00", "fixed_group": "F"}
                for m in ids if m in self.customers]}
        if path == "/api/v2/admin/customersprivacy":
            # DOCS#retrieve-a-list-of-customer-information: member_id is ONE id (max 20 chars);
            # a comma list is refused. The row has name / cellphone; no sms flag in our fake so
            # nobody reads consent from here.
            member = req.query.get("member_id", "")
            if "," in member or len(member) > 20:
                return 422, headers, _error(422, "member_id: invalid value")
            rows = [self.customers[member]] if member in self.customers else []
            return 200, headers, {"customersprivacy": [
                {"shop_no": 1, "member_id": r["member_id"], "name": r.get("name", ""),
                 "cellphone": r.get("cellphone", ""), "email": r.get("email", "")} for r in rows]}
        if path == "/api/v2/admin/sms/senders":
            # DOCS#retrieve-a-list-of-sms-senders: limit 1-100 (default 10), offset <= 8000.
            try:
                limit, offset = int(req.query.get("limit", 10)), int(req.query.get("offset", 0))
            except ValueError:
                return 422, headers, _error(422, "limit/offset must be numbers")
            if not 1 <= limit <= 100 or not 0 <= offset <= 8000:
                return 422, headers, _error(422, "limit: 1~100, offset: 0~8000")
            return 200, headers, {"senders": self.senders[offset:offset + limit]}
        if path == "/api/v2/admin/sms" and req.method == "POST":
            # DOCS#send-a-sms: member_id <= 100, answers {"sms": {"queue_code"}}.
            body = req.json()["request"]
            if len(body.get("member_id", [])) > 100 or body.get("exclude_unsubscriber") != "T":
                return 422, headers, _error(422, "invalid request")
            sender = next((s for s in self.senders if s["sender_no"] == body.get("sender_no")), None)
            if sender is None or sender["auth_status"] != "30":
                return 422, headers, _error(422, "sender_no: not a verified sender")
            self.sms_calls.append(body)
            if self.sms_504_after_queue > 0:
                # Queued, then the gateway timed out (DOCS#api-status-code: 504 "잠시 후 다시 시도").
                self.sms_504_after_queue -= 1
                return 504, headers, _error(504, "Gateway Timeout")
            return 201, headers, {"sms": {"queue_code": f"Q{len(self.sms_calls)}"}}
        return 404, headers, _error(404, "not found")

    def _tag(self, no: str, body: dict) -> dict:
        now = self.now().isoformat(timespec="seconds") + "+09:00"
        return {"shop_no": 1, "script_no": no, "client_id": self.client_id, "src": body.get("src", ""),
                "display_location": body.get("display_location", []), "exclude_path": body.get("exclude_path", []),
                "skin_no": body.get("skin_no", []), "integrity": body.get("integrity", ""),
                "created_date": now, "updated_date": now}
