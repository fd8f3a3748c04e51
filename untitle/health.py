"""/healthz: liveness of what the product needs, for load balancers and the embedded run's
start-up wait. The database, the event store, and Redis when configured; 200 when all answer,
503 naming the one that does not. No auth.

It checks the whole system, so it sits at the composition root (it may import every app),
not in tenants, which no other app's store may be reached from.
"""
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from events import clickhouse


def healthz(request):
    checks = {"database": _check(_db_ok), "clickhouse": _check(_clickhouse_ok)}
    if settings.REDIS_URL:
        checks["redis"] = _check(_redis_ok)
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)


def _check(fn) -> dict:
    try:
        fn()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True}


def _db_ok():
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()


def _clickhouse_ok():
    clickhouse.query("SELECT 1")


def _redis_ok():
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
