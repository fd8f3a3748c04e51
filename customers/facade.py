"""What other apps may call in customers (DESIGN.md §2): whether a shop's RFM segments exist and
who is in one, and who is predicted to buy again / spend most (issue 22), as plain values (the
audience builder's RFM and prediction filters resolve through these)."""
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


def predictions_scored(*, client: Client) -> bool:
    """Whether this shop's customers carry repurchase predictions yet (the prediction filters' data)."""
    return selectors.predictions_scored(client=client)


def customer_keys_by_prediction(*, client: Client, measure: str, top_percent: int | None = None,
                                min_value: float | None = None) -> list[str]:
    """Customer keys ranked by a prediction ("repurchase_30d", "repurchase_90d" as a probability
    0..1, "expected_revenue_90d" in won): the top ``top_percent`` % of scored customers, or all
    at or above ``min_value``."""
    return selectors.customer_keys_by_prediction(client=client, measure=measure, top_percent=top_percent,
                                                 min_value=min_value)
