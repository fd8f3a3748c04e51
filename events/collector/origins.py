"""Which storefront origins may post events as a shop: its Cafe24 domains plus the origins the
shop added (``Client.allowed_origins``), read once per ingest key and cached by the collector.

Pure (no Django): the collector's hot path, the push-subscription endpoint and ``events.facade``
import it without importing the collector app.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientInfo:
    id: int
    is_active: bool
    exact_origins: frozenset
    suffix_origins: tuple  # ("https://", ".myshop.co.kr") pairs from "https://*.myshop.co.kr"

    def allows(self, origin: str) -> bool:
        if origin in self.exact_origins:
            return True
        for scheme, suffix in self.suffix_origins:
            if origin.startswith(scheme) and origin.endswith(suffix) and "/" not in origin[len(scheme):]:
                return True
        return False


def default_origins(mall_id: str | None) -> set[str]:
    if not mall_id:
        return set()
    return {f"https://{host}{mall_id}.{domain}" for host in ("", "m.") for domain in ("cafe24.com", "cafe24shop.com")}


def client_info_from(row: dict) -> ClientInfo:
    exact = default_origins(row.get("mall_id"))
    suffixes = []
    for entry in row.get("allowed_origins") or []:
        if not isinstance(entry, str):
            continue
        entry = entry.strip().rstrip("/").lower()
        if "://*." in entry:
            scheme, rest = entry.split("*", 1)
            suffixes.append((scheme, rest))
        elif entry:
            exact.add(entry)
    return ClientInfo(row["id"], row["is_active"], frozenset(exact), tuple(suffixes))
