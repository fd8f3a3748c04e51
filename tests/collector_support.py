"""Helpers for collector tests: run the real ASGI app in-process over httpx."""
import asyncio
import uuid

import httpx
import redis

from events.collector.app import Collector
from events.ingest import flusher


def call(requests, app=None):
    """Send [(method, path, kwargs), ...] to a fresh collector in one event loop; return responses."""

    async def go():
        collector = app or Collector()
        try:
            transport = httpx.ASGITransport(app=collector)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return [await c.request(method, path, **kw) for method, path, kw in requests]
        finally:
            await collector.reset()

    return asyncio.run(go())


def post(path, **kw):
    return call([("POST", path, kw)])[0]


def key_headers(client, **extra):
    return {"X-Untitle-Key": client.ingest_key, **extra}


def event(**fields):
    base = {"event_type": 82, "uuid": str(uuid.uuid4()), "product_id": "3", "event_id": str(uuid.uuid4())}
    base.update(fields)
    return base


def use_spool(settings, tmp_path):
    settings.COLLECTOR_BUFFER = "spool"
    settings.VAR_DIR = tmp_path
    return flusher.get_buffer()


def use_redis(settings):
    assert settings.REDIS_URL, "bin/test sets REDIS_URL (this engineer's Redis db)"
    settings.COLLECTOR_BUFFER = "redis"
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    return flusher.get_buffer()
