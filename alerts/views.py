"""Alert pages under /c/<slug>/alerts/: the list (with the unread badge and mutes), an alert's
chart with its baselines, acknowledge, mute, and the notification settings."""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from tenants.access import ClientViewMixin
from tenants.models import Role

from . import selectors, services
from .detect.explain import KIND_KO, METRIC_KO, subject
from .errors import AlertError
from .models import AlertMute

PAGE_SIZE = 25


class AlertListView(ClientViewMixin, TemplateView):
    template_name = "alerts/list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        state = self.request.GET.get("state") or ""
        level = self.request.GET.get("level") or ""
        qs = selectors.alert_list(client=self.client, state=state or None, level=level or None)
        page = Paginator(qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        for a in page.object_list:
            a.title = subject(a.entity_kind, a.entity_id, a.metric)
        ctx.update(page=page, state=state, level=level, unread=selectors.unread_count(client=self.client),
                   mutes=selectors.active_mutes(client=self.client, at=_now()),
                   can_write=self.membership.allows(Role.MARKETER), kinds=KIND_KO, metrics=METRIC_KO,
                   counters=services.explain_counters())
        return ctx


class AlertDetailView(ClientViewMixin, TemplateView):
    template_name = "alerts/detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        alert = selectors.alert_get(client=self.client, pk=kwargs["pk"])
        try:
            series = selectors.alert_series(client=self.client, alert=alert)
            chart = {"labels": [t.isoformat() for t in series["labels"]], "observed": series["observed"],
                     "yesterday": series["yesterday"], "week": series["week"],
                     "expected": round(alert.expected, 2), "short": (alert.baselines or {}).get("short"),
                     "start": alert.start_bucket.isoformat(), "last": alert.last_bucket.isoformat()}
        except Exception:   # the chart is a convenience: the alert itself still shows
            chart = None
        ctx.update(alert=alert, title=subject(alert.entity_kind, alert.entity_id, alert.metric), chart=chart,
                   can_write=self.membership.allows(Role.MARKETER),
                   chart_text={"observed": _("관측"), "yesterday": _("어제 같은 시각"), "week": _("지난주 같은 시각"),
                               "expected": _("예상"), "short": _("최근 60분 중앙값")})
        return ctx


class AlertAcknowledgeView(ClientViewMixin, View):
    write_role = Role.MARKETER

    def post(self, request, slug, pk):
        alert = selectors.alert_get(client=self.client, pk=pk)
        services.alert_acknowledge(alert=alert, actor=request.user)
        messages.success(request, _("알림을 확인 처리했습니다."))
        return redirect("alerts:detail", slug=slug, pk=pk)


class AlertMuteView(ClientViewMixin, View):
    """Mute the alert's series (or its whole metric) for some hours."""

    write_role = Role.MARKETER

    def post(self, request, slug, pk):
        alert = selectors.alert_get(client=self.client, pk=pk)
        scope = request.POST.get("scope", "series")
        try:
            hours = int(request.POST.get("hours", "24"))
        except ValueError:
            messages.error(request, _("음소거 시간은 숫자(시간)로 입력하세요."))
            return redirect("alerts:detail", slug=slug, pk=pk)
        try:
            services.alert_mute_create(
                client=self.client, actor=request.user, hours=hours,
                entity_kind=alert.entity_kind if scope == "series" else "",
                entity_id=alert.entity_id if scope == "series" else "", metric=alert.metric,
                reason=request.POST.get("reason", ""))
        except AlertError as exc:
            messages.error(request, exc.message)
            return redirect("alerts:detail", slug=slug, pk=pk)
        messages.success(request, _("%(hours)d시간 동안 이 알림을 보내지 않습니다.") % {"hours": hours})
        return redirect("alerts:detail", slug=slug, pk=pk)


class MuteDeleteView(ClientViewMixin, View):
    write_role = Role.MARKETER

    def post(self, request, slug, pk):
        mute = get_object_or_404(AlertMute, client=self.client, pk=pk)
        services.alert_mute_delete(mute=mute, actor=request.user)
        messages.success(request, _("음소거를 해제했습니다."))
        return redirect("alerts:list", slug=slug)


class AlertSettingsView(ClientViewMixin, TemplateView):
    template_name = "alerts/settings.html"
    write_role = Role.OWNER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(conf=selectors.notification_settings(client=self.client),
                   can_write=self.membership.allows(Role.OWNER))
        return ctx

    def post(self, request, slug):
        p = request.POST
        secret = p.get("webhook_secret", "")
        try:
            services.notification_settings_update(
                client=self.client, actor=request.user, email_enabled=bool(p.get("email_enabled")),
                email_recipients=p.get("email_recipients", "").replace(",", "\n").splitlines(),
                webhook_enabled=bool(p.get("webhook_enabled")), webhook_url=p.get("webhook_url", "").strip(),
                webhook_secret=secret if secret else None)
        except AlertError as exc:
            messages.error(request, exc.message)
            return self.render_to_response(self.get_context_data(), status=400)
        messages.success(request, _("알림 설정을 저장했습니다."))
        return redirect("alerts:settings", slug=slug)


def _now():
    from django.utils import timezone

    return timezone.now()
