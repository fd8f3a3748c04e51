"""The 질문하기 pages as served: who may open them, what the page hands its script."""
import json

import pytest

from insights.saved_queries import services
from tests.ask_support import viewers_ir

pytestmark = pytest.mark.django_db


def page_config(res) -> dict:
    html = res.content.decode()
    start = html.index('id="ask-config"')
    start = html.index(">", start) + 1
    return json.loads(html[start:html.index("</script>", start)])


def test_ask_page_for_a_viewer_has_no_save_form_and_points_at_this_clients_api(login, viewer, shop):
    res = login(viewer).get(f"/c/{shop.slug}/ask/")
    assert res.status_code == 200
    html = res.content.decode()
    assert 'id="ask-question"' in html and 'id="save-form"' not in html
    cfg = page_config(res)
    assert cfg["urls"]["ask"] == f"/api/v1/clients/{shop.pk}/ask"
    assert cfg["text"]["events"]["product_view"] == "상품 조회"


def test_marketer_sees_the_save_form_and_a_saved_query_preset(login, marketer, shop):
    sq = services.saved_query_create(client=shop, name="저장", question="q", ir=viewers_ir())
    res = login(marketer).get(f"/c/{shop.slug}/ask/?saved={sq.pk}")
    assert 'id="save-form"' in res.content.decode()
    assert page_config(res)["preset"]["ir"]["kind"] == "A"


def test_other_clients_pages_and_saved_queries_are_404(login, marketer, shop, other_shop):
    theirs = services.saved_query_create(client=other_shop, name="남의 것", ir=viewers_ir())
    api = login(marketer)
    assert api.get(f"/c/{other_shop.slug}/ask/").status_code == 404
    assert api.get(f"/c/{shop.slug}/ask/?saved={theirs.pk}").status_code == 404
    assert api.get(f"/c/{shop.slug}/ask/saved/{theirs.pk}/").status_code == 404
    listing = api.get(f"/c/{shop.slug}/ask/saved/").content.decode()
    assert "남의 것" not in listing


def test_saved_pages_show_history(login, viewer, shop):
    sq = services.saved_query_create(client=shop, name="기록 보기", ir=viewers_ir())
    services.query_run_start(saved_query=sq, enqueue=False)
    api = login(viewer)
    assert "기록 보기" in api.get(f"/c/{shop.slug}/ask/saved/").content.decode()
    detail = api.get(f"/c/{shop.slug}/ask/saved/{sq.pk}/").content.decode()
    assert 'data-status="queued"' in detail and "대기 중" in detail


def test_anonymous_is_sent_to_login(client, shop):
    res = client.get(f"/c/{shop.slug}/ask/")
    assert res.status_code == 302 and "login" in res["Location"]


def test_absurdly_nested_rules_are_refused_not_crashed(login, viewer, shop):
    node = {"type": "event", "event": "product_view"}
    for _ in range(400):
        node = {"type": "not", "item": node}
    res = login(viewer).post(f"/api/v1/clients/{shop.pk}/ask", {"ir": {"kind": "A", "audience": node}},
                             content_type="application/json")
    assert res.status_code == 400 and "중첩" in res.json()["detail"]
