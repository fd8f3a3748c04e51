"""The live audience of the builder: rules -> IR (filters whose data lives elsewhere resolved for
the shop now), its size with a sample, and a sentence turned into rules.

The size is one ClickHouse count (+ a 20-row sample), cached for 5 minutes by the sha256 of the
canonical IR, the client and the day (Redis in production). Member ids in the sample are masked
for viewers (selectors.can_see_pii).
"""
from __future__ import annotations

import json
import time
import uuid as uuid_mod
from datetime import date
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from customers.facade import (customer_keys_by_prediction, customer_keys_in_segment, predictions_scored,
                              rfm_scored)
from tenants.models import Client

from .. import store
from ..ask.services import parse_today, question_to_query, validate_question
from ..audience import filters as F
from ..audience import rules as R
from ..audience.describe import describe, describe_en
from ..errors import AskError, AskErrorCode
from ..query.compiler import CompileError, compile_audience_size
from ..serializers import window_dict
from .selectors import can_see_pii, mask_member_id

LIVE_TTL = 300  # seconds a live count is reused (the issue: 5 minutes)
SAMPLE_SIZE = 20


def _rule_error(exc: R.RuleError) -> AskError:
    return AskError(exc.message, code=exc.code, status=422 if exc.code == AskErrorCode.UNAVAILABLE else 400,
                    fields=exc.errors)


def rfm_available(client: Client | None) -> bool:
    """Whether the customers app has scored this shop's RFM segments (then the filter works)."""
    if client is None:
        return False
    return rfm_scored(client=client)


def _resolvers(client: Client | None) -> dict:
    """Filters whose data lives outside the event table, resolved for this client at compile time.

    RFM segments (customers app, Postgres): the segment's customer keys become member ids and guest
    visitor ids in the IR, so the count and a refresh see the segment as it is now. A segment
    that keeps its rules (not its IR) re-resolves on every refresh.
    """
    if not rfm_available(client):
        return {}

    def customers_node(keys: list[str]):
        members, guests = [], []
        for k in keys:
            try:
                guests.append(str(uuid_mod.UUID(k)))
            except ValueError:
                members.append(k)
        return F.rfm_node(members, guests)

    def rfm(params):
        node = customers_node(customer_keys_in_segment(client=client, segment_name=params.segment))
        if node is None:
            raise F.FilterUnavailable(f"RFM 세그먼트 '{params.segment}'에 속한 고객이 없습니다. "
                                      f"vip, mid, low, dormant 또는 쇼핑몰이 정한 세그먼트 이름을 확인해 주세요.")
        return node

    resolvers = {"rfm_segment": rfm}
    if not predictions_scored(client=client):
        return resolvers  # the prediction filters answer PREDICTION_NEEDED

    def likely(params):
        keys = customer_keys_by_prediction(
            client=client, measure=f"repurchase_{params.horizon}d", top_percent=params.top_percent,
            min_value=params.min_percent / 100 if params.min_percent is not None else None)
        node = customers_node(keys)
        if node is None:
            raise F.FilterUnavailable(f"재구매 가능성이 {params.min_percent}% 이상으로 예측된 고객이 없습니다. "
                                      f"기준을 낮추거나 상위 %로 골라 보세요.")
        return node

    def top_value(params):
        return customers_node(customer_keys_by_prediction(client=client, measure="expected_revenue_90d",
                                                          top_percent=params.top_percent))

    resolvers.update(repurchase_likely=likely, expected_revenue_top=top_value)
    return resolvers


def audience_compile(*, rules: Any, client: Client | None = None) -> R.Compiled:
    if isinstance(rules, str):
        try:
            rules = json.loads(rules)
        except ValueError:
            raise AskError(_("규칙(JSON)을 읽을 수 없습니다."), code=AskErrorCode.INVALID_RULES)
    try:
        return R.to_query(rules, resolvers=_resolvers(client))
    except R.RuleError as exc:
        raise _rule_error(exc) from exc


def audience_size(*, client: Client, rules: Any, membership=None, today: date | str | None = None) -> dict:
    """Size, members and a masked-by-role sample of the audience the rules select."""
    compiled = audience_compile(rules=rules, client=client)
    today = parse_today(today) or client.today()
    body = {"rules": compiled.rules, "ir": compiled.query.model_dump(mode="json", exclude_none=True),
            "description": describe(compiled.rules), "description_en": describe_en(compiled.rules),
            "empty_reasons": compiled.empty_reasons}
    key = "audience:size:" + R.ir_hash(compiled.query, client_id=client.pk, day=today.isoformat())
    hit = cache.get(key)
    started = time.perf_counter()
    if hit is None:
        try:
            cq = compile_audience_size(compiled.query, client_id=client.pk, timezone=client.timezone, today=today,
                                       sample=SAMPLE_SIZE)
        except CompileError as exc:
            raise AskError(str(exc), code=AskErrorCode.COMPILE) from exc
        res = store.run(cq.sql, cq.params)
        size_, members_, sample = res.rows[0] if res.rows else (0, 0, [])
        sample = [str(u) for u in sample]
        ids = store.member_ids(client_id=client.pk, uuids=sample) if sample else {}
        hit = {"size": int(size_), "members": int(members_),
               "sample": [[u, ids.get(u, "")] for u in sample], "window": window_dict(cq.window, label=False),
               "rows_read": res.rows_read}
        cache.set(key, hit, LIVE_TTL)
        body["cached"] = False
    else:
        body["cached"] = True
    body["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    pii = can_see_pii(membership)
    body.update(size=hit["size"], members=hit["members"], window=hit["window"], pii_masked=not pii,
                sample=[{"uuid": u, "member_id": m if pii else mask_member_id(m)} for u, m in hit["sample"]])
    if hit["size"] == 0:
        w = hit["window"]
        body["message"] = (_("조건에 맞는 방문자가 없습니다 (%(start)s ~ %(end)s).") % w)
        if compiled.empty_reasons:
            body["message"] += " " + " ".join(compiled.empty_reasons)
    return body


def audience_from_question(*, client: Client, question: str, engine: str | None = None) -> dict:
    """Natural language -> the IR (offline parser or Gemini) -> rules the builder shows. A question
    about predictions ("다음 달 재구매 가능성 높은 고객") becomes the prediction filter directly;
    the description says how it was understood."""
    question = validate_question(question)  # a number or a list is the asker's mistake: a 400
    predicted = F.prediction_rules(question)
    if predicted is not None:
        compiled = audience_compile(rules=predicted, client=client)
        return {"rules": compiled.rules, "ir": compiled.query.model_dump(mode="json", exclude_none=True),
                "description": describe(compiled.rules), "description_en": describe_en(compiled.rules),
                "question": question}
    q = question_to_query(client=client, question=question, engine=engine)
    if q.kind == "C":
        raise AskError(q.reason or _("대상을 찾을 수 없는 질문입니다."), code=AskErrorCode.KIND_C, status=422)
    try:
        rules = R.from_query(q)
        compiled = R.to_query(rules, resolvers=_resolvers(client))
    except R.RuleError as exc:
        raise _rule_error(exc) from exc
    return {"rules": compiled.rules, "ir": compiled.query.model_dump(mode="json", exclude_none=True),
            "description": describe(compiled.rules), "description_en": describe_en(compiled.rules),
            "question": question}
