"""manage.py segment_customers --client-id ID [--refit] [--as-of YYYY-MM-DD] [--format json|text]

Prints, per customer id: recency (days), frequency (net orders), monetary (net amount), segment
and its probabilities, the predicted chance of ordering within 30 / 90 days and the expected
revenue over 90 days (null when the shop has too few customers), plus a segment summary and the
model version used. Fits a first model
when the client has none (or with --refit a new version). Bad input: one line, exit status 1.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from django.core.management.base import BaseCommand, CommandError

from customers import selectors, services
from customers.models import CustomerModel, CustomerProfile
from tenants.models import Client


class Command(BaseCommand):
    help = "RFM + GMM segments of one client's customers; prints JSON."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", type=int, required=True)
        parser.add_argument("--refit", action="store_true", help="fit a new model version first")
        parser.add_argument("--as-of", help="reference date for recency, YYYY-MM-DD (UTC midnight; default now)")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args, **opts):
        client = Client.objects.filter(pk=opts["client_id"]).first()
        if client is None:
            raise CommandError(f"고객사 {opts['client_id']}을(를) 찾을 수 없습니다 (unknown client id)")
        as_of = None
        if opts.get("as_of"):
            try:
                as_of = datetime.strptime(opts["as_of"], "%Y-%m-%d").replace(tzinfo=timezone.utc)
            except ValueError:
                raise CommandError("--as-of는 YYYY-MM-DD 형식이어야 합니다")
        cm = selectors.latest_model(client=client)
        if cm is None or opts["refit"] or as_of is not None:
            try:
                cm = services.model_fit(client=client, as_of=as_of, reason=CustomerModel.Reason.MANUAL)
            except services.NotEnoughCustomers as exc:
                raise CommandError(f"주문한 고객이 너무 적어 세그먼트를 만들 수 없습니다 ({exc})")
        names = selectors.segment_names(client)
        customers = [
            {"customer_id": p["customer_key"], "recency": p["recency_days"], "frequency": p["frequency"],
             "monetary": p["monetary"], "segment": p["segment"], "segment_name": names[p["segment"]],
             "probabilities": p["probabilities"], "model_version": p["model_version"],
             "repurchase_probability_30d": p["repurchase_probability_30d"],
             "repurchase_probability_90d": p["repurchase_probability_90d"],
             "expected_revenue_90d": p["expected_revenue_90d"]}
            for p in CustomerProfile.objects.filter(client=client).order_by("customer_key").values(
                "customer_key", "recency_days", "frequency", "monetary", "segment", "probabilities", "model_version",
                "repurchase_probability_30d", "repurchase_probability_90d", "expected_revenue_90d")
        ]
        summary = [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
                   for row in selectors.segment_overview(client=client)]
        out = {
            "client_id": client.pk,
            "model": {"version": cm.version, "as_of": cm.as_of.isoformat(), "reason": cm.reason,
                      "n_components": cm.metrics.get("n_components"), "bic": cm.metrics.get("bic"),
                      "component_segments": cm.params.get("component_segments"),
                      # how the repurchase predictions were fitted: "classifier" (time split) or
                      # "bgnbd" with fallback_reason, and the held-out validation
                      "purchase": {k: v for k, v in (cm.metrics.get("purchase") or {}).items()
                                   if k in ("kind", "fallback_reason", "n_train", "validation")}},
            "summary": summary,
            "customers": customers,
        }
        if opts["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
            return
        self.stdout.write(f"model v{cm.version} ({cm.metrics.get('n_components')} components), "
                          f"{len(customers)} customers")
        for s in summary:
            self.stdout.write(f"  {s['segment_name']:<10} {s['customers']:>8,}  {s['customer_share'] * 100:5.1f}%  "
                              f"value {s['value_share'] * 100:5.1f}%  R {s['recency_mean']:.0f}d  "
                              f"F {s['frequency_mean']:.2f}  M {s['monetary_mean']:,.0f}")
