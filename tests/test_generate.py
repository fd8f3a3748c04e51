"""generate_events: deterministic, realistic synthetic traffic (events/generate.py)."""
import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from events import clickhouse
from events.generate import KEYWORDS, facts, generate

END = date(2025, 8, 31)
KST = ZoneInfo("Asia/Seoul")


def _concat(batches):
    keys = ("event_type", "created_at_us", "member")
    out = {k: np.concatenate([getattr(b, k) for b in batches]) for k in keys}
    out["uuid"] = np.concatenate([b.uuid for b in batches]).view("V16").ravel()
    out["session"] = np.concatenate([b.session_id for b in batches]).view("V16").ravel()
    out["event_id"] = np.concatenate([b.event_id for b in batches]).view("V16").ravel()
    for k in ("product", "order", "keyword", "tracking"):
        out[k] = np.concatenate([b.codes[k] for b in batches])
    return out


@pytest.fixture(scope="module")
def month():
    return _concat(list(generate(client_id=7, days=28, visitors=600, seed=3, end=END)))


def test_same_seed_gives_identical_events_and_other_seed_does_not():
    a = [b.to_arrow() for b in generate(client_id=7, days=3, visitors=200, seed=11, end=END)]
    b = [b.to_arrow() for b in generate(client_id=7, days=3, visitors=200, seed=11, end=END)]
    c = [b.to_arrow() for b in generate(client_id=7, days=3, visitors=200, seed=12, end=END)]
    assert [t.num_rows for t in a] == [t.num_rows for t in b]
    assert all(x.equals(y) for x, y in zip(a, b))
    assert not all(x.equals(y) for x, y in zip(a, c))


def test_other_client_same_seed_gets_same_traffic_but_its_own_ids():
    a = _concat(list(generate(client_id=1, days=2, visitors=200, seed=5, end=END)))
    b = _concat(list(generate(client_id=2, days=2, visitors=200, seed=5, end=END)))
    assert np.array_equal(a["event_type"], b["event_type"])
    assert np.array_equal(a["created_at_us"], b["created_at_us"])
    assert not set(a["event_id"].tolist()) & set(b["event_id"].tolist())


def test_events_stay_inside_the_local_window(month):
    lo = datetime(2025, 8, 4, tzinfo=KST).timestamp() * 1e6
    hi = datetime(2025, 9, 1, tzinfo=KST).timestamp() * 1e6
    assert month["created_at_us"].min() >= lo
    assert month["created_at_us"].max() < hi
    assert len(set(month["event_id"].tolist())) == len(month["event_id"])


def test_visitor_to_order_conversion_is_plausible(month):
    visitors = len(np.unique(month["uuid"]))
    buyers = len(np.unique(month["uuid"][month["event_type"] == 62]))
    assert 0.01 <= buyers / visitors <= 0.03
    visits = int((month["event_type"] == 1).sum())
    lines = month["event_type"] == 62
    # One order per visit; a session is (visitor, session id): the id is the start in ms.
    orders = len(set(zip(month["uuid"][lines].tolist(), month["session"][lines].tolist())))
    assert 0.01 <= orders / visits <= 0.03
    # Some buyers come back and buy again.
    per_buyer = {}
    lines = month["event_type"] == 62
    for u, s in zip(month["uuid"][lines].tolist(), month["session"][lines].tolist()):
        per_buyer.setdefault(u, set()).add(s)
    assert sum(len(v) > 1 for v in per_buyer.values()) >= 3


def test_evenings_are_busy_nights_quiet_and_sunday_beats_saturday(month):
    starts = month["created_at_us"][month["event_type"] == 1]
    local = [datetime.fromtimestamp(t / 1e6, KST) for t in starts.tolist()]
    hours = np.bincount([d.hour for d in local], minlength=24)
    assert hours[20:23].sum() > 4 * hours[3:6].sum()
    weekdays = np.bincount([d.weekday() for d in local], minlength=7)
    assert weekdays[6] > weekdays[5]


def test_product_popularity_is_zipf(month):
    views = month["product"][month["event_type"] == 82]
    share = np.bincount(views) / len(views)
    assert share.argmax() == 0  # product "1" is the most viewed
    assert 0.12 < share[0] < 0.25
    assert share[0] > 1.6 * share[1] > share[2]
    assert np.sort(share)[::-1][:10].sum() > 0.4


def test_every_order_line_follows_a_view_and_a_cart_of_that_product(month):
    et, uu, pr, ts = month["event_type"], month["uuid"], month["product"], month["created_at_us"]
    first_seen = {}
    for kind in (82, 41):
        idx = np.flatnonzero(et == kind)
        for u, p, t in zip(uu[idx].tolist(), pr[idx].tolist(), ts[idx].tolist()):
            key = (kind, u, p)
            first_seen[key] = min(first_seen.get(key, t), t)
    lines = np.flatnonzero(et == 62)
    assert len(lines) > 20
    for u, p, t in zip(uu[lines].tolist(), pr[lines].tolist(), ts[lines].tolist()):
        assert first_seen[(82, u, p)] < t
        assert first_seen[(41, u, p)] < t


def test_funnel_rates_and_members(month):
    et = month["event_type"]
    views, carts, checkouts = (et == 82).sum(), (et == 41).sum(), (et == 61).sum()
    assert 0.06 < carts / views < 0.11
    assert (et == 62).sum() > 0 and (et == 63).sum() > 0
    logged = month["member"][et == 10]
    assert len(logged) > 0 and (logged > 0).all()
    visits_with_login = len(set(zip(month["uuid"][et == 10].tolist(), month["session"][et == 10].tolist())))
    assert 0.1 < visits_with_login / (et == 1).sum() < 0.3
    assert checkouts < carts


def test_campaign_bursts_bring_message_clicks_on_their_day(month):
    clicks = month["created_at_us"][month["event_type"] == 102]
    days = {datetime.fromtimestamp(t / 1e6, KST).date() for t in clicks.tolist()}
    # 28-day window starting 2025-08-04: campaigns on day 11 (20:00) and day 22 (11:00)
    assert days <= {date(2025, 8, 15), date(2025, 8, 16), date(2025, 8, 26)}
    assert len(clicks) > 150
    announced = facts(days=28, end=END)["campaigns"]
    assert [(c["tracking_id"], c["date"], c["local_hour"]) for c in announced] == [
        ("cmp-1", "2025-08-15", 20), ("cmp-2", "2025-08-26", 11)]
    # The burst: the hour after the push is the busiest hour of the window.
    starts = month["created_at_us"][month["event_type"] == 1]
    by_hour = np.bincount(((starts - starts.min()) // 3_600_000_000).astype(np.int64))
    busiest = datetime.fromtimestamp((starts.min() + by_hour.argmax() * 3_600_000_000) / 1e6, KST)
    assert busiest.date() == date(2025, 8, 15) and busiest.hour in (19, 20, 21)


def test_searches_use_the_documented_keywords(month):
    kw = month["keyword"][month["event_type"] == 20]
    assert len(kw) > 100 and kw.min() >= 0 and kw.max() < len(KEYWORDS)
    assert np.bincount(kw).argmax() == 0


@pytest.mark.django_db
def test_command_inserts_the_window_and_is_a_no_op_when_rerun(shop, other_shop, capsys):
    call_command("generate_events", client_id=shop.pk, days=3, visitors=150, seed=4, end="2025-08-31",
                 format="json")
    out = json.loads(capsys.readouterr().out)
    assert out["events"] > 1000 and out["skipped"] is False
    assert (out["start"], out["end"]) == ("2025-08-29", "2025-08-31")

    def stats(client):
        return clickhouse.query(
            "SELECT count(), min(created_at), max(created_at), uniqExact(event_id),"
            " countIf(event_type = 62 AND order_id IS NOT NULL AND amount = price * product_quantity),"
            " countIf(event_type = 62), countIf(login_id IS NOT NULL AND NOT match(login_id, '^member[0-9]{4,}$'))"
            " FROM event WHERE client_id = {cid:Int32}", {"cid": client.pk}).rows[0]

    n, lo, hi, uniq, good_lines, lines, bad_logins = stats(shop)
    assert n == out["events"] == uniq
    assert lo >= datetime(2025, 8, 28, 15, tzinfo=timezone.utc).replace(tzinfo=None)
    assert hi < datetime(2025, 8, 31, 15, tzinfo=timezone.utc).replace(tzinfo=None)
    assert lines > 0 and good_lines == lines and bad_logins == 0

    call_command("generate_events", client_id=shop.pk, days=3, visitors=150, seed=4, end="2025-08-31",
                 format="json")
    again = json.loads(capsys.readouterr().out)
    assert again["skipped"] is True and again["events"] == 0
    assert stats(shop)[0] == n

    call_command("generate_events", client_id=other_shop.pk, days=3, visitors=150, seed=4, end="2025-08-31",
                 format="json")
    assert json.loads(capsys.readouterr().out)["events"] == n
    shared = clickhouse.query(
        "SELECT count() FROM event AS a INNER JOIN (SELECT event_id FROM event WHERE client_id = {b:Int32}) AS b"
        " ON a.event_id = b.event_id WHERE a.client_id = {a:Int32}", {"a": shop.pk, "b": other_shop.pk}).rows[0][0]
    assert shared == 0


@pytest.mark.django_db
def test_command_without_end_writes_nothing_in_the_future(shop, capsys):
    call_command("generate_events", client_id=shop.pk, days=2, visitors=100, seed=1, format="json")
    out = json.loads(capsys.readouterr().out)
    assert out["end"] == datetime.now(KST).date().isoformat()
    latest = clickhouse.query("SELECT max(created_at) FROM event WHERE client_id = {cid:Int32}",
                              {"cid": shop.pk}).rows[0][0]
    assert latest <= datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=1)


@pytest.mark.django_db
@pytest.mark.parametrize("args, message", [
    ({"client_id": 999999}, "no client with id 999999"),
    ({"days": 0}, "--days must be between 1"),
    ({"visitors": -5}, "--visitors must be between 1"),
    ({"end": "31/08/2025"}, "--end must be a date YYYY-MM-DD"),
    ({"end": "2999-01-01"}, "--end must not be after today"),
    ({"seed": -1}, "--seed must be a non-negative integer"),
])
def test_command_rejects_bad_input_with_one_line(shop, args, message):
    opts = {"client_id": shop.pk, "days": 1, "visitors": 10, "seed": 1, **args}
    with pytest.raises(CommandError) as exc:
        call_command("generate_events", **opts)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert re.match(r"^[^\n]+$", str(exc.value))


def test_generated_ids_use_the_stored_id_layout():
    from events.generate import _compact_ids, _session_ids
    from events.ingest.rows import _COMPACT, compact_id, session_id_at, session_start_ms

    rng = np.random.default_rng(0)
    micros = rng.integers(1_600_000_000_000_000, 1_800_000_000_000_000, 50)
    bits = rng.integers(0, 1 << 58, 50, dtype=np.uint64)
    ids = _compact_ids(micros, bits)
    assert [str(uuid.UUID(bytes=b.tobytes())) for b in ids] == [compact_id(int(m), int(b))
                                                                for m, b in zip(micros, bits)]
    batch = next(generate(client_id=3, days=1, visitors=50, seed=1, end=END))
    for i in (0, batch.n // 2, batch.n - 1):
        assert _COMPACT.fullmatch(str(uuid.UUID(bytes=batch.event_id[i].tobytes())))
        assert session_start_ms(str(uuid.UUID(bytes=batch.session_id[i].tobytes()))) is not None
    ms = rng.integers(1_600_000_000_000, 1_800_000_000_000, 50)
    assert [str(uuid.UUID(bytes=b.tobytes())) for b in _session_ids(ms)] == [session_id_at(int(m)) for m in ms]


def test_a_generated_session_id_is_its_session_start_in_ms():
    from events.ingest.rows import session_start_ms

    batches = list(generate(client_id=3, days=1, visitors=200, seed=2, end=END))
    month = _concat(batches)
    start = month["event_type"] == 1
    sessions = {(u, s): t for u, s, t in zip(month["uuid"][start].tolist(), month["session"][start].tolist(),
                                             month["created_at_us"][start].tolist())}
    assert len(sessions) == int(start.sum())  # (visitor, session id) names one visit
    for (u, s), t in sessions.items():
        assert session_start_ms(str(uuid.UUID(bytes=bytes(s)))) == t // 1000
    # Every event of a visit carries the id of a session_start of its visitor at or before it.
    for u, s, t in zip(month["uuid"].tolist(), month["session"].tolist(), month["created_at_us"].tolist()):
        assert (u, s) in sessions and sessions[(u, s)] <= t
