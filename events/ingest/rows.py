"""One event's validation and normalization, shared by the collector and importers.

Pure Python (no Django import) so the collector's hot path stays cheap and the module is tested
without a database; the phone-hash key is derived from SECRET_KEY, which events' AppConfig hands
in at start-up (``use_secret_key``), or is passed in.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
import time
import uuid as uuidlib
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote_plus

from events import catalog

# The event table's columns, in table order (``to_row`` lists and store.insert_events take it).
COLUMNS = catalog.COLUMNS

MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)
MAX_STR = 512
MAX_URL = 2048

_STR_FIELDS = {
    **{f: MAX_STR for f in (
        "order_id", "tracking_id", "product_id", "product_option_id1", "product_option_id2",
        "keyword", "sort_by", "board_id", "article_id", "login_id", "category_id",
        "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")},
    "page_url": MAX_URL, "referrer": MAX_URL, "device_type": 32,
}
_INT_FIELDS = {
    "product_quantity": 255, "page": 255, "price": 4_294_967_295, "amount": 4_294_967_295,
    "scroll_bucket": 10,
}
_UUID_FIELDS = ("uuid", "session_id", "event_id")
# Accepted on input but not columns as such.
_OTHER_FIELDS = {"event_type", "created_at", "client_id", "phone_number"}
KNOWN_FIELDS = frozenset(_STR_FIELDS) | frozenset(_INT_FIELDS) | frozenset(_UUID_FIELDS) | _OTHER_FIELDS

_DIGITS = re.compile(r"\D+")


# Personal data in URLs (DESIGN.md §4: never a raw phone number in ClickHouse). Shops put a
# shopper's mobile number or e-mail into query strings (join forms, order lookups, mail links);
# the value is replaced and the parameter name kept, so "which step of the join form" stays
# answerable. Only the query and fragment: paths are the shop's own page names.
_URL_FIELDS = frozenset(("page_url", "referrer"))
# Cheap pre-check on the raw text; only a hit pays for splitting and decoding. Every mobile
# number holds 1 then one of 0/1/6/7/8/9 (010, 011, 016-019): a pattern with a literal first
# character is a fast scan in `re`, where an alternation is ~15x slower (measured).
_MOBILE_HINT = re.compile(r"1[016789]")
# Korean mobile numbers: 010-1234-5678, 01012345678, 010.1234.5678, +82 10 1234 5678, 82-10-...
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?82[\s.-]?0?|0)1[016789][\s.-]?\d{3,4}[\s.-]?\d{4}(?!\d)")
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
REDACTED = "redacted"


def _suspect(text: str, start: int) -> bool:
    return text.find("@", start) >= 0 or text.find("%40", start) >= 0 or _MOBILE_HINT.search(text, start) is not None


def _scrub_part(part: str) -> str:
    """One query string or fragment: each ``name=value`` whose value holds a phone or e-mail."""
    pieces = part.split("&")
    changed = False
    for i, piece in enumerate(pieces):
        name, eq, value = piece.partition("=") if "=" in piece else ("", "", piece)
        if not _suspect(value, 0):
            continue
        text = unquote_plus(value) if "%" in value or "+" in value else value
        if _PHONE_IN_TEXT.search(text) or _EMAIL_IN_TEXT.search(text):
            pieces[i] = f"{name}{eq}{REDACTED}"
            changed = True
    return "&".join(pieces) if changed else part


def scrub_url(url: str) -> str:
    """``url`` with phone numbers and e-mail addresses in its query and fragment replaced."""
    cut = url.find("?")
    if cut < 0:
        cut = url.find("#")
        if cut < 0:
            return url
    if not _suspect(url, cut):
        return url
    head, rest = url[:cut + 1], url[cut + 1:]
    if head.endswith("?"):
        query, hash_, fragment = rest.partition("#")
        return head + _scrub_part(query) + hash_ + (_scrub_part(fragment) if hash_ else "")
    return head + _scrub_part(rest)


class EventInvalid(ValueError):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


_phone_key: bytes | None = None


def use_secret_key(secret_key: str) -> None:
    """Derive the phone-number HMAC key from the project's SECRET_KEY (events.apps at start-up)."""
    global _phone_key
    _phone_key = hashlib.sha256(b"untitle/phone-number/v1|" + secret_key.encode()).digest()


def phone_key() -> bytes:
    """HMAC key for phone numbers, derived from SECRET_KEY so it never sits next to the data."""
    if _phone_key is None:
        raise RuntimeError("no phone-number key: Django's events app (or use_secret_key) sets it up")
    return _phone_key


def phone_hash(raw: str, key: bytes | None = None) -> str:
    """Keyed hash of a phone number's digits; Korean +82 numbers and 010... give the same hash."""
    digits = _DIGITS.sub("", raw)
    if digits.startswith("82") and len(digits) >= 11:
        digits = "0" + digits[2:]
    if not 8 <= len(digits) <= 15:
        raise EventInvalid("phone_number", "전화번호 형식이 아닙니다.")
    return hmac.new(key or phone_key(), digits.encode(), hashlib.sha256).hexdigest()[:32]


_rand_pool = b""
_rand_lock = threading.Lock()


def _rand62() -> int:
    """62 random bits from a pooled os.urandom read (one syscall per 512 ids on the hot path)."""
    global _rand_pool
    with _rand_lock:
        if len(_rand_pool) < 8:
            _rand_pool = os.urandom(4096)
        chunk, _rand_pool = _rand_pool[:8], _rand_pool[8:]
    return int.from_bytes(chunk, "big") & ((1 << 62) - 1)


def uuid7_str(micros: int) -> str:
    """Time-ordered UUID (RFC 9562 v7, sub-millisecond bits in rand_a) as its canonical string."""
    ms, sub = divmod(micros, 1000)
    h = f"{ms & 0xFFFF_FFFF_FFFF:012x}7{sub * 4096 // 1000:03x}{(0b10 << 62) | _rand62():016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid7(ts: datetime | None = None) -> uuidlib.UUID:
    micros = _micros(ts) if ts else time.time_ns() // 1000
    return uuidlib.UUID(uuid7_str(micros))


# The stored event_id uses a compact layout, a RFC 9562 v8 UUID: the minute (32 bits since the
# epoch), the version nibble, 58 bits that tell the minute's events apart, and 32 zero bits.
# ClickHouse keeps a UUID as two little-endian words, so the minute and the zeros form one
# 8-byte run that repeats from row to row (rows are sorted by time inside (client_id,
# event_type)) and ZSTD stores it as a back-reference: about 9 bytes per event where a uuid4
# costs 16 (docs/benchmarks.md#storage). An id the SDK or an import supplies is folded in
# deterministically (keyed by client and id), so a resend with the same created_at maps to the
# same stored id and is deduplicated. Two different events are wrongly taken for one only with
# the same client, minute and 58 bits: at 100,000 events a minute for one shop that is
# n^2/2 / 2^58 = 1.7e-8 a minute, about one lost event in 110 years of that rate around the
# clock. The random part stays at 58 bits because each bit less doubles that (50 bits: one in
# five months), for well under 1 byte an event.
_COMPACT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{4}00000000")


def compact_id(micros: int, bits58: int) -> str:
    minute = (micros // 60_000_000) & 0xFFFF_FFFF
    a16, b12, c30 = (bits58 >> 42) & 0xFFFF, (bits58 >> 30) & 0xFFF, bits58 & 0x3FFF_FFFF
    lo = (0b10 << 62) | (c30 << 32)
    return f"{minute:08x}-{a16:04x}-8{b12:03x}-{lo >> 48:04x}-{(lo >> 32) & 0xFFFF:04x}00000000"


def canonical_event_id(client_id: int, micros: int, supplied: str | None = None) -> str:
    """The stored event_id for an event at ``micros`` (µs since epoch, UTC)."""
    if supplied is None:
        return compact_id(micros, _rand62())
    if _COMPACT.fullmatch(supplied):
        return supplied  # already canonical (a re-import of exported rows)
    digest = hashlib.blake2b(f"{client_id}:{supplied}".encode(), digest_size=8).digest()
    return compact_id(micros, int.from_bytes(digest, "big"))


# A session id is the session's start time, as Amplitude's session_id is: the milliseconds
# since the epoch in the top 48 bits of a RFC 9562 v8 UUID (the SDK's contract stays "an opaque
# UUID it echoes back"), the rest fixed. A session is (uuid, session_id): two visitors who start
# in the same millisecond share the number but not the session. Every event of a visit carries
# it, and all it changes from row to row is a few low bytes of a time close to the row's own, so
# it compresses to ~1.4 bytes an event where a random id costs 6 at 10M events
# (docs/benchmarks.md#storage). One process never hands out the same id twice (a call in the
# same millisecond takes the next one), so two visits of one browser always differ.
_SESSION = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-8000-8000-000000000000")
_last_session_ms = 0
_session_lock = threading.Lock()


def session_id_at(ms: int) -> str:
    h = f"{ms & 0xFFFF_FFFF_FFFF:012x}"
    return f"{h[:8]}-{h[8:]}-8000-8000-000000000000"


def session_start_ms(session_id: str) -> int | None:
    """The start time (ms since the epoch) a session id of ours names; None for other UUIDs."""
    if not _SESSION.fullmatch(session_id):
        return None
    return int(session_id[:8] + session_id[9:13], 16)


def new_session_id(now: datetime | None = None) -> str:
    global _last_session_ms
    ms = (_micros(now) if now else time.time_ns() // 1000) // 1000
    with _session_lock:
        if _last_session_ms - 1000 < ms <= _last_session_ms:
            ms = _last_session_ms + 1
        _last_session_ms = ms
    return session_id_at(ms)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(ts: datetime) -> int:
    d = ts - _EPOCH
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


_CANON_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _as_uuid(value, field: str) -> str:
    if isinstance(value, str) and _CANON_UUID.fullmatch(value):
        return value
    if isinstance(value, str) and len(value) <= 64:
        try:
            return str(uuidlib.UUID(value))
        except ValueError:
            pass
    raise EventInvalid(field, "UUID 형식이어야 합니다.")


def _as_int(value, field: str, hi: int) -> int:
    if isinstance(value, bool):
        raise EventInvalid(field, "정수여야 합니다.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and len(value) <= 12:
        value = int(value)
    if not isinstance(value, int):
        raise EventInvalid(field, "정수여야 합니다.")
    if not 0 <= value <= hi:
        raise EventInvalid(field, f"0 이상 {hi} 이하여야 합니다.")
    return value


def _as_str(value, field: str, limit: int) -> str | None:
    if isinstance(value, bool):
        raise EventInvalid(field, "문자열이어야 합니다.")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise EventInvalid(field, "문자열이어야 합니다.")
    if len(value) > limit:
        raise EventInvalid(field, f"{limit}자를 넘을 수 없습니다.")
    if "\x00" in value:
        raise EventInvalid(field, "NUL 문자는 쓸 수 없습니다.")
    return value or None


def parse_time(value) -> datetime:
    """ISO 8601 (UTC when no offset) or epoch milliseconds (JavaScript Date.now())."""
    if isinstance(value, bool):
        raise EventInvalid("created_at", "ISO 8601 시각이어야 합니다.")
    if isinstance(value, (int, float)):
        if not 0 < value < 1e14:
            raise EventInvalid("created_at", "에포크 밀리초 범위를 벗어났습니다.")
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    if isinstance(value, str) and 0 < len(value) <= 40:
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if ts.tzinfo is None:
                return ts.replace(tzinfo=timezone.utc)
            return ts.astimezone(timezone.utc)
    raise EventInvalid("created_at", "ISO 8601 시각이어야 합니다.")


def format_time(ts: datetime) -> str:
    if ts.tzinfo is not timezone.utc:
        ts = ts.astimezone(timezone.utc)
    return (f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d} "
            f"{ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}.{ts.microsecond:06d}")


_now_cache: tuple = (None, "")


def _format_now(now: datetime) -> str:
    # Every event of a request without its own created_at shares the request's `now`.
    global _now_cache
    cached = _now_cache
    if cached[0] is now:
        return cached[1]
    text = format_time(now)
    _now_cache = (now, text)
    return text


def event_code(value) -> int:
    if isinstance(value, str) and not value.isdigit():
        et = catalog.BY_NAME.get(value)
        if et is None:
            raise EventInvalid("event_type", "알 수 없는 이벤트 유형입니다.")
        return et.code
    try:
        code = _as_int(value, "event_type", 255)
    except EventInvalid:
        raise EventInvalid("event_type", "이벤트 유형 코드(정수)나 이름이어야 합니다.") from None
    if code not in catalog.BY_CODE:
        raise EventInvalid("event_type", "알 수 없는 이벤트 유형 코드입니다.")
    return code


def normalize(client_id: int, event, *, now: datetime | None = None, history: bool = False,
              defaults: dict | None = None, key: bytes | None = None, seq: int = 0) -> dict:
    """Check one event and return its JSONEachRow record (only the non-null columns).

    Raises EventInvalid naming the first bad field.
    """
    if not isinstance(event, dict):
        raise EventInvalid(None, "이벤트는 JSON 객체여야 합니다.")
    if defaults:
        event = {**defaults, **event}
    unknown = event.keys() - KNOWN_FIELDS
    if unknown:
        raise EventInvalid(sorted(unknown)[0], "알 수 없는 필드입니다.")
    if "event_type" not in event:
        raise EventInvalid("event_type", "필수 항목입니다.")
    code = event_code(event["event_type"])
    if "client_id" in event and event["client_id"] != client_id:
        raise EventInvalid("client_id", "수집 키의 고객사와 다릅니다.")
    rec: dict = {"client_id": client_id, "event_type": code}
    for name, value in event.items():
        if value is None or name in _OTHER_FIELDS:
            continue
        if name in _STR_FIELDS:
            value = _as_str(value, name, _STR_FIELDS[name])
            if value is not None:
                if name in _URL_FIELDS and ("?" in value or "#" in value):
                    value = scrub_url(value)
                rec[name] = value
        elif name in _INT_FIELDS:
            rec[name] = _as_int(value, name, _INT_FIELDS[name])
        else:
            rec[name] = _as_uuid(value, name)
    if "uuid" not in rec:
        raise EventInvalid("uuid", "필수 항목입니다.")
    phone = event.get("phone_number")
    if phone is not None:
        if not isinstance(phone, (str, int)) or isinstance(phone, bool):
            raise EventInvalid("phone_number", "문자열이어야 합니다.")
        rec["phone_number"] = phone_hash(str(phone), key)
    for name in catalog.BY_CODE[code].required:
        if name not in rec:
            raise EventInvalid(name, "이 이벤트 유형의 필수 항목입니다.")
    now = now or datetime.now(timezone.utc)
    raw_ts = event.get("created_at")
    if raw_ts is None:
        if seq:
            # Events of one request without their own time keep their order and distinct ids.
            ts = now + timedelta(microseconds=seq)
            rec["created_at"] = format_time(ts)
        else:
            ts = now
            rec["created_at"] = _format_now(now)
    else:
        ts = parse_time(raw_ts)
        if ts > now + MAX_FUTURE:
            raise EventInvalid("created_at", "5분 넘게 미래의 시각입니다.")
        if not history and ts < now - MAX_AGE:
            raise EventInvalid("created_at", "7일보다 오래된 이벤트는 import_events로 가져오세요.")
        if ts.year < 1971:
            raise EventInvalid("created_at", "1971년 이전의 시각입니다.")
        rec["created_at"] = format_time(ts)
    rec["event_id"] = canonical_event_id(client_id, _micros(ts), rec.get("event_id"))
    return rec


def to_row(client_id: int, event: dict, *, history: bool = True, now: datetime | None = None) -> list:
    """``normalize`` as a list in COLUMNS order (None for absent columns)."""
    rec = normalize(client_id, event, history=history, now=now)
    return [rec.get(c) for c in COLUMNS]
