"""POST /api/v1/clients/<id>/ask and /sql: roles, paging, tenant isolation, Korean errors."""
import uuid
from datetime import date

import pytest

from tenants.models import Role
from tests.ask_support import daily_views_ir, local, product_viewers, put, viewers_ir
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def ask_url(client):
    return f"/api/v1/clients/{client.pk}/ask"


def test_viewer_may_ask_and_gets_the_answer(login, viewer, shop, other_shop):
    mine = product_viewers(shop, 2)
    product_viewers(other_shop, 2)
    api = login(viewer)
    res = api.post(ask_url(shop), {"question": "최근 7일 동안 상품 3을 본 사람", "engine": "offline",
                                   "today": "2025-08-08"}, content_type="application/json")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["kind"] == "A"
    assert sorted(r[0] for r in body["rows"]) == mine
    assert body["window"]["start"] == "2025-08-01"
    assert body["row_count"] == 2 and body["page"] == 1


def test_audience_pages_hold_disjoint_rows_and_member_ids(login, marketer, shop):
    mine = product_viewers(shop, 5)
    put(shop, uuid.UUID(mine[3]), 10, local(date(2025, 8, 6)), login_id="lee7")
    api = login(marketer)
    seen = []
    for page in (1, 2, 3):
        res = api.post(ask_url(shop), {"ir": viewers_ir(), "today": "2025-08-08", "page": page, "page_size": 2},
                       content_type="application/json")
        body = res.json()
        assert body["num_pages"] == 3 and body["row_count"] == 5
        seen += body["rows"]
    assert sorted(r[0] for r in seen) == mine  # stable order across pages: each visitor exactly once
    members = {r[0]: r[1] for r in seen}
    assert members[mine[3]] == "lee7"


def test_time_series_answer_is_not_paged(login, viewer, shop):
    product_viewers(shop, 2, day=date(2025, 8, 2))
    body = login(viewer).post(ask_url(shop), {"ir": daily_views_ir(), "today": "2025-08-08", "page_size": 1},
                              content_type="application/json").json()
    assert body["kind"] == "B" and len(body["rows"]) >= 1
    assert body["columns"][0] == "day"


@pytest.mark.parametrize("payload, fragment", [
    ({"question": ""}, "질문을 입력해 주세요"),
    ({"question": "가" * 501}, "질문이 너무 깁니다"),
    ({"question": "방문자 수", "engine": "chatgpt"}, "알 수 없는 엔진"),
    ({"question": "방문자 수", "today": "어제"}, "날짜 형식"),
    ({"ir": {"kind": "A"}}, "규칙이 올바르지 않습니다"),
    ({"question": "방문자 수", "page": "x"}, "숫자"),
])
def test_bad_requests_are_400_with_a_korean_message(login, viewer, shop, payload, fragment):
    res = login(viewer).post(ask_url(shop), {"engine": "offline", **payload}, content_type="application/json")
    assert res.status_code == 400
    assert fragment in res.json()["detail"]


def test_rules_cannot_name_another_client(login, viewer, shop, other_shop):
    product_viewers(other_shop, 3)
    ir = {**viewers_ir(), "client_id": other_shop.pk}
    res = login(viewer).post(ask_url(shop), {"ir": ir, "today": "2025-08-08"}, content_type="application/json")
    assert res.status_code == 400 and "규칙이 올바르지 않습니다" in res.json()["detail"]
    # A product id that smuggles SQL is only ever a bound value: no rows, no error.
    ir = viewers_ir("3' OR client_id != 0 OR '1'='1")
    res = login(viewer).post(ask_url(shop), {"ir": ir, "today": "2025-08-08"}, content_type="application/json")
    assert res.status_code == 200 and res.json()["rows"] == []


def test_other_clients_ask_endpoint_is_404_and_anonymous_is_refused(login, viewer, shop, other_shop, client):
    assert client.post(ask_url(shop), {"question": "방문자 수"}, content_type="application/json").status_code in (401, 403)
    res = login(viewer).post(ask_url(other_shop), {"question": "방문자 수"}, content_type="application/json")
    assert res.status_code == 404


# --- raw SQL ------------------------------------------------------------------------------

def sql_url(client):
    return f"/api/v1/clients/{client.pk}/sql"


def test_raw_sql_needs_marketer_and_reads_only_this_shop(login, shop, other_shop):
    product_viewers(shop, 2)
    product_viewers(other_shop, 6)
    viewer = make_member(shop, Role.VIEWER)
    res = login(viewer).post(sql_url(shop), {"sql": "SELECT count() FROM event"}, content_type="application/json")
    assert res.status_code == 403
    assert "마케터" in res.json()["detail"]

    marketer = make_member(shop, Role.MARKETER)
    res = login(marketer).post(sql_url(shop), {"sql": "SELECT count() AS n FROM event WHERE event_type = 82"},
                               content_type="application/json")
    assert res.status_code == 200, res.content
    assert res.json()["rows"] == [[2]]


@pytest.mark.parametrize("sql", [
    "SELECT count() FROM event WHERE client_id = 999999",
    "SELECT * FROM system.tables",
    "INSERT INTO event (client_id) VALUES (1)",
    "SELECT 1; DROP TABLE event",
    "SELECT * FROM url('http://127.0.0.1:1/x', CSV)",
    "SELECT * FROM event SETTINGS readonly = 0",
    "SELECT * FROM event INTO OUTFILE '/tmp/x'",
    "",
])
def test_raw_sql_attacks_never_return_another_shops_rows(login, marketer, shop, other_shop, sql):
    product_viewers(other_shop, 3)
    res = login(marketer).post(sql_url(shop), {"sql": sql}, content_type="application/json")
    if res.status_code == 200:
        assert res.json()["rows"] in ([[0]], [])  # rewritten to this shop, which has no rows
    else:
        assert res.status_code == 400
        assert res.json()["detail"] and not res.json()["detail"].isascii()


def test_store_down_is_503_with_a_korean_message(login, viewer, shop, settings):
    settings.CLICKHOUSE_URL = "http://default:@127.0.0.1:9/default"  # nothing listens on the discard port
    res = login(viewer).post(ask_url(shop), {"ir": viewers_ir(), "today": "2025-08-08"},
                             content_type="application/json")
    assert res.status_code == 503
    assert res.json()["detail"] == "데이터 저장소에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."
