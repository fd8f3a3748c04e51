"""Viewers never see a shopper's member id whole; marketers do (issue 17, finding 4).

Every API and page that can show a member id (a grep of the templates, the scripts and the APIs
for login_id / member_id / customer_key), walked as a viewer and as a marketer:

- ask: ``POST /api/v1/clients/<id>/ask`` (kind A rows and ``member_ids``) and the 질문하기 page
  ``/c/<slug>/ask/`` (it renders that API's answer: static/js/ask.js);
- saved questions: ``GET /api/v1/clients/<id>/runs/<run>`` (a kind A run's result rows and
  ``member_ids``) and the result page ``/c/<slug>/ask/saved/<pk>/`` (static/js/ask_saved.js);
- segments: ``GET .../segments/<pk>/changes`` (entered / left), ``.../export?as=csv|json`` (masked
  for viewers, in ClickHouse), the segment page ``/c/<slug>/audiences/segments/<pk>/``, and the
  builder's live sample ``POST .../audiences/size`` (masked before this change already);
- customers: the overview page ``/c/<slug>/customers/`` (list, chart data, recent moves, Q&A
  answer), the customer page ``/c/<slug>/customers/c/<key>/``, ``GET .../customers/segments?members=``,
  ``GET .../customers/c/<key>`` and the Q&A ``POST .../customers/ask`` (answer text, facts, intent).

A viewer reaches a customer's page through the list's links, which carry an opaque reference
instead of the member id.
"""
from __future__ import annotations

import json
import re

import pytest

from customers import services as customers
from insights.saved_queries import services as saved
from insights.segments import services as segments
from tests.audience_support import shop_story
from tests.customers_support import behaviour, shop_population

pytestmark = pytest.mark.django_db

MEMBERS = ("member0001", "member0002")
MASKED = ("me******01", "me******02")
BUYERS_IR = {"kind": "A", "window": {"type": "default"}, "audience": {"type": "event", "event": "order_complete"}}
VIP = "membervip00"                # a customer key of shop_population(prefix="member")
VIP_MASKED = "me*******00"


@pytest.fixture
def data(shop):
    today = shop.today()
    shop_story(shop, today=today)
    groups = shop_population(shop, n_each=3, prefix="member")
    behaviour(shop, VIP, 41)                    # a VIP who put something in the cart yesterday
    customers.model_fit(client=shop)
    seg = segments.segment_create(client=shop, name="구매자",
                                  rules={"op": "and", "items": [{"filter": "order_count", "params": {"days": 7}}]})
    segments.segment_refresh(segment_id=seg.pk, today=today)
    sq = saved.saved_query_create(client=shop, name="구매자", ir=BUYERS_IR)
    run = saved.query_run_execute(run_id=saved.query_run_start(saved_query=sq, enqueue=False).pk)
    assert run.status == "succeeded"
    return {"today": today, "segment": seg, "saved": sq, "run": run, "groups": groups}


def _text(res) -> str:
    if hasattr(res, "streaming_content"):
        return b"".join(res.streaming_content).decode()
    return res.content.decode()


class Read(str):
    """A response's text, read at once, keeping its status."""

    def __new__(cls, res):
        obj = super().__new__(cls, _text(res))
        obj.status_code = res.status_code
        return obj


def surfaces(shop, data, api):
    """(name, response) for every surface above, fetched with the logged-in test client ``api``."""
    base = f"/api/v1/clients/{shop.pk}"
    seg, sq, run = data["segment"], data["saved"], data["run"]
    out = [  # each response read at once: an unread export stream still holds its concurrency slot
        ("ask API", Read(api.post(f"{base}/ask", {"ir": BUYERS_IR, "today": data["today"].isoformat()},
                             content_type="application/json"))),
        ("ask page", Read(api.get(f"/c/{shop.slug}/ask/"))),
        ("saved run API", Read(api.get(f"{base}/runs/{run.pk}"))),
        ("saved result page", Read(api.get(f"/c/{shop.slug}/ask/saved/{sq.pk}/"))),
        ("segment changes API", Read(api.get(f"{base}/segments/{seg.pk}/changes?kind=entered"))),
        ("segment export csv", Read(api.get(f"{base}/segments/{seg.pk}/export?as=csv"))),
        ("segment export json", Read(api.get(f"{base}/segments/{seg.pk}/export?as=json"))),
        ("segment page", Read(api.get(f"/c/{shop.slug}/audiences/segments/{seg.pk}/"))),
        ("audience size API", Read(api.post(f"{base}/audiences/size", {"rules": seg.rules, "today": data["today"].isoformat()},
                                       content_type="application/json"))),
        ("customers page", Read(api.get(f"/c/{shop.slug}/customers/"))),
        ("customers page, Q&A about one customer", Read(api.get(f"/c/{shop.slug}/customers/",
                                                           {"q": f"고객 {VIP}은 어떤 고객이야?"}))),
        ("customers page, Q&A with behaviour", Read(api.get(f"/c/{shop.slug}/customers/",
                                                       {"q": "VIP 고객 중 최근 장바구니에 담은 사람"}))),
        ("customer page", Read(api.get(f"/c/{shop.slug}/customers/c/{VIP}/"))),
        ("customers segments API", Read(api.get(f"{base}/customers/segments?members=vip"))),
        ("customer API", Read(api.get(f"{base}/customers/c/{VIP}"))),
        ("customer Q&A API", Read(api.post(f"{base}/customers/ask", {"question": f"고객 {VIP}은 어떤 고객이야?"},
                                      content_type="application/json"))),
        ("customer Q&A API, behaviour", Read(api.post(f"{base}/customers/ask",
                                                 {"question": "VIP 고객 중 최근 장바구니에 담은 사람"},
                                                 content_type="application/json"))),
    ]
    for name, res in out:
        assert res.status_code == 200, (name, res.status_code, res[:300])
    return [(name, _not_disclosed(res)) for name, res in out]


def _not_disclosed(text: str) -> str:
    """Drop what shows the reader only what they typed themselves: their question (echoed in the
    form, and in the language form's ``next``, the page's own URL) and the input's example text."""
    text = text.replace(f"고객 {VIP}은 어떤 고객이야", "")
    text = re.sub(r'name="next" value="[^"]*"', "", text)
    return re.sub(r'placeholder="[^"]*"', "", text)


def _leaks(body: str, keys) -> list[str]:
    # a key on its own, not inside a longer id (the test shop's order ids start with the member id)
    return [k for k in keys if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(k)}(?![A-Za-z0-9_-])", body)]


def _all_member_keys(data) -> list[str]:
    return [k for keys in data["groups"].values() for k in keys]


def test_a_viewer_sees_no_member_id_whole_anywhere(shop, viewer, login, data):
    api = login(viewer)
    pages = surfaces(shop, data, api)
    leaks = [(name, key) for name, body in pages for key in _leaks(body, MEMBERS + tuple(_all_member_keys(data)))]
    assert leaks == []
    bodies = dict(pages)
    # ...and still sees that there are members, masked, where the marketer sees them
    for name in ("ask API", "saved run API", "segment changes API", "segment export csv", "segment export json",
                 "audience size API"):
        assert any(m in bodies[name] for m in MASKED), name
    for name in ("customers page", "customer page", "customers segments API", "customer API", "customer Q&A API",
                 "customers page, Q&A about one customer", "customers page, Q&A with behaviour",
                 "customer Q&A API, behaviour"):
        assert VIP_MASKED in bodies[name], name


def test_a_marketer_sees_member_ids_whole(shop, marketer, login, data):
    bodies = dict(surfaces(shop, data, login(marketer)))
    for name in ("ask API", "saved run API", "segment changes API", "segment export csv", "segment export json",
                 "audience size API"):
        assert any(m in bodies[name] for m in MEMBERS), name
    for name in ("customers page", "customer page", "customers segments API", "customer API", "customer Q&A API",
                 "customers page, Q&A about one customer", "customers page, Q&A with behaviour",
                 "customer Q&A API, behaviour"):
        assert VIP in bodies[name], name
    assert VIP_MASKED not in bodies["customer API"]


def test_a_viewer_opens_a_customer_from_the_list_without_learning_the_member_id(shop, viewer, login, data):
    api = login(viewer)
    html = _text(api.get(f"/c/{shop.slug}/customers/?segment=vip"))
    links = re.findall(rf'href="(/c/{shop.slug}/customers/c/[^"]+/)"', html)
    assert links and not any(VIP in link for link in links)
    pages = [_not_disclosed(_text(api.get(link))) for link in links]
    assert any(VIP_MASKED in p for p in pages) and not any(_leaks(p, [VIP]) for p in pages)


def test_viewer_ask_answer_masks_the_member_id_column_too(shop, viewer, login, data):
    """An audience question may answer (uuid, member_id) rows itself: the column is masked."""
    ans = login(viewer).post(f"/api/v1/clients/{shop.pk}/ask", {"ir": BUYERS_IR, "today": data["today"].isoformat()},
                             content_type="application/json").json()
    shown = set(ans.get("member_ids", {}).values())
    if "member_id" in ans["columns"]:
        i = ans["columns"].index("member_id")
        shown |= {r[i] for r in ans["rows"]}
    assert shown & set(MASKED) and not shown & set(MEMBERS)
    assert json.dumps(ans).count("member000") == 0
