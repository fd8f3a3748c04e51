"""Writes for campaign-plan recommendations: ask, re-ask, choose, record results.

Caching follows the seed's three levels (Django cache; Redis in production): trends 1 h, similar
past plans 30 min, the full answer 15 min. Every key carries a version number per industry;
``on_campaign_results(industry)`` bumps it when measured results arrive, so all three levels for
that industry are missed from then on (no key scans, old entries just expire).
"""
from __future__ import annotations

import hashlib
import logging
import time
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

import gemini
from gemini import EngineUnavailable
from tenants.facade import audit_log

from . import selectors
from .audit import AuditAction
from .engine import context as ctx
from .engine import llm, offline
from .engine.occasions import calendar_known, occasions_near, season_of
from .engine.schema import BANDS, PURPOSES, Answer, Trends, cell_key, purpose_key
from .errors import PlanError, PlanErrorCode
from .models import PlanDraft, PlanFeedback, Recommendation

log = logging.getLogger(__name__)

TRENDS_TTL = 60 * 60
SIMILAR_TTL = 30 * 60
ANSWER_TTL = 15 * 60
VERSION_TTL = 30 * 24 * 3600
ENGINES = ("gemini", "offline")


# --- cache keys ----------------------------------------------------------------------------------

def _h(text: str) -> str:
    return hashlib.sha1((text or "").strip().lower().encode()).hexdigest()[:12]


def _industry_token(industry: str) -> str:
    """"여성의류" and "패션 잡화" are both fashion: results for one invalidate the other's answers."""
    from .engine.library import match_industry

    return match_industry(industry) or (industry or "").strip().lower()


def _version_key(industry: str) -> str:
    return f"plans:ver:{_h(_industry_token(industry))}"


def industry_version(industry: str) -> int:
    return int(cache.get(_version_key(industry)) or 0)


def on_campaign_results(industry: str) -> int:
    """New measured campaign results for ``industry``: every cached trend, similar-plan list and
    answer for it is stale. Messaging calls this too when a campaign's results come in."""
    key = _version_key(industry)
    try:
        version = cache.incr(key)
    except ValueError:  # not set yet (or expired)
        version = int(cache.get(key) or 0) + 1
        cache.set(key, version, VERSION_TTL)
    return version


def _profile_hash(client) -> str:
    return _h(f"{client.industry}|{client.business_type}|{client.region}")


# --- asking --------------------------------------------------------------------------------------

def _default_engine() -> str:
    return "gemini" if gemini.GeminiConfig.from_settings(settings).enabled else "offline"


def _parse_date(value, client) -> date:
    if value in (None, ""):
        return client.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PlanError(_("날짜는 YYYY-MM-DD 형식으로 입력해 주세요 (받은 값: %(v)s).") % {"v": value}, code=PlanErrorCode.DATE)


def check_inputs(*, client, purpose: str, engine: str | None = None) -> tuple[str, str]:
    key = purpose_key(purpose)
    if key is None:
        raise PlanError(_("알 수 없는 목적입니다: '%(p)s'. 다음 중 하나를 고르세요: %(choices)s.") % {
            "p": purpose, "choices": ", ".join(f"{v} ({k})" for k, v in PURPOSES.items())}, code=PlanErrorCode.PURPOSE)
    if not (client.industry or "").strip():
        raise PlanError(
            _("추천하려면 쇼핑몰 업종이 필요합니다. 소유자가 설정 > 쇼핑몰 정보에서 업종(과 지역)을 입력해 주세요."),
            code=PlanErrorCode.PROFILE, status=409, link=reverse("tenants:settings", kwargs={"slug": client.slug}))
    engine = engine or _default_engine()
    if engine not in ENGINES:
        raise PlanError(_("엔진은 gemini 또는 offline 중 하나여야 합니다."), code=PlanErrorCode.ENGINE)
    return key, engine


def _similar(client, profile: ctx.Profile, purpose: str, day: date, version: int) -> dict:
    key = f"plans:similar:{client.pk}:{_h(client.industry)}:v{version}:{_profile_hash(client)}:{purpose}:{day}"
    hits = cache.get(key)
    if hits is None:
        hits = ctx.similar_plans(profile, purpose, day, own=selectors.own_past_plans(client=client))
        cache.set(key, hits, SIMILAR_TTL)
    return hits


def _trends_key(client, purpose: str, day: date, occasions, engine: str, version: int) -> str:
    occ = ",".join(sorted({o.tag for o in occasions}))
    # Per client although the seed shares trends by industry and region: the model sees the
    # shop's own traffic figures and may quote them in the trend text.
    return (f"plans:trends:{client.pk}:{_h(client.industry)}:v{version}:{_h(client.region)}:{season_of(day)}:"
            f"{_h(occ)}:{purpose}:{engine}")


def _compose(*, client, purpose: str, day: date, engine: str, version: int,
             exclude_titles: set[str]) -> tuple[Answer, dict, list, str, str, dict]:
    """(answer, similar, occasions, engine used, fallback reason, profile) — never invalid."""
    visitors, orders = selectors.shop_size(client=client)
    profile = ctx.Profile(industry=client.industry, business_type=client.business_type, region=client.region,
                          visitors_30d=visitors, orders_30d=orders)
    occasions = occasions_near(day)
    hits = _similar(client, profile, purpose, day, version)
    grounding = ctx.grounding(hits)
    tkey = _trends_key(client, purpose, day, occasions, engine, version)
    cached_trends = cache.get(tkey)
    trends = Trends.model_validate(cached_trends) if cached_trends else None
    used, reason, answer = engine, "", None
    if engine == "gemini":
        try:
            # Plans keep their own 8 s / 9 s budget (the seed's answer within 10 s), not GEMINI_TIMEOUT.
            config = gemini.GeminiConfig.from_settings(settings)
            gem = llm.GeminiPlanEngine(api_key=config.api_key, model=config.model, timeout=llm.DEFAULT_TIMEOUT_S,
                                       base_url=config.base_url)
            prompt = llm.build_prompt(profile=profile, purpose=purpose, day=day, occasions=occasions,
                                      hits_by_cell=hits, grounding=grounding, trends=trends,
                                      exclude_titles=exclude_titles)
            answer = gem.recommend(prompt, grounding, temperature=0.9 if exclude_titles else 0.4)
            if trends is not None:  # one trend analysis per hour, whatever the plans say
                answer = Answer(trends=trends, plans=answer.plans)
        except EngineUnavailable as exc:
            log.info("plans: gemini unavailable for client %s: %s", client.pk, exc)
            used, reason = "offline", f"{exc.message} ({exc.detail})"[:300] if exc.detail else exc.message
            trends = None   # the offline engine writes its own
    if answer is None:
        if trends is None:
            okey = _trends_key(client, purpose, day, occasions, "offline", version)
            cached = cache.get(okey)
            trends = Trends.model_validate(cached) if cached else offline.offline_trends(
                industry_key=profile.industry_key, industry_text=profile.industry, region=profile.region,
                purpose=purpose, day=day, occasions=occasions)
            cache.set(okey, trends.model_dump(), TRENDS_TTL)
        answer = offline.compose(hits, grounding, trends=trends, visitors_30d=visitors,
                                 exclude_titles=exclude_titles, industry_key=profile.industry_key)
    else:
        cache.set(tkey, answer.trends.model_dump(), TRENDS_TTL)
    occ = [{"name": o.name, "start": o.start.isoformat(), "end": o.end.isoformat()} for o in occasions]
    prof = {"industry": client.industry, "industry_key": profile.industry_key, "business_type": client.business_type,
            "region": client.region, "visitors_30d": visitors, "orders_30d": orders, "size": profile.size_label()}
    return answer, hits, occ, used, reason, prof


def recommend(*, client, purpose: str, on_date=None, user=None, engine: str | None = None,
              parent: Recommendation | None = None) -> Recommendation:
    """Six validated plans for ``purpose`` at ``on_date`` (the client's local today by default).

    A re-ask (``parent`` given) skips the answer cache and avoids the titles already shown.
    """
    started = time.perf_counter()
    purpose, engine = check_inputs(client=client, purpose=purpose, engine=engine)
    day = _parse_date(on_date, client)
    version = industry_version(client.industry)
    akey = f"plans:answer:{client.pk}:{_h(client.industry)}:v{version}:{_profile_hash(client)}:{purpose}:{day}:{engine}"
    cached = None if parent is not None else cache.get(akey)
    if cached is not None:
        fields = dict(cached, cache_hit=True)
    else:
        exclude = {p["title"] for p in parent.answer.get("plans", [])} if parent is not None else set()
        answer, hits, occ, used, reason, prof = _compose(client=client, purpose=purpose, day=day, engine=engine,
                                                          version=version, exclude_titles=exclude)
        fields = {"answer": answer.model_dump(), "similar": hits, "occasions": occ, "engine": used,
                  "fallback_reason": reason, "profile": prof, "cache_hit": False}
        if parent is None and not reason:
            # a fallback answer is not cached: the model may be back for the next ask
            cache.set(akey, {k: v for k, v in fields.items() if k != "cache_hit"}, ANSWER_TTL)
    if not calendar_known(day):
        fields["fallback_reason"] = (fields.get("fallback_reason") or "") + _(
            " 설날·추석 날짜는 2024~2030년만 반영됩니다.")
    with transaction.atomic():
        rec = Recommendation.objects.create(
            client=client, requested_by=user if getattr(user, "is_authenticated", False) else None,
            purpose=purpose, on_date=day, parent=parent,
            elapsed_ms=int((time.perf_counter() - started) * 1000), **fields)
        if parent is not None:
            PlanFeedback.objects.create(client=client, recommendation=parent, kind=PlanFeedback.Kind.REASK,
                                        user=rec.requested_by)
    return rec


def plan_reask(*, client, recommendation: Recommendation, user=None) -> Recommendation:
    """"다시 추천받기": a new answer for the same purpose and date, stored as negative feedback."""
    if recommendation.client_id != client.pk:
        raise PlanError(_("추천을 찾을 수 없습니다."), code=PlanErrorCode.NOT_FOUND, status=404)
    return recommend(client=client, purpose=recommendation.purpose, on_date=recommendation.on_date, user=user,
                     parent=recommendation)


def plan_choose(*, client, recommendation: Recommendation, plan_key: str, user=None) -> PlanDraft:
    """The marketer picks one of the six: a pre-filled campaign draft, positive feedback, audit."""
    if recommendation.client_id != client.pk:
        raise PlanError(_("추천을 찾을 수 없습니다."), code=PlanErrorCode.NOT_FOUND, status=404)
    plan = recommendation.plan(plan_key)
    if plan is None:
        raise PlanError(_("기획안 '%(k)s'이(가) 이 추천에 없습니다. low/medium/high-online/offline 중 하나를 고르세요.")
                        % {"k": plan_key}, code=PlanErrorCode.PLAN)
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        draft = PlanDraft.objects.create(
            client=client, recommendation=recommendation, plan_key=plan_key, plan=plan,
            name=plan["title"], prize=plan["prize"], participation=plan["participation"],
            budget_krw=plan["cost"], created_by=actor)
        PlanFeedback.objects.create(client=client, recommendation=recommendation, kind=PlanFeedback.Kind.CHOSEN,
                                    plan_key=plan_key, user=actor)
        audit_log(action=AuditAction.PLAN_CHOSEN, client=client, actor=actor, target=f"plan_draft:{draft.pk}",
                  details={"recommendation": recommendation.pk, "plan": plan_key, "title": plan["title"]})
    return draft


def plan_draft_update(*, client, draft: PlanDraft, name: str, prize: str, participation: str,
                      budget_krw: int, user=None) -> PlanDraft:
    if draft.client_id != client.pk:
        raise PlanError(_("캠페인 초안을 찾을 수 없습니다."), code=PlanErrorCode.NOT_FOUND, status=404)
    name, prize, participation = (name or "").strip(), (prize or "").strip(), (participation or "").strip()
    if not name or not prize or not participation:
        raise PlanError(_("이름, 경품, 참여 방법을 모두 입력해 주세요."), code=PlanErrorCode.DRAFT)
    if budget_krw is None or budget_krw < 1:
        raise PlanError(_("예산은 1원 이상이어야 합니다."), code=PlanErrorCode.DRAFT)
    with transaction.atomic():
        draft.name, draft.prize, draft.participation, draft.budget_krw = name[:100], prize[:40], participation[:300], budget_krw
        draft.save(update_fields=["name", "prize", "participation", "budget_krw"])
        audit_log(action=AuditAction.DRAFT_UPDATED, client=client, actor=user, target=f"plan_draft:{draft.pk}")
    return draft


def plan_draft_record_results(*, client, draft: PlanDraft, participants: int, cost: int, revenue: int,
                              user=None) -> PlanDraft:
    """Measured results of a campaign that ran: predicted vs actual ROI, and the client's own
    evidence for the next recommendation (caches for its industry are invalidated)."""
    if draft.client_id != client.pk:
        raise PlanError(_("캠페인 초안을 찾을 수 없습니다."), code=PlanErrorCode.NOT_FOUND, status=404)
    for label, v in ((_("참여자 수"), participants), (_("실제 비용"), cost), (_("매출"), revenue)):
        if v is None or v < 0:
            raise PlanError(_("%(f)s은(는) 0 이상의 숫자여야 합니다.") % {"f": label}, code=PlanErrorCode.RESULTS)
    if cost == 0:
        raise PlanError(_("실제 비용이 0원이면 ROI를 계산할 수 없습니다."), code=PlanErrorCode.RESULTS)
    with transaction.atomic():
        draft.actual_participants, draft.actual_cost, draft.actual_revenue = participants, cost, revenue
        draft.status, draft.results_at = PlanDraft.Status.FINISHED, dj_timezone.now()
        draft.save(update_fields=["actual_participants", "actual_cost", "actual_revenue", "status", "results_at"])
        audit_log(action=AuditAction.RESULTS_RECORDED, client=client, actor=user, target=f"plan_draft:{draft.pk}",
                  details={"predicted_roi": draft.predicted_roi, "actual_roi": draft.actual_roi})
        industry = client.industry
        transaction.on_commit(lambda: on_campaign_results(industry))
    return draft


# --- output --------------------------------------------------------------------------------------

def recommendation_payload(rec: Recommendation) -> dict:
    plans = []
    for p in rec.answer.get("plans", []):
        plans.append({"key": cell_key(p["budget"], p["channel"]), **p})
    return {
        "id": rec.pk, "purpose": rec.purpose, "purpose_label": PURPOSES.get(rec.purpose, rec.purpose),
        "date": rec.on_date.isoformat(), "engine": rec.engine, "fallback_reason": rec.fallback_reason,
        "cache_hit": rec.cache_hit, "elapsed_ms": rec.elapsed_ms, "profile": rec.profile,
        "occasions": rec.occasions, "trends": rec.answer.get("trends"), "plans": plans,
        "similar": rec.similar, "parent_id": rec.parent_id,
        "bands": {k: list(v) for k, v in BANDS.items()},
    }
