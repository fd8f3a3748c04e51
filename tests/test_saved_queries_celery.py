"""Runs go through a real Celery worker (in-memory broker, not eager): POST .../run answers 202,
the worker executes the run, the page's polling endpoint shows it finish, an audit entry is kept."""
import time

import pytest

import insights.tasks  # noqa: F401  - registers the shared tasks before the test app finalizes
from insights.saved_queries import services
from insights.models import QueryRun
from tenants.models import AuditEntry
from tests.ask_support import bulk_views, daily_views_ir, product_viewers, viewers_ir

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def wait_finished(api, url, timeout=30.0):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        body = api.get(url).json()
        seen.append(body["status"])
        if body["status"] in ("succeeded", "failed"):
            return body, seen
        time.sleep(0.1)
    raise AssertionError(f"run did not finish: {seen[-5:]}")


def test_run_through_the_worker_succeeds_and_is_audited(celery_worker, login, marketer, shop):
    mine = product_viewers(shop, 3, day=shop.today())
    sq = services.saved_query_create(client=shop, name="오늘 조회자", ir=viewers_ir(), owner=marketer)
    api = login(marketer)

    res = api.post(f"/api/v1/clients/{shop.pk}/queries/{sq.pk}/run")
    assert res.status_code == 202, res.content
    body = res.json()
    assert body["status"] == "queued" and body["run_id"]

    done, seen = wait_finished(api, body["url"])
    assert done["status"] == "succeeded", done
    assert done["progress"] == 100 and done["row_count"] == 3
    assert sorted(r[0] for r in done["result"]["rows"]) == mine
    assert done["window"]["end"] == shop.today().isoformat()

    run = QueryRun.objects.get(pk=body["run_id"])
    assert run.started_at and run.finished_at and run.rows_read > 0
    entry = AuditEntry.objects.get(client=shop, action="query.run")
    assert entry.actor == marketer and entry.details["run_id"] == run.pk

    history = api.get(f"/api/v1/clients/{shop.pk}/queries/{sq.pk}/runs").json()["results"]
    assert [h["id"] for h in history] == [run.pk]


def test_clickhouse_timeout_in_the_worker_fails_the_run_in_korean(celery_worker, login, viewer, shop, settings):
    bulk_views(shop, 400_000, day=shop.today())
    settings.INSIGHTS_QUERY_SETTINGS = {"max_execution_time": 0.001, "timeout_overflow_mode": "throw"}
    sq = services.saved_query_create(client=shop, name="일별 조회", ir=daily_views_ir())
    api = login(viewer)  # running is a read: a viewer may start a run
    res = api.post(f"/api/v1/clients/{shop.pk}/queries/{sq.pk}/run")
    assert res.status_code == 202
    done, _seen = wait_finished(api, res.json()["url"])
    assert done["status"] == "failed"
    assert "시간 제한" in done["error"] and "result" not in done
    assert AuditEntry.objects.get(action="query.run").details["status"] == "failed"
