"""What other apps may call in customers (DESIGN.md §2): whether a shop's RFM segments exist and
who is in one, as plain values (the audience builder's RFM filter resolves through these)."""
from __future__ import annotations

from tenants.models import Client

from . import selectors


def rfm_scored(*, client: Client) -> bool:
    """Whether this shop's RFM segments have been fitted (until then the RFM filter has no data)."""
    return selectors.latest_model(client=client) is not None


def customer_keys_in_segment(*, client: Client, segment_name: str) -> list[str]:
    """Customer keys (Cafe24 member id, or a guest's visitor uuid) now in an RFM segment, by code
    ("vip", "mid", "low", "dormant") or by the shop's own segment name; [] for an unknown name."""
    return selectors.customer_keys_in_segment(client=client, segment_name=segment_name)
