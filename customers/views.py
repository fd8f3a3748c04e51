"""The 고객 pages: segment overview (sizes, value share, RFM chart, moves over time, Q&A, list)
and one customer's page (RFM, segment probabilities, order history, moves).

Viewers see customer keys masked everywhere on them, and follow encrypted references, not member
ids, from the list to a customer (CustomerKeysShown)."""
from datetime import timedelta

from cryptography.fernet import InvalidToken
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _, gettext_lazy
from django.views.generic import TemplateView

from events.clickhouse import ClickHouseUnavailable
from tenants.access import ClientViewMixin
from tenants.facade import can_see_pii, mask_customer_key
from tenants.models import Role
from untitle import crypto

from . import selectors, services
from .rfm.model import SEGMENTS

SEGMENT_COLORS = {"vip": "#3555d9", "mid": "#1f7a4d", "low": "#d98f35", "dormant": "#a0a0a0"}
QUESTION_EXAMPLES = [
    gettext_lazy("VIP 고객들의 특징은?"),
    gettext_lazy("휴면 고객 중 최근 장바구니에 담은 사람"),
    gettext_lazy("세그먼트 분포 보여줘"),
]


class CustomerKeysShown:
    """How the pages print customer keys: whole for marketers and owners; for a viewer masked
    (tenants.privacy), with links that carry an encrypted reference instead of the member id."""

    def pii(self) -> bool:
        return can_see_pii(self.membership)

    def shown(self, key: str) -> str:
        return key if self.pii() else mask_customer_key(key)

    def ref(self, key: str) -> str:
        # Encrypted, not merely signed: a signed value is only base64 and would spell the id out.
        return key if self.pii() else crypto.encrypt(f"{self.client.pk}:{key}")

    def dress(self, rows):
        """Give each profile / move ``shown_key`` and ``ref`` for the templates."""
        for row in rows:
            row.shown_key, row.ref = self.shown(row.customer_key), self.ref(row.customer_key)
        return rows

    def key_from(self, value: str) -> str:
        """The key a link carries: a reference from a viewer's page (of this client), or the key."""
        try:
            client_id, _sep, key = crypto.fernet().decrypt(value.encode()).decode().partition(":")
        except (InvalidToken, ValueError, UnicodeError):
            return value
        return key if client_id == str(self.client.pk) else value


class CustomersView(CustomerKeysShown, ClientViewMixin, TemplateView):
    template_name = "customers/overview.html"
    required_role = Role.VIEWER
    write_role = Role.MARKETER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        client = self.client
        names = selectors.segment_names(client)
        model = selectors.latest_model(client=client)
        overview = selectors.segment_overview(client=client)
        segment = self.request.GET.get("segment") or ""
        if segment not in SEGMENTS:
            segment = ""
        search = (self.request.GET.get("search") or "").strip()[:128]
        page = Paginator(selectors.profiles_page(client=client, segment=segment or None, search=search), 50)
        page_obj = page.get_page(self.request.GET.get("page"))
        page_obj.object_list = self.dress(list(page_obj.object_list))
        question = (self.request.GET.get("q") or "").strip()[:300]
        answer = None
        if question:
            try:
                answer = services.answer_question(client=client, question=question, masked=not self.pii())
            except ClickHouseUnavailable:
                answer = {"answer": _("이벤트 저장소에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."), "intent": {}}
        points = selectors.rfm_points(client=client)
        chart = {
            "segments": [{"code": c, "name": names[c], "color": SEGMENT_COLORS[c],
                          "points": [{"x": p["recency_days"], "y": p["frequency"], "m": p["monetary"],
                                      "key": self.shown(p["customer_key"])} for p in points[c]]} for c in SEGMENTS],
            "moves": selectors.segment_moves_daily(client=client, days=30),
            "names": names, "colors": SEGMENT_COLORS,
        }
        purchase = (model.metrics.get("purchase") or {}) if model else {}
        calibration = {h: v["deciles"] for h, v in (purchase.get("validation") or {}).items() if v.get("deciles")}
        chart["calibration"] = {"horizons": calibration, "labels": {
            "predicted": _("예측 확률"), "observed": _("실제 재구매율"), "decile": _("예측 순위 10분위 (낮음 → 높음)"),
            "30": _("30일"), "90": _("90일")}}
        cutoff = None
        if model and purchase.get("kind") == "classifier":
            cutoff = (model.as_of - timedelta(days=purchase.get("cutoff_days_before", 90))).astimezone(client.tzinfo)
        ctx.update(
            purchase=purchase, purchase_validation=purchase.get("validation") or {}, purchase_cutoff=cutoff,
            names=names, model=model, overview=overview, page_obj=page_obj, segment=segment, search=search,
            question=question, answer=answer, examples=QUESTION_EXAMPLES, chart=chart,
            moves=self.dress(list(selectors.recent_moves(client=client, limit=20))), settings_obj=selectors.settings_for(client),
            can_write=self.membership.allows(Role.MARKETER), is_owner=self.membership.allows(Role.OWNER),
            segment_codes=SEGMENTS,
        )
        return ctx

    def post(self, request, *args, **kwargs):
        """Refit now (a new model version). Runs on the worker; the page shows the new version."""
        services.model_refit_request(client=self.client, actor=request.user)
        messages.success(request, _("재학습을 시작했습니다. 잠시 후 새 모델 버전이 표시됩니다."))
        return redirect("customers:overview", slug=self.client.slug)


class CustomerSettingsView(ClientViewMixin, TemplateView):
    required_role = Role.OWNER
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            n = int(request.POST.get("n_components", "4"))
        except ValueError:
            n = -1
        if n != 0 and not 2 <= n <= 6:
            messages.error(request, _("군집 수는 2~6 사이이거나, BIC로 자동 선택하려면 0이어야 합니다."))
            return redirect("customers:overview", slug=self.client.slug)
        names = {code: request.POST.get(f"name_{code}", "")[:40] for code in SEGMENTS}
        services.customer_settings_update(client=self.client, actor=request.user,
                                          include_guests=request.POST.get("include_guests") == "on",
                                          n_components=n, segment_names=names)
        messages.success(request, _("고객 세그먼트 설정을 저장했습니다. 다음 재학습부터 적용됩니다."))
        return redirect("customers:overview", slug=self.client.slug)


class CustomerDetailView(CustomerKeysShown, ClientViewMixin, TemplateView):
    template_name = "customers/detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        key = self.key_from(self.kwargs["customer_key"])
        profile = selectors.profile_get(client=self.client, customer_key=key)
        if profile is None:
            raise Http404(_("고객을 찾을 수 없습니다."))
        self.dress([profile])
        names = selectors.segment_names(self.client)
        conf = selectors.settings_for(self.client)
        try:
            history = selectors.customer_orders(client=self.client, customer_key=key,
                                                include_guests=conf.include_guests)
            history_error = ""
        except ClickHouseUnavailable:
            history, history_error = [], _("이벤트 저장소에 연결할 수 없어 주문 기록을 보여 줄 수 없습니다.")
        probs = [{"code": c, "name": names[c], "p": profile.probabilities.get(c, 0.0), "pct": profile.probabilities.get(c, 0.0) * 100,
                  "color": SEGMENT_COLORS[c]} for c in SEGMENTS if c in profile.probabilities]
        ctx.update(profile=profile, names=names, segment_name=names[profile.segment], probs=probs,
                   history=history, history_error=history_error,
                   moves=self.dress(list(selectors.recent_moves(client=self.client, customer_key=key, limit=50))))
        return ctx
