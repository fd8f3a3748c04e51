"""Writes for customer segments: fit a model version, score customers, answer questions.

All keyword-only. A fit writes the version, every profile and the moves in one transaction, so
a page never shows profiles of a version that does not exist. Scoring is idempotent: scoring the
same customer twice with the same orders changes nothing and records no move.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from google.genai import types as genai_types

import gemini
from events import clickhouse
from tenants.facade import audit_log, mask_customer_key
from tenants.models import Client

from . import selectors
from .audit import AuditAction
from .models import CustomerModel, CustomerProfile, SegmentMove
from .predict import model as purchase
from .predict.features import epoch_days, summarize
from .rfm import qa
from .rfm.features import matrix, rfm_table
from .rfm.model import (SEGMENTS, NotEnoughCustomers, SegmentModel, fit as fit_mixture, respect_purchase_cycle,
                        segment_summary, shop_cycle_days, usual_interval_days)
from .tasks import refit_client as refit_client_task

log = logging.getLogger(__name__)

__all__ = ["NotEnoughCustomers", "model_fit", "model_refit_request", "score_customers", "score_recent_orders",
           "answer_question", "customer_settings_update"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


_PROFILE_COLUMNS = ("client_id", "customer_key", "is_member", "recency_days", "frequency", "monetary",
                    "first_order_at", "last_order_at", "segment", "probabilities", "model_version",
                    "repurchase_probability_30d", "repurchase_probability_90d", "expected_revenue_90d", "updated_at")


def _upsert_profiles(values: list[tuple]) -> None:
    """INSERT .. ON CONFLICT DO UPDATE in executemany batches (Postgres and SQLite both speak it).

    A refit rewrites every profile of a shop; building 10^5 model instances through bulk_create
    cost more than the mixture fit itself (docs/benchmarks.md, Customer segments)."""
    table = connection.ops.quote_name(CustomerProfile._meta.db_table)
    cols = ", ".join(_PROFILE_COLUMNS)
    marks = ", ".join(["%s"] * len(_PROFILE_COLUMNS))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _PROFILE_COLUMNS[2:])
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT (client_id, customer_key) DO UPDATE SET {updates}"
    with connection.cursor() as cur:
        for i in range(0, len(values), 5000):
            cur.executemany(sql, values[i:i + 5000])


_MOVE_COLUMNS = ("client_id", "customer_key", "from_segment", "to_segment", "model_version", "reason", "details",
                 "created_at")


def _insert_moves(values: list[tuple]) -> None:
    if not values:
        return
    table = connection.ops.quote_name(SegmentMove._meta.db_table)
    sql = (f"INSERT INTO {table} ({', '.join(_MOVE_COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(_MOVE_COLUMNS))})")
    with connection.cursor() as cur:
        for i in range(0, len(values), 5000):
            cur.executemany(sql, values[i:i + 5000])


def _intervals(rows) -> list[float | None]:
    return [usual_interval_days(epoch_days(r.first_order_at) if r.first_order_at else None,
                                epoch_days(r.last_order_at), r.frequency) for r in rows]


def _predictions(*, client: Client, model: purchase.PurchaseModel | None, keys: list[str] | None,
                 as_of: datetime, include_guests: bool) -> dict[str, tuple[float, float, float]]:
    """key -> (P(order in 30 d), P(order in 90 d), expected 90-day revenue) scored up to ``as_of``."""
    if model is None:
        return {}
    history = selectors.order_history(client=client, include_guests=include_guests, as_of=as_of, keys=keys)
    activity = selectors.activity_since_last_order(client=client, include_guests=include_guests, cutoff=as_of,
                                                   keys=keys)
    scores = model.score(summarize(history, epoch_days(as_of), activity))
    return {k: (round(float(a), 4), round(float(b), 4), round(float(c), 1))
            for k, a, b, c in zip(scores.keys, scores.p30, scores.p90, scores.expected_revenue_90d)}


def _apply(*, client: Client, model: SegmentModel, version: int, rows, reason: str,
           predictions: dict | None = None) -> dict:
    """Upsert profiles for ``rows`` (RFM) under ``model``; record a move for each change."""
    if not rows:
        return {"scored": 0, "moved": 0}
    predictions = predictions or {}
    assigned = respect_purchase_cycle(model.assign(matrix(rows)), [r.recency for r in rows], _intervals(rows),
                                      model.metrics.get("purchase_cycle_days"))
    keys = [r.customer_key for r in rows]
    existing = CustomerProfile.objects.filter(client=client)
    if len(keys) <= 1000:  # the real-time path; a refit reads the shop's profiles whole (no huge IN list)
        existing = existing.filter(customer_key__in=keys)
    before = {k: (seg, r, f, m, v) for k, seg, r, f, m, v in existing.values_list(
        "customer_key", "segment", "recency_days", "frequency", "monetary", "model_version")}
    json_field = CustomerProfile._meta.get_field("probabilities")
    details_field = SegmentMove._meta.get_field("details")
    adapt_dt = connection.ops.adapt_datetimefield_value
    now = adapt_dt(_now())
    values, moves = [], []
    for r, (segment, probs) in zip(rows, assigned):
        monetary = int(round(r.monetary))
        values.append((client.pk, r.customer_key, not _looks_like_uuid(r.customer_key), r.recency, r.frequency,
                       monetary, adapt_dt(r.first_order_at) if r.first_order_at else None, adapt_dt(r.last_order_at),
                       segment, json_field.get_db_prep_value(probs, connection), version,
                       *predictions.get(r.customer_key, (None, None, None)), now))
        old = before.get(r.customer_key)
        if old is None or old[0] != segment:
            moves.append((client.pk, r.customer_key, old[0] if old else "", segment, version, reason,
                          details_field.get_db_prep_value({
                              "before": ({"r": old[1], "f": old[2], "m": old[3], "version": old[4]} if old else None),
                              "after": {"r": r.recency, "f": r.frequency, "m": monetary},
                              "probabilities": probs,
                          }, connection), now))
    _upsert_profiles(values)
    _insert_moves(moves)
    mirror = [(client.pk, r.customer_key, seg, version) for r, (seg, _p) in zip(rows, assigned)]
    transaction.on_commit(lambda: _mirror_segments(mirror))
    return {"scored": len(values), "moved": len(moves)}


def _mirror_segments(rows: list[tuple]) -> None:
    """Copy the committed segments to ClickHouse's customer_segment (for queries joining events).

    After the Postgres commit, so ClickHouse never holds a segment Postgres rolled back; if
    ClickHouse is down the copy is skipped and the next scoring or the nightly refit rewrites it."""
    now = _now().replace(tzinfo=None)
    try:
        clickhouse.insert("customer_segment", [[c, k, s, v, now] for c, k, s, v in rows],
                          ["client_id", "customer_key", "segment", "model_version", "updated_at"])
    except Exception:
        log.warning("customers: customer_segment mirror skipped (%d rows)", len(rows), exc_info=True)


def _looks_like_uuid(key: str) -> bool:
    return len(key) == 36 and key.count("-") == 4


def model_fit(*, client: Client, as_of: datetime | None = None, reason: str = CustomerModel.Reason.REFIT,
              actor=None) -> CustomerModel:
    """Fit a new version on every customer's orders up to ``as_of`` and rescore them all."""
    conf = selectors.settings_for(client)
    as_of = as_of or _now()
    aggs = selectors.order_aggregates(client=client, include_guests=conf.include_guests, as_of=as_of)
    rows = rfm_table(aggs, as_of=as_of)
    raw = matrix(rows)
    model = fit_mixture(raw, n_components=conf.n_components)  # NotEnoughCustomers goes to the caller
    intervals = _intervals(rows)
    model.metrics["purchase_cycle_days"] = shop_cycle_days(intervals)
    assigned = [seg for seg, _ in respect_purchase_cycle(model.assign(raw), [r.recency for r in rows], intervals,
                                                         model.metrics["purchase_cycle_days"])]
    predictor = _fit_purchase_model(client=client, as_of=as_of, include_guests=conf.include_guests)
    predictions = _predictions(client=client, model=predictor, keys=None, as_of=as_of,
                               include_guests=conf.include_guests)
    metrics = dict(model.metrics, summary=segment_summary(raw, assigned),
                   purchase=predictor.metrics if predictor else {"kind": None, "fallback_reason": "too few customers"})
    params = dict(model.to_params(), purchase=predictor.to_params() if predictor else None)
    with transaction.atomic():
        # Lock the client row: two refits at once must not both take version N+1.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        version = (CustomerModel.objects.filter(client=client).aggregate(v=Max("version"))["v"] or 0) + 1
        if version == 1:
            reason = CustomerModel.Reason.FIRST
        cm = CustomerModel.objects.create(client=client, version=version, reason=reason, as_of=as_of,
                                          params=params, metrics=metrics)
        result = _apply(client=client, model=model, version=version, rows=rows, reason=SegmentMove.Reason.REFIT,
                        predictions=predictions)
        audit_log(action=AuditAction.MODEL_FIT, client=client, actor=actor, target=f"v{version}",
                  details={"reason": reason, "customers": len(rows), "moved": result["moved"],
                           "n_components": model.n_components})
    return cm


def _fit_purchase_model(*, client: Client, as_of: datetime, include_guests: bool) -> purchase.PurchaseModel | None:
    """The repurchase model on the shop's own orders up to ``as_of`` (time split inside)."""
    history = selectors.order_history(client=client, include_guests=include_guests, as_of=as_of)
    cutoff = as_of - timedelta(days=purchase.TRAIN_GAP)
    try:
        return purchase.fit(
            history, now=epoch_days(as_of),
            activity_now=selectors.activity_since_last_order(client=client, include_guests=include_guests,
                                                             cutoff=as_of),
            activity_at_cutoff=selectors.activity_since_last_order(client=client, include_guests=include_guests,
                                                                   cutoff=cutoff))
    except purchase.NotEnoughHistory:
        return None


def model_refit_request(*, client: Client, actor=None) -> None:
    """Queue a new model version for this shop (runs on the worker), audited as asked for."""
    refit_client_task.delay(client.pk)
    audit_log(action=AuditAction.REFIT_REQUESTED, client=client, actor=actor, target="customer_model")


def _stored_model(client: Client) -> tuple[SegmentModel, int, purchase.PurchaseModel | None] | None:
    cm = selectors.latest_model(client=client)
    if cm is None:
        return None
    stored = cm.params.get("purchase")
    predictor = purchase.PurchaseModel.from_params(stored, cm.metrics.get("purchase")) if stored else None
    return SegmentModel.from_params(cm.params, cm.metrics), cm.version, predictor


def score_customers(*, client: Client, keys: list[str], as_of: datetime | None = None) -> dict:
    """Recompute these customers' RFM and segment with the stored model (the real-time path).

    No model yet: the first fit happens here once the shop has enough customers.
    """
    keys = sorted(set(k for k in keys if k))
    if not keys:
        return {"scored": 0, "moved": 0}
    stored = _stored_model(client)
    if stored is None:
        try:
            cm = model_fit(client=client, as_of=as_of)
        except NotEnoughCustomers:
            return {"scored": 0, "moved": 0, "waiting": "not enough customers for a first model"}
        return {"scored": cm.metrics.get("n_customers", 0), "moved": 0, "fitted": cm.version}
    model, version, predictor = stored
    conf = selectors.settings_for(client)
    as_of = as_of or _now()
    aggs = selectors.order_aggregates(client=client, include_guests=conf.include_guests, as_of=as_of, keys=keys)
    rows = rfm_table(aggs, as_of=as_of)
    predictions = _predictions(client=client, model=predictor, keys=keys, as_of=as_of,
                               include_guests=conf.include_guests)
    with transaction.atomic():
        return _apply(client=client, model=model, version=version, rows=rows, reason=SegmentMove.Reason.ORDER,
                      predictions=predictions)


def score_recent_orders(*, client_id: int, login_ids: list[str], uuids: list[str]) -> dict:
    """What the ingestion hook's task runs: resolve who ordered, then score those customers."""
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return {"scored": 0, "moved": 0}
    conf = selectors.settings_for(client)
    keys = selectors.customer_keys_for(client=client, login_ids=login_ids, uuids=uuids,
                                       include_guests=conf.include_guests)
    return score_customers(client=client, keys=keys)


def customer_settings_update(*, client: Client, actor, include_guests: bool, n_components: int,
                             segment_names: dict[str, str]) -> None:
    with transaction.atomic():
        conf = selectors.settings_for(client)
        conf.include_guests = include_guests
        conf.n_components = n_components
        conf.segment_names = {k: v.strip() for k, v in segment_names.items() if k in SEGMENTS and v and v.strip()}
        conf.save()
        audit_log(action=AuditAction.SETTINGS_UPDATE, client=client, actor=actor, target="customer_settings",
                  details={"include_guests": include_guests, "n_components": n_components,
                           "segment_names": conf.segment_names})


# --- grounded Q&A ------------------------------------------------------------------------------

def _customer_facts(client: Client, key: str, names: dict) -> dict | None:
    p = selectors.profile_get(client=client, customer_key=key)
    if p is None:
        return None
    return {
        "customer_key": p.customer_key, "segment": p.segment, "segment_name": names[p.segment],
        "probabilities": {names[s]: v for s, v in p.probabilities.items() if s in names},
        "recency": p.recency_days, "frequency": p.frequency, "monetary": p.monetary,
        "last_order_date": p.last_order_at.date().isoformat(), "model_version": p.model_version,
    }


def _segment_facts(client: Client, codes: tuple[str, ...], names: dict, version: int) -> dict:
    overview = {r["segment"]: r for r in selectors.segment_overview(client=client)}
    total_n = sum(r["customers"] for r in overview.values()) or 1
    chosen = [overview[c] for c in codes if c in overview]
    n = sum(r["customers"] for r in chosen)

    def mean(field: str, rows) -> float:
        cnt = sum(r["customers"] for r in rows)
        return sum(r[field] * r["customers"] for r in rows) / cnt if cnt else 0.0

    return {
        "segments": list(codes), "segment_name": " + ".join(names[c] for c in codes), "customers": n,
        "customer_share": n / total_n, "value_share": sum(r["value_share"] for r in chosen),
        "recency_mean": mean("recency_mean", chosen), "frequency_mean": mean("frequency_mean", chosen),
        "monetary_mean": mean("monetary_mean", chosen),
        "all_recency_mean": mean("recency_mean", overview.values()),
        "all_frequency_mean": mean("frequency_mean", overview.values()),
        "all_monetary_mean": mean("monetary_mean", overview.values()),
        "model_version": version,
    }


def answer_question(*, client: Client, question: str, engine: str = "offline", today=None,
                    masked: bool = False) -> dict:
    """Intent first, then only that scope's data, then text from the computed facts.

    ``masked`` (a viewer asks: tenants.privacy) masks every customer key in the facts before the
    answer is written from them, so the text, the facts and the intent agree and Gemini's
    rewording never sees a member id the reader may not.
    """
    names = selectors.segment_names(client)
    intent = qa.extract_intent(question, names=names)
    shown = mask_customer_key if masked else (lambda key: key)
    cm = selectors.latest_model(client=client)
    version = cm.version if cm else 0
    facts: dict = {}
    if intent.kind == "customer":
        facts = _customer_facts(client, intent.customer_key, names) or {}
        if facts:
            facts["customer_key"] = shown(facts["customer_key"])
        text = qa.answer_customer(facts) if facts else qa.answer_customer_missing(shown(intent.customer_key))
    elif cm is None and intent.kind in ("segment", "overview"):
        text = qa.answer_overview([], 0)
    elif intent.kind == "segment" and intent.behaviour:
        conf = selectors.settings_for(client)
        keys = [k for code in intent.segments for k in selectors.customer_keys_in_segment(client=client, segment_name=code)]
        end = _now()
        start = end - timedelta(days=intent.behaviour.days)
        matched = selectors.customers_with_behaviour(
            client=client, event_code=intent.behaviour.event_code, start=start, end=end, keys=keys,
            include_guests=conf.include_guests)
        facts = {"segment_name": " + ".join(names[c] for c in intent.segments), "segment_customers": len(keys),
                 "event_code": intent.behaviour.event_code, "days": intent.behaviour.days,
                 "start": start.date().isoformat(), "end": end.date().isoformat(),
                 "matched": len(matched), "customer_keys": [shown(k) for k in matched]}
        text = qa.answer_behaviour(facts)
    elif intent.kind == "segment":
        facts = _segment_facts(client, intent.segments, names, version)
        text = qa.answer_segment(facts, intent.metrics)
    elif intent.kind == "overview":
        rows = selectors.segment_overview(client=client)
        facts = {"segments": rows, "model_version": version}
        text = qa.answer_overview(rows, version)
    else:
        text = qa.answer_unknown()
    worded_by = "template"
    if engine == "gemini" and facts:
        reworded = _reword(text)
        if reworded and qa.rewording_is_faithful(text, reworded):
            text, worded_by = reworded, "gemini"
    intent_shown = intent.as_dict()
    if intent_shown.get("customer_key"):
        intent_shown["customer_key"] = shown(intent_shown["customer_key"])
    return {"intent": intent_shown, "answer": text, "facts": _jsonable(facts), "worded_by": worded_by,
            "model_version": version}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return round(float(value), 4)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


REWORD_PROMPT = (
    "다음은 쇼핑몰 고객 데이터에서 계산한 사실입니다. 마케터가 읽기 쉬운 한국어 2~3문장으로 다듬어 주세요. "
    "숫자, 고객 아이디, 세그먼트 이름은 그대로 옮기고 새로운 숫자나 추측을 더하지 마세요.\n\n"
)


# Rewording is one short call; past this the template answer is shown instead.
REWORD_SECONDS = 15.0


def _reword(text: str) -> str | None:
    """Gemini may reword the finished answer; it never sees raw rows or computes a number."""
    conf = gemini.GeminiConfig.from_settings(settings)
    if not conf.enabled:
        return None
    try:
        client = gemini.sdk_client(api_key=conf.api_key, timeout=REWORD_SECONDS, base_url=conf.base_url)
        response = gemini.generate(client, model=conf.model, contents=REWORD_PROMPT + text,
                                   config=genai_types.GenerateContentConfig(temperature=0),
                                   seconds=REWORD_SECONDS)
        return (response.text or "").strip() or None
    except Exception:  # the template answer stands; wording is optional
        log.warning("customers: Gemini rewording failed; template answer used", exc_info=True)
        return None
