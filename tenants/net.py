"""The client's IP address for lockouts and the audit log.

Behind a reverse proxy REMOTE_ADDR is the proxy, so every failed login would count against one
address. Each trusted proxy appends the address it saw to X-Forwarded-For; with N trusted proxies
the client is the N-th entry from the right. Entries further left are whatever the client sent,
so they are never trusted.
"""
from django.conf import settings


def client_ip_from_meta(meta: dict, trusted_proxies: int) -> str | None:
    remote = meta.get("REMOTE_ADDR") or None
    if trusted_proxies <= 0:
        return remote
    hops = [h.strip() for h in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
    if len(hops) >= trusted_proxies:
        return hops[-trusted_proxies]
    return remote


def client_ip(request) -> str | None:
    if request is None:
        return None
    return client_ip_from_meta(request.META, settings.TRUSTED_PROXY_COUNT)
