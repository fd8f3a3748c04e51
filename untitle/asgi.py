"""One ASGI entry point: the collector's hot paths go to the lean collector app (no Django
request stack), everything else to Django. Production may also run the collector alone
(`events.collector.app:app`) behind its own workers.
"""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "untitle.settings")
django_app = get_asgi_application()

from events.collector.app import COLLECTOR_PATHS, app as collector_app  # noqa: E402  (needs Django set up)


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        return await collector_app(scope, receive, send)
    if scope["type"] == "http" and scope["path"].rstrip("/") in COLLECTOR_PATHS:
        return await collector_app(scope, receive, send)
    return await django_app(scope, receive, send)
