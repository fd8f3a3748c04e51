"""The 캠페인 추천 pages: pick a purpose, see six plans, choose one -> a campaign draft.

Server-rendered forms (no script needed); a small script shows progress while the model works.
"""
from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from tenants.access import ClientViewMixin
from tenants.models import Role

from . import selectors, services
from .engine.schema import BUDGET_LABELS, CHANNEL_LABELS, PURPOSES, cell_key
from .errors import PlanError

PAGE_SIZE = 20
# Same labels as engine.schema.PURPOSES, marked for translation here (the engine has no Django).
PURPOSE_LABELS = {"acquisition": gettext_lazy("신규 고객 유치"), "revisit": gettext_lazy("재방문 유도"),
                  "sales": gettext_lazy("매출 증대"), "awareness": gettext_lazy("인지도 향상")}


def _int(value) -> int | None:
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


class PlansHomeView(ClientViewMixin, TemplateView):
    template_name = "plans/home.html"
    required_role = Role.VIEWER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        recs = Paginator(selectors.recommendation_list(client=self.client), PAGE_SIZE)
        drafts = Paginator(selectors.draft_list(client=self.client), PAGE_SIZE)
        ctx.update(
            purposes=[(k, PURPOSE_LABELS[k]) for k in PURPOSES],
            roi_series=self._roi_series(),
            today=self.client.today().isoformat(),
            recommendations=recs.get_page(self.request.GET.get("page")),
            drafts=drafts.get_page(self.request.GET.get("dpage")),
            missing_profile=not (self.client.industry or "").strip(),
            can_write=self.membership.allows(Role.MARKETER),
            can_edit_profile=self.membership.allows(Role.OWNER),
        )
        ctx.setdefault("form", {"purpose": "", "date": ctx["today"]})
        return ctx

    def _roi_series(self) -> dict:
        """Predicted vs actual ROI of finished campaigns, in the order their results came in."""
        done = [d for d in selectors.draft_list(client=self.client).filter(results_at__isnull=False).order_by("results_at")
                if d.actual_roi is not None][-30:]
        return {"labels": [f"{d.results_at:%m-%d} {d.name[:12]}" for d in done],
                "predicted": [d.predicted_roi for d in done], "actual": [d.actual_roi for d in done],
                "predicted_label": str(_("예측 ROI")), "actual_label": str(_("실제 ROI"))}

    def post(self, request, slug):
        form = {"purpose": request.POST.get("purpose", ""), "date": request.POST.get("date", "")}
        try:
            rec = services.recommend(client=self.client, purpose=form["purpose"], on_date=form["date"] or None,
                                     user=request.user)
        except PlanError as exc:
            ctx = self.get_context_data(form=form, error=exc)
            return self.render_to_response(ctx, status=exc.status)
        return redirect("plans:detail", slug=self.client.slug, pk=rec.pk)


def _cards(rec) -> list[dict]:
    cards = []
    for p in rec.answer.get("plans", []):
        key = cell_key(p["budget"], p["channel"])
        cards.append({**p, "key": key, "budget_label": BUDGET_LABELS[p["budget"]],
                      "channel_label": CHANNEL_LABELS[p["channel"]], "similar": rec.similar.get(key, [])[:3]})
    return cards


class RecommendationView(ClientViewMixin, TemplateView):
    template_name = "plans/detail.html"
    required_role = Role.VIEWER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        rec = selectors.recommendation_get(client=self.client, pk=kwargs["pk"])
        ctx.update(rec=rec, cards=_cards(rec), purpose_label=PURPOSE_LABELS.get(rec.purpose, rec.purpose),
                   can_write=self.membership.allows(Role.MARKETER), drafts=rec.drafts.all(),
                   occasions=_occasions_by_when(rec.occasions, today=timezone.localdate()))
        return ctx


def _occasions_by_when(occasions, *, today) -> dict[str, list[dict]]:
    """A recommendation keeps the occasions of the day it was made; read later, the ones that have
    passed (or begun) are said so instead of 'upcoming'."""
    out: dict[str, list[dict]] = {"upcoming": [], "ongoing": [], "past": []}
    for o in occasions or []:
        try:
            start, end = date.fromisoformat(o["start"]), date.fromisoformat(o.get("end") or o["start"])
        except (KeyError, TypeError, ValueError):
            continue
        when = "past" if end < today else "ongoing" if start <= today else "upcoming"
        out[when].append({"name": o.get("name", ""), "start": start, "days": (start - today).days})
    return out


class ReaskView(ClientViewMixin, View):
    """A form's target only: GET answers 405 with Allow: POST (a TemplateView here had no template
    and answered 500)."""

    required_role = Role.VIEWER
    http_method_names = ["post"]

    def post(self, request, slug, pk):
        rec = selectors.recommendation_get(client=self.client, pk=pk)
        try:
            new = services.plan_reask(client=self.client, recommendation=rec, user=request.user)
        except PlanError as exc:
            messages.error(request, exc.message)
            return redirect("plans:detail", slug=self.client.slug, pk=rec.pk)
        return redirect("plans:detail", slug=self.client.slug, pk=new.pk)


class ChooseView(ClientViewMixin, View):
    required_role = Role.VIEWER
    write_role = Role.MARKETER
    http_method_names = ["post"]

    def post(self, request, slug, pk):
        rec = selectors.recommendation_get(client=self.client, pk=pk)
        try:
            draft = services.plan_choose(client=self.client, recommendation=rec,
                                         plan_key=request.POST.get("plan", ""), user=request.user)
        except PlanError as exc:
            messages.error(request, exc.message)
            return redirect("plans:detail", slug=self.client.slug, pk=rec.pk)
        messages.success(request, _("기획안으로 캠페인 초안을 만들었습니다. 내용을 다듬어 저장하세요."))
        return redirect("plans:draft", slug=self.client.slug, pk=draft.pk)


def _message_link(client, draft) -> str:
    """messaging's new-campaign page with the plan's text, to tell shoppers about the promotion."""
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("messaging:campaign_new", kwargs={"slug": client.slug})
    except NoReverseMatch:
        return ""
    body = _("[%(name)s] %(prize)s 증정! 참여 방법: %(how)s") % {
        "name": draft.name, "prize": draft.prize, "how": draft.participation}
    return f"{url}?{urlencode({'name': draft.name, 'body': body})}"


class DraftView(ClientViewMixin, TemplateView):
    template_name = "plans/draft.html"
    required_role = Role.VIEWER
    write_role = Role.MARKETER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        draft = selectors.draft_get(client=self.client, pk=kwargs["pk"])
        ctx.update(draft=draft, can_write=self.membership.allows(Role.MARKETER), message_link=_message_link(self.client, draft),
                   budget_label=BUDGET_LABELS[draft.plan["budget"]], channel_label=CHANNEL_LABELS[draft.plan["channel"]])
        return ctx

    def post(self, request, slug, pk):
        draft = selectors.draft_get(client=self.client, pk=pk)
        p = request.POST
        try:
            if p.get("action") == "results":
                services.plan_draft_record_results(
                    client=self.client, draft=draft, participants=_int(p.get("actual_participants")),
                    cost=_int(p.get("actual_cost")), revenue=_int(p.get("actual_revenue")), user=request.user)
                messages.success(request, _("성과를 저장했습니다. 다음 추천부터 이 결과가 반영됩니다."))
            else:
                services.plan_draft_update(client=self.client, draft=draft, name=p.get("name", ""),
                                           prize=p.get("prize", ""), participation=p.get("participation", ""),
                                           budget_krw=_int(p.get("budget_krw")), user=request.user)
                messages.success(request, _("캠페인 초안을 저장했습니다."))
        except PlanError as exc:
            ctx = self.get_context_data(pk=pk, error=exc, posted=p)
            return self.render_to_response(ctx, status=exc.status)
        return redirect("plans:draft", slug=self.client.slug, pk=draft.pk)
