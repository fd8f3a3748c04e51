"""Synthetic shop traffic for demos, tests, evaluation sets and benchmarks (DESIGN.md §6).

Pure: no Django. ``generate(...)`` yields one column-oriented ``Batch`` per local day (numpy
arrays, strings as dictionary codes); ``Batch.to_arrow()`` turns it into a pyarrow table whose
columns are the event table's, ready for a bulk insert.

Deterministic: the same (seed, days, visitors, end, timezone, client_id) gives the same events,
ids included. Ids come from the seeded RNG (never uuid4) and are salted with ``client_id`` so two
shops generated with one seed do not share event ids; everything else depends on the seed only.
event_id and session_id use the stored id layouts of collected events
(``events.ingest.rows.compact_id``, ``session_id_at``: a session id is its start in ms); visitor uuids are random v4 like the SDK's.

The generated shop (a Korean fashion mall), so questions about it have known answers:

- Window: local days ``end - days + 1 .. end`` in ``tz`` (default Asia/Seoul); ``created_at`` is
  UTC. Events that would fall after the window (a session running past midnight of the last day,
  a late cancel) are dropped.
- ``visitors`` = the average number of visits (sessions) per day. Each visit belongs to a visitor
  drawn from a pool of ``round(visitors * days * POOL_RATIO)`` browsers with log-normal
  affinities, so some visitors come back often (repeat buyers) and most come once or twice.
  Unique visitors per day are slightly below ``visitors``. Past buyers also come back on their
  own (``RETURN_RATE`` of them per day) and buy more readily (``REPEAT_BOOST``).
- Day/night: arrivals follow ``HOUR_WEIGHTS`` in local time (night trough 03-05 h, lunch bump,
  peak 20-22 h). Week: ``WEEKDAY_FACTORS`` (Sunday and Monday busiest, Saturday quietest).
- Products "1".."P" (``products``, default 200); popularity is Zipf (s = ``ZIPF_S``): product "1"
  is the most viewed, "2" the second... Product k belongs to category ``(k - 1) % 10 + 1``.
  Prices: log-normal around 35,000 KRW, rounded to 100 won, from the seed.
- Categories "1".."12": ``CATEGORIES`` (11 세일 and 12 신상품 are browsed but own no products).
- Search keywords (Zipf over this order): ``KEYWORDS``.
- Members: ``MEMBER_SHARE`` of the pool are members, login_id ``member0001``, ``member0002``...
  in pool order. Members log in (event 10) in ``LOGIN_RATE`` of their visits and always before
  checkout; ``NEW_MEMBER_SHARE`` of them sign up (event 11) on their first visit in the window.
  Every event of a logged-in visit after session_start carries login_id.
- Visits: ``BOUNCE_RATE`` see only the landing page; the others view 1+ products (geometric,
  mean 2), categories and sometimes search.
- Funnel per product view: cart_add ``CART_RATE`` (x ``CAMPAIGN_BOOST`` in campaign visits,
  x ``REPEAT_BOOST`` for visitors who bought before), wishlist_add ``WISHLIST_RATE``; cart_remove
  for ``CART_REMOVE_RATE`` of cart lines; checkout_start (amount = cart total) for
  ``CHECKOUT_RATE`` of visits with a cart; order_complete for ``ORDER_RATE`` of checkouts, one
  event per cart line (order_id ``YYYYMMDD-NNNNNNN``, options S/M/L/XL and colours, quantity,
  unit price, amount = line total). About 1.5-2 % of visits order; over a month 2-3 % of distinct
  visitors buy, about 1 buyer in 10 more than once. ``CANCEL_RATE`` of orders are cancelled 1-48 h
  later (event 63, amount = order total); ``REVIEW_RATE`` of kept order lines get a review
  (event 73, board "4") 3-10 days later.
- Other behaviour: main page views, category views, searches, scrolls (bucket 1-10 rising within a
  page), board posts (board "1" 공지, "4" 상품후기, "6" Q&A), other pages, push_subscribe.
- Sources: ``SOURCES`` (referrer + utm_source/medium/campaign on every event of the visit) and
  device_type mobile/desktop/tablet per visitor.
- Campaign bursts (``campaigns_for``): in windows of 5 days or more, on window day
  ``int(days * 0.4)`` (0-based) a push "cmp-1" at 20:00 local (utm_source/medium ``push``,
  utm_campaign ``summer_sale``) and on day ``int(days * 0.8)`` an SMS "cmp-2" at 11:00 local
  (``sms``, ``vip_coupon``) each bring ``CAMPAIGN_VISIT_SHARE`` x visitors extra visits within
  about an hour; each such visit starts with message_click (event 102, tracking_id = the campaign
  code) and converts better.
- page_url: "/" (main), "/product/detail.html?product_no=N", "/product/list.html?cate_no=C",
  login/join/order pages (``page_urls``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

import numpy as np

from events.catalog import Code

HOUR_WEIGHTS = np.array([
    3.0, 1.9, 1.1, 0.7, 0.5, 0.5, 0.8, 1.5, 2.6, 3.4, 3.9, 4.2,
    4.9, 4.6, 4.2, 4.1, 4.2, 4.5, 4.8, 5.5, 6.5, 7.2, 6.9, 5.1,
])
# Monday .. Sunday
WEEKDAY_FACTORS = np.array([1.06, 1.0, 0.98, 0.97, 0.92, 0.86, 1.12])

ZIPF_S = 1.0
POOL_RATIO = 1.5
MEMBER_SHARE = 0.30
NEW_MEMBER_SHARE = 0.15
LOGIN_RATE = 0.6
BOUNCE_RATE = 0.5
CART_RATE = 0.08
WISHLIST_RATE = 0.03
CART_REMOVE_RATE = 0.12
CHECKOUT_RATE = 0.40
ORDER_RATE = 0.60
CANCEL_RATE = 0.06
REVIEW_RATE = 0.08
CAMPAIGN_BOOST = 1.8
REPEAT_BOOST = 4.0
# Share of past buyers who come back on a given day (on top of their ordinary visits).
RETURN_RATE = 0.06
CAMPAIGN_VISIT_SHARE = 0.35

CATEGORIES = ("아우터", "상의", "니트", "셔츠/블라우스", "원피스", "스커트", "팬츠", "신발", "가방",
              "액세서리", "세일", "신상품")
PRODUCT_CATEGORIES = 10
KEYWORDS = ("원피스", "니트", "청바지", "가디건", "셔츠", "코트", "운동화", "가방", "반팔", "linen",
            "dress", "sale")
SORT_BY = ("recommend", "new", "price_asc", "price_desc", "review")
OPTION1 = ("S", "M", "L", "XL")
OPTION2 = ("black", "white", "navy", "beige")
BOARDS = ("1", "4", "6")
DEVICES = ("mobile", "desktop", "tablet")
# (referrer, utm_source, utm_medium, utm_campaign, share)
SOURCES = (
    ("", "", "", "", 0.34),
    ("https://search.naver.com/", "", "", "", 0.24),
    ("https://l.instagram.com/", "instagram", "social", "", 0.15),
    ("https://www.google.com/", "", "", "", 0.10),
    ("https://talk.kakao.com/", "kakao", "social", "", 0.09),
    ("https://search.naver.com/", "naver", "cpc", "brand_search", 0.08),
)
OTHER_PAGES = ("/myshop/index.html", "/order/basket.html", "/shopinfo/company.html",
               "/board/free/list.html?board_no=4", "/product/search.html", "/myshop/order/list.html")

# Event codes from the catalog, as plain ints: they index numpy tables and fill uint8 arrays.
SESSION_START, LOGIN, SIGNUP, SEARCH = (int(c) for c in (Code.SESSION_START, Code.LOGIN, Code.SIGNUP, Code.SEARCH))
CAT_START, CAT_END, MAIN_START, MAIN_END = (int(c) for c in (Code.CATEGORY_VIEW_START, Code.CATEGORY_VIEW_END,
                                                             Code.MAIN_VIEW_START, Code.MAIN_VIEW_END))
CART_ADD, CART_REMOVE, WISHLIST, CHECKOUT, ORDER, CANCEL = (int(c) for c in (
    Code.CART_ADD, Code.CART_REMOVE, Code.WISHLIST_ADD, Code.CHECKOUT_START, Code.ORDER_COMPLETE, Code.ORDER_CANCEL))
BOARD_START, BOARD_END, REVIEW, PV_START, PV_END, SCROLL = (int(c) for c in (
    Code.BOARD_VIEW_START, Code.BOARD_VIEW_END, Code.REVIEW_WRITE, Code.PRODUCT_VIEW_START, Code.PRODUCT_VIEW_END,
    Code.SCROLL))
PAGE_START, PAGE_END, PUSH_SUBSCRIBE, MESSAGE_CLICK = (int(c) for c in (
    Code.PAGE_VIEW_START, Code.PAGE_VIEW_END, Code.PUSH_SUBSCRIBE, Code.MESSAGE_CLICK))

# Mean seconds between the previous event and this one (dwell time for *_end events).
_GAP = np.full(256, 6.0)
for _code, _secs in {MAIN_END: 25, CAT_END: 18, PV_END: 40, BOARD_END: 50, PAGE_END: 20, SCROLL: 5,
                     CHECKOUT: 25, ORDER: 80, LOGIN: 12, SIGNUP: 60, SEARCH: 8, CART_ADD: 10}.items():
    _GAP[_code] = _secs

# Columns that are ints with -1 meaning NULL.
_CODED = ("product", "category", "opt1", "opt2", "qty", "price", "amount", "keyword", "sort_by",
          "page", "board", "article", "scroll", "order", "url", "tracking", "delay")


@dataclass(frozen=True)
class Campaign:
    code: str          # tracking_id of its message deliveries
    utm_campaign: str
    utm_source: str
    day_index: int     # 0-based day of the window
    hour: int          # local send hour


def campaigns_for(days: int) -> tuple[Campaign, ...]:
    if days < 5:
        return ()
    return (Campaign("cmp-1", "summer_sale", "push", int(days * 0.4), 20),
            Campaign("cmp-2", "vip_coupon", "sms", int(days * 0.8), 11))


@dataclass
class Batch:
    """One local day of events, sorted by (event_type, created_at). Strings are dictionary codes."""

    day: date
    client_id: int
    n: int
    event_id: np.ndarray     # (n, 16) uint8
    uuid: np.ndarray         # (n, 16) uint8
    session_id: np.ndarray   # (n, 16) uint8
    event_type: np.ndarray   # uint8
    created_at_us: np.ndarray  # int64 µs since epoch, UTC
    codes: dict[str, np.ndarray] = field(default_factory=dict)   # see _CODED, -1 = NULL
    member: np.ndarray | None = None     # member number for login_id, -1 = not logged in
    device: np.ndarray | None = None     # index into DEVICES
    source: np.ndarray | None = None     # index into sources (SOURCES + campaigns)
    sources: tuple = ()
    order_numbers: np.ndarray | None = None  # order code -> running order number
    order_dates: np.ndarray | None = None    # order code -> yyyymmdd
    products: int = 200

    def to_arrow(self):
        """The batch as a pyarrow table with the event table's column names and types."""
        import pyarrow as pa

        def uuids(a: np.ndarray):
            return pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), self.n, [None, pa.py_buffer(a.tobytes())])

        def coded(codes: np.ndarray, dictionary) -> "pa.Array":
            # ClickHouse refuses Arrow dictionaries with repeated values ("" for several sources).
            values, remap = np.unique(np.asarray(list(dictionary), dtype=object), return_inverse=True)
            codes = np.where(codes < 0, -1, remap[np.maximum(codes, 0)]) if len(values) < len(remap) else codes
            return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32), mask=codes < 0),
                                                  pa.array(list(values) if len(values) < len(remap)
                                                           else list(dictionary), pa.string()))

        def ints(values: np.ndarray, typ):
            return pa.array(np.where(values < 0, 0, values).astype(typ.to_pandas_dtype()),
                            type=typ, mask=values < 0)

        def numbered(values: np.ndarray, fmt: str):
            # Few distinct values per batch: format each once, then dictionary-encode.
            uniq, inverse = np.unique(values, return_inverse=True)
            inverse = np.where(values < 0, -1, inverse)
            return coded(inverse, [fmt.format(int(v)) if v >= 0 else "" for v in uniq])

        c = self.codes
        urls = page_urls(self.products)
        order_text = [f"{d}-{num:07d}" for d, num in zip(self.order_dates, self.order_numbers)]
        src = self.sources
        cols = {
            "event_id": uuids(self.event_id),
            "client_id": pa.array(np.full(self.n, self.client_id, np.int32)),
            "uuid": uuids(self.uuid),
            "event_type": pa.array(self.event_type.astype(np.uint8)),
            "order_id": coded(c["order"], order_text),
            "tracking_id": coded(c["tracking"], [s[4] for s in src]),
            "product_id": coded(c["product"], [str(i) for i in range(1, self.products + 1)]),
            "product_option_id1": coded(c["opt1"], OPTION1),
            "product_option_id2": coded(c["opt2"], OPTION2),
            "product_quantity": ints(c["qty"], pa.uint8()),
            "price": ints(c["price"], pa.uint32()),
            "amount": ints(c["amount"], pa.uint32()),
            "keyword": coded(c["keyword"], KEYWORDS),
            "sort_by": coded(c["sort_by"], SORT_BY),
            "page": ints(c["page"], pa.uint8()),
            "board_id": coded(c["board"], BOARDS),
            "article_id": numbered(c["article"], "{}"),
            "login_id": numbered(self.member, "member{:04d}"),
            "page_url": coded(c["url"], urls),
            "category_id": coded(c["category"], [str(i) for i in range(1, len(CATEGORIES) + 1)]),
            "scroll_bucket": ints(c["scroll"], pa.uint8()),
            "session_id": uuids(self.session_id),
            "referrer": coded(self.source, [s[0] for s in src]),
            "utm_source": coded(self.source, [s[1] for s in src]),
            "utm_medium": coded(self.source, [s[2] for s in src]),
            "utm_campaign": coded(self.source, [s[3] for s in src]),
            "device_type": coded(self.device, DEVICES),
            "created_at": pa.array(self.created_at_us, type=pa.timestamp("us", tz="UTC")),
        }
        return pa.table(cols)


def facts(*, days: int, end: date, products: int = 200) -> dict:
    """What a generated window contains by construction (for evaluation sets and the CLI)."""
    first = end - timedelta(days=days - 1)
    return {
        "start": first.isoformat(), "end": end.isoformat(),
        "products": [str(i) for i in range(1, products + 1)],
        "categories": {str(i): name for i, name in enumerate(CATEGORIES, start=1)},
        "product_category": "(product_id - 1) % 10 + 1",
        "keywords": list(KEYWORDS),
        "boards": {"1": "공지", "4": "상품후기", "6": "Q&A"},
        "login_id_format": "member%04d",
        "campaigns": [{"tracking_id": c.code, "utm_campaign": c.utm_campaign, "utm_source": c.utm_source,
                       "date": (first + timedelta(days=c.day_index)).isoformat(), "local_hour": c.hour}
                      for c in campaigns_for(days)],
    }


def page_urls(products: int) -> list[str]:
    """page_url dictionary: "/", product pages, category lists, then the other pages."""
    return (["/"] + [f"/product/detail.html?product_no={i}" for i in range(1, products + 1)]
            + [f"/product/list.html?cate_no={i}" for i in range(1, len(CATEGORIES) + 1)]
            + ["/member/login.html", "/member/join.html", "/order/orderform.html", "/order/order_result.html"]
            + list(OTHER_PAGES))


def _salt(client_id: int) -> np.ndarray:
    return np.frombuffer(hashlib.sha256(f"untitle-generate/{client_id}".encode()).digest()[:16], np.uint8)


def _ids(rng: np.random.Generator, n: int, salt: np.ndarray) -> np.ndarray:
    """n random RFC 4122 version-4 UUIDs as (n, 16) bytes, from the seeded RNG."""
    b = rng.integers(0, 256, size=(n, 16), dtype=np.uint8) ^ salt
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    return b


def _compact_ids(micros: np.ndarray, bits58: np.ndarray) -> np.ndarray:
    """Stored-id layout of events/ingest/rows.compact_id, vectorized (tests pin the two together):
    the minute (32 bits), 16 id bits, "8" + 12 id bits, "10" + 30 id bits, 32 zero bits.

    Generated events get the same ids as collected ones, so they compress the same.
    """
    bits58 = bits58.astype(np.uint64)
    out = np.zeros((micros.size, 16), np.uint8)
    minute = (micros.astype(np.int64) // 60_000_000) & 0xFFFF_FFFF
    out[:, 0:4] = minute.astype(">u4").view(np.uint8).reshape(-1, 4)
    out[:, 4:6] = ((bits58 >> np.uint64(42)) & np.uint64(0xFFFF)).astype(">u2").view(np.uint8).reshape(-1, 2)
    out[:, 6:8] = (np.uint64(0x8000) | ((bits58 >> np.uint64(30)) & np.uint64(0xFFF))).astype(">u2") \
        .view(np.uint8).reshape(-1, 2)
    out[:, 8:12] = (np.uint64(0x8000_0000) | (bits58 & np.uint64(0x3FFF_FFFF))).astype(">u4") \
        .view(np.uint8).reshape(-1, 4)
    return out


def _session_ids(ms: np.ndarray) -> np.ndarray:
    """Session ids of events/ingest/rows.session_id_at, vectorized (a test pins the two together):
    the start in ms (48 bits), then 8000-8000-000000000000."""
    out = np.zeros((ms.size, 16), np.uint8)
    out[:, 0:8] = (ms.astype(np.uint64) << np.uint64(16)).astype(">u8").view(np.uint8).reshape(-1, 8)
    out[:, 6] = 0x80
    out[:, 8] = 0x80
    return out


def _id_bits(rng: np.random.Generator, n: int, salt: np.ndarray) -> np.ndarray:
    salt58 = int.from_bytes(salt[:8].tobytes(), "big") & ((1 << 58) - 1)
    return rng.integers(0, 1 << 58, size=n, dtype=np.uint64) ^ np.uint64(salt58)


class _Blocks:
    """Collects event blocks (parallel arrays) and flattens them into one table."""

    def __init__(self):
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, sess, rank, sub, etype, **fields):
        sess = np.asarray(sess, np.int64)
        if not len(sess):
            return
        part = {"sess": sess, "rank": np.full(len(sess), rank, np.int16),
                "sub": np.broadcast_to(np.asarray(sub, np.int64), sess.shape),
                "etype": np.broadcast_to(np.asarray(etype, np.int16), sess.shape)}
        for k, v in fields.items():
            part[k] = np.broadcast_to(np.asarray(v, np.int64), sess.shape)
        self.parts.append(part)

    def flat(self) -> dict[str, np.ndarray]:
        keys = ("sess", "rank", "sub", "etype") + _CODED
        out = {}
        for k in keys:
            out[k] = np.concatenate([p[k] if k in p else np.full(len(p["sess"]), -1, np.int64)
                                     for p in self.parts]) if self.parts else np.zeros(0, np.int64)
        order = np.lexsort((out["sub"], out["rank"], out["sess"]))
        return {k: v[order] for k, v in out.items()}


def _cdf(weights: np.ndarray) -> np.ndarray:
    c = np.cumsum(weights, dtype=np.float64)
    return c / c[-1]


def _pick(rng, cdf: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _segment_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For per-session counts: (session index, position within the session) of each item."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def generate(*, client_id: int, days: int, visitors: int, seed: int, end: date,
             tz: str = "Asia/Seoul", products: int = 200,
             not_after: datetime | None = None) -> Iterator[Batch]:
    """Yield one Batch per local day of the window, oldest first."""
    if days < 1 or visitors < 1 or products < 1:
        raise ValueError("days, visitors and products must be at least 1")
    zone = ZoneInfo(tz)
    salt = _salt(client_id)
    base = np.random.default_rng(np.random.SeedSequence([seed, 0]))

    # The catalogue
    prod_cdf = _cdf(1.0 / np.arange(1, products + 1) ** ZIPF_S)
    prod_cat = np.arange(products) % PRODUCT_CATEGORIES
    prod_price = np.clip(np.round(base.lognormal(np.log(35000), 0.55, products) / 100) * 100, 5900, 289000)
    cat_weight = np.bincount(prod_cat, weights=np.diff(prod_cdf, prepend=0), minlength=len(CATEGORIES))
    cat_weight[10:] = 0.08
    cat_cdf = _cdf(cat_weight)
    kw_cdf = _cdf(1.0 / np.arange(1, len(KEYWORDS) + 1))

    # The visitor pool
    pool = max(visitors, int(round(visitors * days * POOL_RATIO)))
    pool_uuid = _ids(base, pool, salt)
    pool_cdf = _cdf(base.lognormal(0.0, 0.9, pool))
    pool_device = _pick(base, _cdf(np.array([0.70, 0.25, 0.05])), pool)
    is_member = base.random(pool) < MEMBER_SHARE
    member_no = np.where(is_member, np.cumsum(is_member), -1)
    new_member = is_member & (base.random(pool) < NEW_MEMBER_SHARE)
    signed_up = ~new_member  # new members are not members until their signup visit
    seen = np.zeros(pool, bool)
    bought = np.zeros(pool, bool)

    campaigns = campaigns_for(days)
    sources = tuple((r, s, m, c, "") for r, s, m, c, _ in SOURCES) + tuple(
        ("", cp.utm_source, cp.utm_source, cp.utm_campaign, cp.code) for cp in campaigns)
    src_cdf = _cdf(np.array([s[4] for s in SOURCES]))
    n_urls = len(page_urls(products))
    url_cat0 = 1 + products
    url_login, url_join, url_form, url_result = (url_cat0 + len(CATEGORIES) + i for i in range(4))
    url_other0 = url_result + 1

    first_day = end - timedelta(days=days - 1)
    window_end_us = _local_midnight_us(end + timedelta(days=1), zone)
    if not_after is not None:
        window_end_us = min(window_end_us, int(not_after.timestamp() * 1_000_000))
    order_seq = 0

    for d in range(days):
        day = first_day + timedelta(days=d)
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1, d]))
        day_start_us = _local_midnight_us(day, zone)
        day_len_s = (_local_midnight_us(day + timedelta(days=1), zone) - day_start_us) // 1_000_000
        if day_start_us >= window_end_us:
            break

        # Visits of the day: regular arrivals, then campaign bursts.
        n_reg = rng.poisson(visitors * WEEKDAY_FACTORS[day.weekday()] * rng.lognormal(0, 0.05))
        past_buyers = np.flatnonzero(bought)
        n_ret = rng.poisson(RETURN_RATE * past_buyers.size)
        n_day = n_reg + n_ret
        hours = _pick(rng, _cdf(HOUR_WEIGHTS), n_day)
        start_s = hours * 3600 + rng.random(n_day) * 3600
        source = _pick(rng, src_cdf, n_day)
        in_campaign = np.zeros(n_day, bool)
        visitor = np.concatenate([_pick(rng, pool_cdf, n_reg), rng.choice(past_buyers, n_ret) if n_ret else
                                  np.zeros(0, np.int64)])
        for ci, cp in enumerate(campaigns):
            if cp.day_index != d:
                continue
            k = rng.poisson(visitors * CAMPAIGN_VISIT_SHARE)
            start_s = np.concatenate([start_s, cp.hour * 3600 + rng.exponential(40 * 60, k)])
            source = np.concatenate([source, np.full(k, len(SOURCES) + ci)])
            in_campaign = np.concatenate([in_campaign, np.ones(k, bool)])
            visitor = np.concatenate([visitor, _pick(rng, pool_cdf, k)])
        n = len(start_s)
        start_s = np.minimum(start_s, day_len_s - 1)
        # Visits in time order, so "first visit" and order numbers follow the clock.
        order = np.argsort(start_s, kind="stable")
        start_s, source, in_campaign, visitor = start_s[order], source[order], in_campaign[order], visitor[order]

        # Signup at a new member's first visit of the window.
        uniq, first_idx = np.unique(visitor, return_index=True)
        first_visit = np.zeros(n, bool)
        first_visit[first_idx[~seen[uniq]]] = True
        seen[uniq] = True
        signup = first_visit & new_member[visitor] & ~signed_up[visitor]
        signed_up[visitor[signup]] = True
        member_now = is_member[visitor] & signed_up[visitor]

        bounce = rng.random(n) < BOUNCE_RATE
        n_pv = np.where(bounce, 0, rng.geometric(0.5, n))
        has_main = rng.random(n) < np.where(n_pv > 0, 0.7, 0.95)
        n_cat = np.where(bounce, 0, rng.poisson(1.1, n))
        n_search = np.where(bounce | (rng.random(n) >= 0.25), 0, 1 + rng.poisson(0.4, n))
        n_board = np.where(rng.random(n) < 0.07, 1 + rng.poisson(0.3, n), 0)
        n_page = (rng.random(n) < 0.12).astype(np.int64)
        push_sub = rng.random(n) < 0.01

        blocks = _Blocks()
        sess_all = np.arange(n)

        # Product views with their funnel steps
        pv_sess, pv_pos = _segment_index(n_pv)
        m = pv_sess.size
        pv_prod = _pick(rng, prod_cdf, m)
        pv_price = prod_price[pv_prod].astype(np.int64)
        pv_cat = prod_cat[pv_prod]
        pv_url = 1 + pv_prod
        cart_p = (CART_RATE * np.where(in_campaign[pv_sess], CAMPAIGN_BOOST, 1.0)
                  * np.where(bought[visitor[pv_sess]], REPEAT_BOOST, 1.0))
        cart = rng.random(m) < cart_p
        wish = rng.random(m) < WISHLIST_RATE
        pv_scrolls = np.minimum(rng.poisson(1.0, m), 5)
        sub0 = pv_pos * 16
        blocks.add(pv_sess, 6, sub0, PV_START, product=pv_prod, category=pv_cat, price=pv_price, url=pv_url)
        sc_view, sc_pos = _segment_index(pv_scrolls)
        blocks.add(pv_sess[sc_view], 6, sub0[sc_view] + 1 + sc_pos, SCROLL,
                   scroll=np.minimum(10, (sc_pos + 1) * rng.integers(2, 4, sc_view.size)), url=pv_url[sc_view])
        blocks.add(pv_sess[wish], 6, sub0[wish] + 8, WISHLIST, product=pv_prod[wish], url=pv_url[wish])
        c_sess, c_prod, c_price, c_url = pv_sess[cart], pv_prod[cart], pv_price[cart], pv_url[cart]
        k = c_sess.size
        c_qty = 1 + (rng.random(k) < 0.15) + (rng.random(k) < 0.03)
        c_opt1 = _pick(rng, _cdf(np.array([0.2, 0.4, 0.3, 0.1])), k)
        c_opt2 = _pick(rng, _cdf(np.array([0.4, 0.25, 0.2, 0.15])), k)
        blocks.add(c_sess, 6, sub0[cart] + 9, CART_ADD, product=c_prod, opt1=c_opt1, opt2=c_opt2, qty=c_qty,
                   price=c_price, url=c_url)
        blocks.add(pv_sess, 6, sub0 + 15, PV_END, product=pv_prod, category=pv_cat, price=pv_price, url=pv_url)

        removed = rng.random(k) < CART_REMOVE_RATE
        blocks.add(c_sess[removed], 10, np.arange(k)[removed], CART_REMOVE, product=c_prod[removed],
                   url=url_other0 + 1)
        kept = ~removed
        line_total = c_price * c_qty
        cart_total = np.bincount(c_sess[kept], weights=line_total[kept], minlength=n).astype(np.int64)
        has_cart = np.bincount(c_sess[kept], minlength=n) > 0
        checkout = has_cart & (rng.random(n) < CHECKOUT_RATE)
        ordered = checkout & (rng.random(n) < ORDER_RATE)
        bought[visitor[ordered]] = True
        blocks.add(sess_all[checkout], 11, 0, CHECKOUT, amount=cart_total[checkout], url=url_form)

        # Orders: one order_complete per kept cart line, numbered in time order.
        order_code = np.full(n, -1)
        order_code[ordered] = np.arange(int(ordered.sum()))
        n_orders = int(ordered.sum())
        order_numbers = order_seq + 1 + np.arange(n_orders)
        order_seq += n_orders
        order_dates = np.full(n_orders, int(day.strftime("%Y%m%d")))
        line = kept & ordered[c_sess]
        blocks.add(c_sess[line], 12, np.arange(k)[line], ORDER, order=order_code[c_sess[line]],
                   product=c_prod[line], opt1=c_opt1[line], opt2=c_opt2[line], qty=c_qty[line],
                   price=c_price[line], amount=line_total[line], url=url_result)
        # Cancels and reviews happen on a later visit; a delay puts them there.
        o_sess = sess_all[ordered]
        cancel = rng.random(o_sess.size) < CANCEL_RATE
        blocks.add(o_sess[cancel], 13, 0, CANCEL, order=order_code[o_sess[cancel]],
                   amount=cart_total[o_sess[cancel]], url=url_other0 + 5,
                   delay=(rng.uniform(1, 48, int(cancel.sum())) * 3600e6).astype(np.int64))
        cancelled = np.zeros(n, bool)
        cancelled[o_sess[cancel]] = True
        reviewed = line & ~cancelled[c_sess] & (rng.random(k) < REVIEW_RATE)
        r = int(reviewed.sum())
        blocks.add(c_sess[reviewed], 14, np.arange(k)[reviewed], REVIEW, board=1, product=c_prod[reviewed],
                   article=rng.integers(1000, 99999, r), delay=(rng.uniform(3, 10, r) * 86400e6).astype(np.int64))

        # The rest of the visit
        first_pv = np.full(n, -1)
        first_pv[pv_sess[::-1]] = pv_prod[::-1]
        landing = np.where(has_main | (first_pv < 0), 0, 1 + first_pv)
        blocks.add(sess_all, 0, 0, SESSION_START, url=landing)
        campaign_sess = sess_all[in_campaign]
        blocks.add(campaign_sess, 1, 0, MESSAGE_CLICK, tracking=source[in_campaign])
        logged_in = member_now & ~signup & ((rng.random(n) < LOGIN_RATE) | checkout)
        blocks.add(sess_all[logged_in], 2, 0, LOGIN, url=url_login)
        blocks.add(sess_all[signup], 2, 0, SIGNUP, url=url_join)
        mains = sess_all[has_main]
        blocks.add(mains, 3, 0, MAIN_START, url=0)
        main_scrolls = np.minimum(rng.poisson(1.2, mains.size), 5)
        ms_sess, ms_pos = _segment_index(main_scrolls)
        blocks.add(mains[ms_sess], 3, 1 + ms_pos, SCROLL, url=0,
                   scroll=np.minimum(10, (ms_pos + 1) * rng.integers(2, 4, ms_sess.size)))
        blocks.add(mains, 3, 15, MAIN_END, url=0)
        s_sess, s_pos = _segment_index(n_search)
        blocks.add(s_sess, 4, s_pos, SEARCH, keyword=_pick(rng, kw_cdf, s_sess.size),
                   sort_by=np.where(rng.random(s_sess.size) < 0.7, 0, rng.integers(1, len(SORT_BY), s_sess.size)),
                   page=1 + (rng.random(s_sess.size) < 0.15), url=url_other0 + 4)
        cv_sess, cv_pos = _segment_index(n_cat)
        cv_cat = _pick(rng, cat_cdf, cv_sess.size)
        cv_sort = np.where(rng.random(cv_sess.size) < 0.6, -1, rng.integers(0, len(SORT_BY), cv_sess.size))
        cv_page = 1 + (rng.random(cv_sess.size) < 0.2) + (rng.random(cv_sess.size) < 0.05)
        for sub_off, code in ((0, CAT_START), (1, CAT_END)):
            blocks.add(cv_sess, 5, cv_pos * 2 + sub_off, code, category=cv_cat, sort_by=cv_sort, page=cv_page,
                       url=url_cat0 + cv_cat)
        b_sess, b_pos = _segment_index(n_board)
        b_board = _pick(rng, _cdf(np.array([0.2, 0.6, 0.2])), b_sess.size)
        b_article = 1 + _pick(rng, _cdf(1.0 / np.arange(1, 501)), b_sess.size)
        for sub_off, code in ((0, BOARD_START), (1, BOARD_END)):
            blocks.add(b_sess, 7, b_pos * 2 + sub_off, code, board=b_board, article=b_article)
        p_sess = sess_all[n_page > 0]
        p_url = url_other0 + rng.integers(0, len(OTHER_PAGES), p_sess.size)
        blocks.add(p_sess, 8, 0, PAGE_START, url=p_url)
        blocks.add(p_sess, 8, 1, PAGE_END, url=p_url)
        blocks.add(sess_all[push_sub], 9, 0, PUSH_SUBSCRIBE)

        ev = blocks.flat()
        sess = ev["sess"]
        etype = ev["etype"]
        total = sess.size
        # Clock: each event follows the previous one of its visit by a type-dependent gap.
        gaps = (rng.exponential(1.0, total) * _GAP[etype] * 1e6).astype(np.int64) + 1_000_000 + np.maximum(ev["delay"], 0)
        first = np.r_[True, sess[1:] != sess[:-1]]
        gaps[first] = 0
        csum = np.cumsum(gaps)
        seg_start = np.maximum.accumulate(np.where(first, np.arange(total), 0))
        offset = csum - csum[seg_start]
        created = day_start_us + (start_s[sess] * 1e6).astype(np.int64) + offset
        # Stamped in whole milliseconds, as the SDK stamps events (Date.now()).
        created -= created % 1000
        # Ids are drawn in visit order, so they do not depend on the output order below.
        # A session id is its start in ms (rows.session_id_at). The draw that once made random
        # session ids stays, so every later draw (event ids) is what it was for a seed.
        _id_bits(rng, n, salt)
        session_ids = _session_ids((day_start_us + (start_s * 1e6).astype(np.int64)) // 1000)
        event_ids = _compact_ids(created, _id_bits(rng, total, salt))
        kept = np.flatnonzero(created < window_end_us)
        # Output in the table's sort-key order: ClickHouse skips sorting an already sorted block.
        sel = kept[np.lexsort((created[kept], etype[kept]))]
        v = visitor[sess[sel]]
        et = etype[sel]
        login_member = np.where((logged_in | signup)[sess[sel]] & (et != SESSION_START) & (et != MESSAGE_CLICK),
                                member_no[v], -1)
        codes = {k: ev[k][sel] for k in _CODED if k != "delay"}
        assert codes["url"].max(initial=0) < n_urls
        yield Batch(
            day=day, client_id=client_id, n=int(sel.size),
            event_id=np.ascontiguousarray(event_ids[sel]), uuid=np.ascontiguousarray(pool_uuid[v]),
            session_id=np.ascontiguousarray(session_ids[sess[sel]]), event_type=et.astype(np.uint8),
            created_at_us=created[sel], codes=codes, member=login_member,
            device=pool_device[v], source=source[sess[sel]], sources=sources,
            order_numbers=order_numbers, order_dates=order_dates, products=products,
        )


def _local_midnight_us(day: date, zone: ZoneInfo) -> int:
    local = datetime(day.year, day.month, day.day, tzinfo=zone)
    return int(local.astimezone(timezone.utc).timestamp()) * 1_000_000
