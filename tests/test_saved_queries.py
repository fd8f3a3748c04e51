"""Saved queries: CRUD through the API with roles and tenant isolation, beat schedules kept in
step, runs executed by the service (the Celery path is in test_saved_queries_celery.py)."""
import json

import pytest
from django_celery_beat.models import PeriodicTask

from insights.saved_queries import services
from insights.models import QueryRun, SavedQuery
from insights.errors import AskError
from tenants.models import AuditEntry
from tests.ask_support import bulk_views, daily_views_ir, product_viewers, viewers_ir

pytestmark = pytest.mark.django_db


def queries_url(client):
    return f"/api/v1/clients/{client.pk}/queries/"


def save(api, client, **body):
    return api.post(queries_url(client), {"name": "상품 3 조회자", "ir": viewers_ir(), **body},
                    content_type="application/json")


def test_marketer_saves_and_lists_viewer_cannot_save(login, marketer, viewer, shop):
    res = save(login(marketer), shop, question="최근 7일 동안 상품 3을 본 사람")
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["name"] == "상품 3 조회자" and body["ir"]["kind"] == "A" and body["owner"] == marketer.username
    assert AuditEntry.objects.filter(client=shop, action="query.create").count() == 1

    api = login(viewer)
    listed = api.get(queries_url(shop)).json()["results"]
    assert [q["name"] for q in listed] == ["상품 3 조회자"]
    res = save(api, shop, name="뷰어가 저장")
    assert res.status_code == 403
    assert res.json()["detail"] == "이 작업에는 마케터 이상의 역할이 필요합니다."
    assert not SavedQuery.objects.filter(name="뷰어가 저장").exists()


def test_viewer_cannot_change_or_delete_but_may_read(login, viewer, shop):
    sq = services.saved_query_create(client=shop, name="원래 이름", ir=viewers_ir())
    api = login(viewer)
    url = f"{queries_url(shop)}{sq.pk}"
    assert api.get(url).json()["name"] == "원래 이름"
    assert api.patch(url, {"name": "바꿈"}, content_type="application/json").status_code == 403
    assert api.delete(url).status_code == 403
    assert SavedQuery.objects.get(pk=sq.pk).name == "원래 이름"


def test_saving_from_a_question_stores_the_ir_it_became(login, marketer, shop):
    res = login(marketer).post(queries_url(shop), {"name": "q", "question": "최근 7일 동안 상품 3을 본 사람",
                                                   "engine": "offline"}, content_type="application/json")
    assert res.status_code == 201, res.content
    assert res.json()["ir"]["kind"] == "A"


@pytest.mark.parametrize("body, fragment, status", [
    ({"name": ""}, "이름을 입력해 주세요", 400),
    ({"schedule": "every monday"}, "cron", 400),
    ({"schedule": "61 9 * * *"}, "일정(cron)이 올바르지 않습니다", 400),
    ({"ir": {"kind": "C", "reason": "날씨는 기록되지 않습니다"}}, "저장할 수 없습니다", 400),
    ({"ir": {"kind": "B"}}, "규칙이 올바르지 않습니다", 400),
])
def test_bad_saved_query_is_refused_and_nothing_is_saved(login, marketer, shop, body, fragment, status):
    res = save(login(marketer), shop, **body)
    assert res.status_code == status
    assert fragment in res.json()["detail"]
    assert SavedQuery.objects.count() == 0
    assert not PeriodicTask.objects.filter(name__startswith="saved-query-").exists()


def test_duplicate_name_is_409(login, marketer, shop):
    api = login(marketer)
    assert save(api, shop).status_code == 201
    res = save(api, shop)
    assert res.status_code == 409 and "같은 이름" in res.json()["detail"]


def test_schedule_creates_updates_and_removes_the_beat_task(login, marketer, shop):
    api = login(marketer)
    sq_id = save(api, shop, schedule="0 9 * * 1").json()["id"]
    task = PeriodicTask.objects.get(name=f"saved-query-{sq_id}")
    assert task.task == "insights.tasks.run_scheduled_query" and json.loads(task.args) == [sq_id]
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "9", "1")
    assert str(task.crontab.timezone) == shop.timezone

    res = api.patch(f"{queries_url(shop)}{sq_id}", {"schedule": "30 7 * * *"}, content_type="application/json")
    assert res.status_code == 200 and res.json()["schedule"] == "30 7 * * *"
    task.refresh_from_db()
    assert (task.crontab.minute, task.crontab.hour) == ("30", "7")

    # A bad new schedule leaves the old one in place.
    res = api.patch(f"{queries_url(shop)}{sq_id}", {"schedule": "nope"}, content_type="application/json")
    assert res.status_code == 400
    assert SavedQuery.objects.get(pk=sq_id).schedule == "30 7 * * *"

    api.patch(f"{queries_url(shop)}{sq_id}", {"schedule": ""}, content_type="application/json")
    assert not PeriodicTask.objects.filter(name=f"saved-query-{sq_id}").exists()

    api.patch(f"{queries_url(shop)}{sq_id}", {"schedule": "0 8 1 * *"}, content_type="application/json")
    assert PeriodicTask.objects.filter(name=f"saved-query-{sq_id}").exists()
    assert api.delete(f"{queries_url(shop)}{sq_id}").status_code == 204
    assert not SavedQuery.objects.filter(pk=sq_id).exists()
    assert not PeriodicTask.objects.filter(name=f"saved-query-{sq_id}").exists()


def test_another_clients_saved_query_and_run_are_404(login, marketer, shop, other_shop):
    theirs = services.saved_query_create(client=other_shop, name="남의 것", ir=viewers_ir())
    their_run = services.query_run_start(saved_query=theirs, enqueue=False)
    api = login(marketer)
    base = queries_url(shop)
    assert api.get(f"{base}{theirs.pk}").status_code == 404
    assert api.patch(f"{base}{theirs.pk}", {"name": "x"}, content_type="application/json").status_code == 404
    assert api.delete(f"{base}{theirs.pk}").status_code == 404
    assert api.post(f"{base}{theirs.pk}/run").status_code == 404
    assert api.get(f"{base}{theirs.pk}/runs").status_code == 404
    assert api.get(f"/api/v1/clients/{shop.pk}/runs/{their_run.pk}").status_code == 404
    assert api.get(f"/api/v1/clients/{other_shop.pk}/runs/{their_run.pk}").status_code == 404
    assert api.get(base).json()["results"] == []
    assert SavedQuery.objects.get(pk=theirs.pk).name == "남의 것"
    assert QueryRun.objects.filter(saved_query=theirs).count() == 1


def test_run_succeeds_with_result_history_and_audit(shop, marketer):
    mine = product_viewers(shop, 3, day=shop.today())
    sq = services.saved_query_create(client=shop, name="조회자", ir=viewers_ir(), owner=marketer)
    run = services.query_run_start(saved_query=sq, user=marketer, enqueue=False)
    assert run.status == QueryRun.Status.QUEUED

    run = services.query_run_execute(run_id=run.pk)
    assert run.status == QueryRun.Status.SUCCEEDED and run.progress == 100
    assert run.kind == "A" and run.row_count == 3 and run.rows_read > 0
    assert run.started_at <= run.finished_at and run.duration_ms is not None
    assert sorted(r[0] for r in run.result["rows"]) == mine
    assert run.window_end == shop.today()
    assert run.summary and not run.error
    audit = AuditEntry.objects.get(client=shop, action="query.run")
    assert audit.actor == marketer and audit.details["run_id"] == run.pk and audit.details["status"] == "succeeded"

    # A second delivery of the same task does nothing (idempotent).
    again = services.query_run_execute(run_id=run.pk)
    assert again.finished_at == run.finished_at
    assert AuditEntry.objects.filter(action="query.run").count() == 1


def test_run_orphaned_by_a_dead_worker_is_picked_up_again(shop):
    from datetime import timedelta

    from django.utils import timezone

    product_viewers(shop, 1, day=shop.today())
    sq = services.saved_query_create(client=shop, name="고아 실행", ir=viewers_ir())
    run = services.query_run_start(saved_query=sq, enqueue=False)
    QueryRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now() - timedelta(seconds=30))
    assert services.query_run_execute(run_id=run.pk).status == "running"  # maybe still going: leave it
    QueryRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=1))
    done = services.query_run_execute(run_id=run.pk)
    assert done.status == "succeeded" and done.row_count == 1


def test_large_audience_is_kept_in_a_clickhouse_table_and_paged_from_it(login, marketer, shop, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.INSIGHTS_RUN_INLINE_ROWS = 4
    mine = product_viewers(shop, 9, day=shop.today())
    sq = services.saved_query_create(client=shop, name="큰 대상", ir=viewers_ir(), owner=marketer)
    run = services.query_run_execute(run_id=services.query_run_start(saved_query=sq, enqueue=False).pk)
    assert run.result_table == f"query_result_{run.pk}"
    assert len(run.result["rows"]) == 4 and run.row_count == 9

    api = login(marketer)
    got = []
    for page in (1, 2, 3):
        body = api.get(f"/api/v1/clients/{shop.pk}/runs/{run.pk}?page={page}&page_size=4").json()
        assert body["result"]["row_count"] == 9 and body["result"]["num_pages"] == 3
        got += [r[0] for r in body["result"]["rows"]]
    assert sorted(got) == mine

    with django_capture_on_commit_callbacks(execute=True):
        services.saved_query_delete(saved_query=sq)
    from events import clickhouse
    assert clickhouse.query("EXISTS TABLE {t:Identifier}", {"t": run.result_table}).rows == [(0,)]


def test_kept_audience_table_honours_did_x_but_not_y(login, marketer, shop, settings):
    """The kept table is built from the same SQL (anti-join and its join setting included)."""
    import uuid

    from tests.ask_support import local, put_many

    settings.INSIGHTS_RUN_INLINE_ROWS = 1
    today = shop.today()
    carted = [uuid.uuid4() for _ in range(5)]
    rows = [(v, 41, local(today, 9), {"product_id": "3"}) for v in carted]
    rows += [(v, 62, local(today, 10), {"product_id": "3", "order_id": f"o{i}", "amount": 1000})
             for i, v in enumerate(carted[:2])]
    put_many(shop, rows)
    ir = {"kind": "A", "audience": {"type": "group", "op": "and", "items": [
        {"type": "event", "event": "cart_add"},
        {"type": "not", "item": {"type": "event", "event": "order_complete"}}]}}
    sq = services.saved_query_create(client=shop, name="장바구니 이탈", ir=ir)
    run = services.query_run_execute(run_id=services.query_run_start(saved_query=sq, enqueue=False).pk)
    assert run.status == QueryRun.Status.SUCCEEDED and run.result_table
    body = login(marketer).get(f"/api/v1/clients/{shop.pk}/runs/{run.pk}?page_size=10").json()
    assert sorted(r[0] for r in body["result"]["rows"]) == sorted(str(v) for v in carted[2:])
    assert body["result"]["row_count"] == 3


def test_only_the_newest_kept_tables_survive_repeated_runs(shop, settings, django_capture_on_commit_callbacks):
    from events import clickhouse

    settings.INSIGHTS_RUN_INLINE_ROWS, settings.INSIGHTS_KEPT_RESULT_TABLES = 1, 1
    product_viewers(shop, 3, day=shop.today())
    sq = services.saved_query_create(client=shop, name="매주 대상", ir=viewers_ir())
    first = services.query_run_execute(run_id=services.query_run_start(saved_query=sq, enqueue=False).pk)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.query_run_execute(run_id=services.query_run_start(saved_query=sq, enqueue=False).pk)
    first.refresh_from_db()
    assert first.result_table == "" and len(first.result["rows"]) == 1
    assert second.result_table == f"query_result_{second.pk}"
    exists = lambda t: clickhouse.query("EXISTS TABLE {t:Identifier}", {"t": t}).rows[0][0]  # noqa: E731
    assert exists(f"query_result_{first.pk}") == 0 and exists(second.result_table) == 1


def test_clickhouse_timeout_fails_the_run_with_a_korean_message(shop, settings):
    bulk_views(shop, 400_000, day=shop.today())
    settings.INSIGHTS_QUERY_SETTINGS = {"max_execution_time": 0.001, "timeout_overflow_mode": "throw"}
    sq = services.saved_query_create(client=shop, name="일별", ir=daily_views_ir())
    run = services.query_run_execute(run_id=services.query_run_start(saved_query=sq, enqueue=False).pk)
    assert run.status == QueryRun.Status.FAILED
    assert "시간 제한" in run.error
    assert run.result is None and run.result_table == ""
    audit = AuditEntry.objects.get(action="query.run")
    assert audit.details["status"] == "failed" and "TIMEOUT" in audit.details["detail"]


def test_scheduled_tick_records_and_runs(shop):
    product_viewers(shop, 2, day=shop.today())
    sq = services.saved_query_create(client=shop, name="매일", ir=viewers_ir(), schedule="0 9 * * *")
    run = services.query_run_scheduled(saved_query_id=sq.pk)
    assert run.trigger == QueryRun.Trigger.SCHEDULE and run.status == QueryRun.Status.SUCCEEDED
    assert run.row_count == 2
    assert services.query_run_scheduled(saved_query_id=999_999) is None


def test_invalid_stored_ir_fails_the_run_cleanly(shop):
    sq = services.saved_query_create(client=shop, name="깨진 규칙", ir=viewers_ir())
    SavedQuery.objects.filter(pk=sq.pk).update(ir={"kind": "A"})
    run = services.query_run_execute(run_id=services.query_run_start(saved_query=sq, enqueue=False).pk)
    assert run.status == QueryRun.Status.FAILED and "규칙이 올바르지 않습니다" in run.error


def test_service_rejects_bad_schedule_without_side_effects(shop):
    with pytest.raises(AskError):
        services.saved_query_create(client=shop, name="x", ir=viewers_ir(), schedule="* * *")
    assert SavedQuery.objects.count() == 0
    assert services.validate_schedule("  0  9 * * 1 ") == "0 9 * * 1"
