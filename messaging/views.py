"""Marketer pages: campaigns (list, create with preview, detail with live progress and results)
and the Cafe24 connection in settings (owner only). Cafe24's own entry points (OAuth callback,
app launch) live here too."""
from __future__ import annotations

import json
import logging
import secrets
import uuid as uuid_mod

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from csp.decorators import csp_update
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from insights.facade import audience_choices
from tenants.access import ClientViewMixin
from tenants.models import Client, Membership, Role
from untitle.api_errors import error_response, json_error
from untitle.body import BodyError, json_object

from . import compliance, templates as msg_templates
from .cafe24 import hmac as cafe24_hmac
from .cafe24.client import Cafe24Error
from .campaigns import selectors as campaign_selectors
from .campaigns.checks import link_check
from .campaigns.services import campaign_cancel, campaign_create, campaign_start, send_blocker
from .connection.selectors import connection_get
from .connection.services import cafe24_authorize_url, cafe24_connect, cafe24_disconnect
from .errors import MessagingError, MessagingErrorCode
from .models import Cafe24Connection, Campaign
from .sending.push import fcm_credentials
from .sending.render import render_message
from .sending import testers
from .sending.services import campaign_test_send
from .sending.subscribers import push_subscribe

logger = logging.getLogger(__name__)
_AUDIENCE_LABELS = {"segment": gettext_lazy("세그먼트: %(n)s"), "query": gettext_lazy("저장된 질문: %(n)s")}


class SchedulePickerWidget(forms.TextInput):
    """The recurring schedule in words (tenants/_schedule_picker.html); the cron it writes is the
    field's value, typed by hand only under 고급."""

    timezone = ""

    def render(self, name, value, attrs=None, renderer=None):
        from django.template.loader import render_to_string

        from tenants.templatetags.display import schedule_picker_context

        ctx = schedule_picker_context(input_id=(attrs or {}).get("id", f"id_{name}"), name=name,
                                      value=value or "", label="", tz=self.timezone,
                                      none_label=_("반복 안 함"))
        return render_to_string("tenants/_schedule_picker.html", ctx)


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("이름"), max_length=120)
    channel = forms.ChoiceField(label=gettext_lazy("채널"), choices=Campaign.Channel.choices)
    audience = forms.ChoiceField(label=gettext_lazy("오디언스"))
    body_a = forms.CharField(label=gettext_lazy("A안 내용"), widget=forms.Textarea(attrs={"rows": 4}))
    body_b = forms.CharField(label=gettext_lazy("B안 내용 (선택, A/B 테스트)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 4}))
    title = forms.CharField(label=gettext_lazy("제목 (푸시/LMS)"), max_length=120, required=False)
    link_url = forms.URLField(label=gettext_lazy("링크"), required=False, assume_scheme="https",
                              help_text=gettext_lazy("https:// 로 시작하는 주소"))
    is_ad = forms.BooleanField(label=gettext_lazy("광고성 메시지"), required=False, initial=True)
    sender_name = forms.CharField(label=gettext_lazy("보내는 사람(상호)"), max_length=60, required=False)
    contact = forms.CharField(label=gettext_lazy("연락처"), max_length=60, required=False)
    optout_text = forms.CharField(label=gettext_lazy("수신거부 안내"), max_length=120, required=False,
                                  initial="무료수신거부 080-000-0000")
    schedule_kind = forms.ChoiceField(label=gettext_lazy("발송 시점"), choices=Campaign.Schedule.choices)
    scheduled_at = forms.DateTimeField(label=gettext_lazy("예약 시각"), required=False,
                                       widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    cron = forms.CharField(label=gettext_lazy("반복 일정"), required=False, widget=SchedulePickerWidget,
                           help_text=gettext_lazy("발송 시점이 '반복'일 때 보내는 일정"))
    holdout_pct = forms.IntegerField(label=gettext_lazy("대조군 비율(%)"), min_value=0, max_value=50, initial=10)
    daily_cap = forms.IntegerField(label=gettext_lazy("회원당 하루 최대 발송"), min_value=0, max_value=20, initial=2)

    def clean_link_url(self):
        url = self.cleaned_data.get("link_url", "")
        try:
            link_check(url)
        except MessagingError as exc:
            raise forms.ValidationError(exc.message)
        return url

    def __init__(self, *args, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = [(a.key, str(_AUDIENCE_LABELS[a.kind]) % {"n": a.name})
                                           for a in audience_choices(client=client)]
        self.fields["sender_name"].initial = client.name if client else ""
        self.fields["cron"].widget.timezone = client.timezone if client else ""


def _audience_kwargs(value: str) -> dict:
    # campaign_create checks the audience is the client's own.
    kind, _sep, pk = (value or "").partition(":")
    if kind == "segment" and pk.isdigit():
        return {"segment_id": int(pk)}
    if kind == "query" and pk.isdigit():
        return {"saved_query_id": int(pk)}
    message = _("오디언스(세그먼트 또는 저장된 질문)를 선택해 주세요.")
    raise MessagingError(message, fields={"audience": message})


class CampaignListView(ClientViewMixin, TemplateView):
    template_name = "messaging/campaign_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        page = Paginator(campaign_selectors.campaign_list(client=self.client), 25).get_page(self.request.GET.get("page"))
        ctx.update(page=page, campaigns=page.object_list,
                   can_write=self.membership.allows(Role.MARKETER))
        return ctx


class CampaignCreateView(ClientViewMixin, TemplateView):
    template_name = "messaging/campaign_form.html"
    required_role = Role.MARKETER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if "form" not in ctx:
            # A plan draft (plans app) or a segment page links here with what it already knows;
            # the audience is only pre-selected when it is one of this client's own choices.
            q = self.request.GET
            initial = {k: v for k, v in (("name", q.get("name", "")[:120]), ("body_a", q.get("body", "")),
                                         ("audience", q.get("audience", ""))) if v}
            ctx["form"] = _offered_channels(CampaignForm(client=self.client, initial=initial), self.client)
            if initial.get("audience") not in dict(ctx["form"].fields["audience"].choices):
                ctx["form"].initial.pop("audience", None)
        ctx["simulated"] = settings.SIMULATED_CHANNEL
        ctx["variables"] = [(k, str(label)) for k, (label, _f) in msg_templates.VARIABLES.items()]
        return ctx

    def post(self, request, slug):
        form = _offered_channels(CampaignForm(request.POST, client=self.client), self.client)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        d = form.cleaned_data
        variants = [{"key": "A", "body": d["body_a"], "title": d["title"]}]
        if d.get("body_b", "").strip():
            variants.append({"key": "B", "body": d["body_b"], "title": d["title"]})
        try:
            campaign = campaign_create(
                client=self.client, actor=request.user, name=d["name"], channel=d["channel"], variants=variants,
                link_url=d["link_url"], is_ad=d["is_ad"], sender_name=d["sender_name"], contact=d["contact"],
                optout_text=d["optout_text"], schedule_kind=d["schedule_kind"], scheduled_at=d["scheduled_at"],
                cron=d["cron"], holdout_pct=d["holdout_pct"], daily_cap=d["daily_cap"],
                **_audience_kwargs(d["audience"]))
        except (MessagingError, Cafe24Error) as exc:
            form.add_error(getattr(exc, "field", None) if getattr(exc, "field", None) in form.fields else None,
                           getattr(exc, "message", str(exc)))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, _("캠페인을 초안으로 저장했습니다. 내용을 확인한 뒤 보내세요."))
        return redirect("messaging:campaign", slug=self.client.slug, pk=campaign.pk)


def _offered_channels(form: CampaignForm, client: Client) -> CampaignForm:
    """The simulated channel only where this server offers it (the demo); there it is the first
    choice while no real channel is set up, so a new user can send at once."""
    field = form.fields["channel"]
    if not settings.SIMULATED_CHANNEL:
        field.choices = [(k, v) for k, v in field.choices if k != Campaign.Channel.SIMULATED]
    elif not form.is_bound and not fcm_credentials() \
            and not Cafe24Connection.objects.filter(client=client, status=Cafe24Connection.Status.ACTIVE).exists():
        field.initial = Campaign.Channel.SIMULATED  # the field's default: what a link prefilled stays as is
    return form


class CampaignPreviewView(ClientViewMixin, View):
    """Renders what a recipient would see, with the advertising frame and checks, as you type."""

    required_role = Role.MARKETER

    def post(self, request, slug):
        channel = request.POST.get("channel", "push")
        is_ad = request.POST.get("is_ad") in ("on", "true", "1")
        out = []
        for key in ("a", "b"):
            body = request.POST.get(f"body_{key}", "")
            if key == "b" and not body.strip():
                continue
            try:
                msg_templates.validate(body)
            except msg_templates.TemplateError as exc:
                out.append({"variant": key.upper(), "error": str(exc)})
                continue
            text = msg_templates.render(body, {"name": "홍길동", "member_id": "member0001", "shop_name": self.client.name,
                                               "link": msg_templates.add_tracking(request.POST.get("link_url", ""), "preview")})
            problems = []
            if is_ad:
                kw = dict(channel=channel, sender_name=request.POST.get("sender_name", ""),
                          contact=request.POST.get("contact", ""), optout=request.POST.get("optout_text", ""))
                text = compliance.compose_ad(text, **kw)
                problems = [p.message for p in compliance.check_ad(text, **kw)]
            item = {"variant": key.upper(), "text": text, "problems": problems}
            if channel == "sms":
                try:
                    item["sms_type"] = compliance.sms_type(text)
                except ValueError:
                    item["problems"].append(_("문자가 너무 깁니다 (LMS 2,000바이트 초과)."))
                item["bytes"] = compliance.euckr_bytes(text)
            out.append(item)
        return JsonResponse({"previews": out})


class CampaignDetailView(ClientViewMixin, TemplateView):
    template_name = "messaging/campaign_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        campaign = campaign_selectors.campaign_get(client=self.client, pk=kwargs["pk"])
        page = Paginator(campaign_selectors.delivery_page(campaign=campaign, status=self.request.GET.get("status", "")),
                         50).get_page(self.request.GET.get("page"))
        first = campaign.variants.first()
        preview = render_message(campaign=campaign, variant=first, values={"name": "홍길동"})[1] if first else ""
        progress = campaign_selectors.campaign_progress(campaign=campaign)
        can_write = self.membership.allows(Role.MARKETER)
        sendable = campaign.status in (Campaign.Status.DRAFT, Campaign.Status.FAILED)
        ctx.update(campaign=campaign, variants=list(campaign.variants.all()), page=page, deliveries=page.object_list,
                   progress=progress, preview=preview, can_write=can_write,
                   blocker=send_blocker(campaign=campaign) if can_write and sendable else None,
                   summary=_results_summary(campaign) if progress["counts"]["sent"] else None,
                   page_config={"progress_url": reverse("messaging:api-campaign-progress", args=[self.client.pk, campaign.pk]),
                                "results_url": reverse("messaging:api-campaign-results", args=[self.client.pk, campaign.pk])})
        return ctx


def _pp(v) -> str:
    return "—" if v is None else f"{v * 100:+.2f}%p"


def _results_summary(campaign: Campaign) -> dict | None:
    """The results in one line per variant for the page itself (the table below is drawn by JS)."""
    try:
        res = campaign_selectors.campaign_results(campaign=campaign)
    except Exception:  # the event store is down: the page still shows progress and deliveries
        logger.warning("results of campaign %s unavailable", campaign.pk, exc_info=True)
        return None
    sent = [g for g in res["groups"] if g["variant"] != "holdout"]
    hold = next((g for g in res["groups"] if g["variant"] == "holdout"), None)
    lifts = []
    for g in sent:
        lift = g.get("lift") or {}
        if lift.get("diff") is None:
            lifts.append(_("%(v)s안: 대조군이 없어 상승을 잴 수 없습니다.") % {"v": g["variant"]})
        else:
            lifts.append(_("%(v)s안: 대조군 대비 구매 전환 %(d)s (95%% 신뢰구간 %(lo)s ~ %(hi)s)")
                         % {"v": g["variant"], "d": _pp(lift["diff"]), "lo": _pp(lift["low"]), "hi": _pp(lift["high"])})
    return {"sent": sum(g["n"] for g in sent), "clickers": sum(g["clickers"] for g in sent),
            "orders": sum(g["converters"] for g in sent), "revenue": sum(g["revenue"] for g in sent),
            "holdout": hold["n"] if hold else 0, "holdout_orders": hold["converters"] if hold else 0,
            "lifts": lifts}


class _CampaignAction(ClientViewMixin, View):
    required_role = Role.MARKETER

    def campaign(self, pk) -> Campaign:
        return campaign_selectors.campaign_get(client=self.client, pk=pk)

    def done(self, pk):
        return redirect("messaging:campaign", slug=self.client.slug, pk=pk)


class CampaignSendView(_CampaignAction):
    def post(self, request, slug, pk):
        campaign = self.campaign(pk)
        if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.FAILED):
            messages.error(request, _("이미 발송했거나 예약된 캠페인입니다."))
            return self.done(pk)
        try:
            progress = campaign_start(campaign=campaign, actor=request.user)
        except (MessagingError, Cafe24Error) as exc:
            # The page shows what to do next with its link (send_blocker); this says it happened.
            messages.error(request, getattr(exc, "message", str(exc)))
            return self.done(pk)
        messages.success(request, _("발송을 시작했습니다: 대상 %(n)s명") % {"n": f"{progress['total']:,}"})
        return self.done(pk)


class CampaignTestSendView(_CampaignAction):
    def post(self, request, slug, pk):
        campaign = self.campaign(pk)
        try:
            out = campaign_test_send(campaign=campaign, actor=request.user,
                                     visitor=request.POST.get("visitor", ""),
                                     member_id=request.POST.get("member_id", ""))
        except (MessagingError, Cafe24Error) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
            return self.done(pk)
        messages.success(request, _("테스트 발송: 성공 %(s)s, 실패 %(f)s") % {"s": out["sent"], "f": out["failed"]})
        return self.done(pk)


class CampaignCancelView(_CampaignAction):
    def post(self, request, slug, pk):
        campaign_cancel(campaign=self.campaign(pk), actor=request.user)
        messages.success(request, _("캠페인을 취소했습니다. 아직 보내지 않은 메시지는 나가지 않습니다."))
        return self.done(pk)


class Cafe24SettingsView(ClientViewMixin, TemplateView):
    template_name = "messaging/cafe24_settings.html"
    required_role = Role.OWNER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(connection=connection_get(client=self.client), settings_tab="cafe24", is_owner=True,
                   configured=bool(settings.CAFE24_CLIENT_ID and settings.CAFE24_CLIENT_SECRET))
        return ctx

    def post(self, request, slug):
        if request.POST.get("action") == "disconnect":
            cafe24_disconnect(client=self.client, actor=request.user)
            messages.success(request, _("Cafe24 연결을 해제했습니다. 쇼핑몰의 SDK 스크립트도 제거했습니다."))
            return redirect("messaging:cafe24_settings", slug=slug)
        state = secrets.token_urlsafe(24)
        request.session["cafe24_oauth"] = {"state": state, "slug": self.client.slug}
        try:
            url = cafe24_authorize_url(client=self.client, state=state, redirect_uri=_redirect_uri())
        except MessagingError as exc:
            messages.error(request, exc.message)
            return redirect("messaging:cafe24_settings", slug=slug)
        return redirect(url)


def _redirect_uri() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("messaging:cafe24_callback")


@login_required
def cafe24_callback(request):
    """Cafe24 redirects here with ?code&state; state must be the one this session started."""
    pending = request.session.pop("cafe24_oauth", None) or {}
    if not pending or not secrets.compare_digest(str(pending.get("state", "")), request.GET.get("state", "")):
        return HttpResponseForbidden(_("연결 요청이 만료되었거나 올바르지 않습니다. 설정에서 다시 연결해 주세요."))
    membership = Membership.objects.select_related("client").filter(user=request.user, client__slug=pending["slug"]).first()
    if membership is None or not membership.allows(Role.OWNER):
        raise Http404
    try:
        cafe24_connect(client=membership.client, code=request.GET.get("code", ""),
                       redirect_uri=_redirect_uri(), actor=request.user)
    except (MessagingError, Cafe24Error) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    else:
        messages.success(request, _("Cafe24를 연결했습니다. SDK 스크립트가 쇼핑몰에 설치되었습니다."))
    return redirect("messaging:cafe24_settings", slug=membership.client.slug)


def cafe24_launch(request):
    """The shop operator opens the app from the Cafe24 admin: verify the HMAC, then go to the shop."""
    params = cafe24_hmac.verify_launch(request.META.get("QUERY_STRING", ""), settings.CAFE24_CLIENT_SECRET)
    if params is None:
        return HttpResponseForbidden(_("Cafe24 앱 실행 서명이 올바르지 않거나 만료되었습니다."))
    client = Client.objects.filter(mall_id=params.get("mall_id")).first()
    if client is None:
        return render(request, "messaging/launch_unknown.html", {"mall_id": params.get("mall_id")}, status=404)
    return redirect("messaging:campaigns", slug=client.slug)


# --- Web push on our own origin: the public subscribe page, its manifest, and the marketers'
# own test recipients. The page carries no inline script (static JS only), so a strict CSP holds.

def _push_page_client(key: str) -> Client:
    client = Client.objects.filter(ingest_key=key, is_active=True).first()
    if client is None:
        raise Http404
    return client


def _push_script_attrs(request, *, key: str, endpoint: str, visitor: str, csrf: str = "") -> dict:
    return {"key": key, "endpoint": endpoint, "visitor": visitor, "csrf": csrf,
            "firebase": json.dumps(settings.FCM_WEB_CONFIG) if settings.FCM_WEB_CONFIG else "",
            "vapid": settings.FCM_VAPID_KEY, "sw": static("messaging/untitle-sw.js")}


# Firebase's messaging SDK comes from gstatic and talks to its installation and registration
# endpoints; only the two pages that get a token allow those, the rest of the site stays 'self'.
FIREBASE_CSP = {"script-src": ["https://www.gstatic.com"],
                "connect-src": ["https://firebaseinstallations.googleapis.com", "https://fcmregistrations.googleapis.com"]}


@csp_update(FIREBASE_CSP)
def push_subscribe_page(request, key: str):
    """GET /push/<ingest key>/: a page a shop can link to when it cannot host the service worker.
    ``?uuid=`` carries the shop's visitor id (the SDK's ``untitle('visitor', ...)``), so the
    subscription joins that visitor's behaviour; without it the browser gets its own id here."""
    client = _push_page_client(key)
    visitor = request.GET.get("uuid", "")
    try:
        visitor = str(uuid_mod.UUID(visitor))
    except ValueError:
        visitor = "auto"
    ctx = {"client": client, "manifest_url": reverse("messaging:push_manifest", args=[key]),
           "push": _push_script_attrs(request, key=key, endpoint=reverse("messaging:push_page_subscribe", args=[key]),
                                      visitor=visitor),
           "configured": bool(settings.FCM_WEB_CONFIG and settings.FCM_VAPID_KEY)}
    return render(request, "messaging/push_subscribe.html", ctx)


def push_manifest(request, key: str):
    """The web app manifest iOS needs before it offers web push (display: standalone): a shopper
    adds this page to the Home Screen and subscribes from there."""
    client = _push_page_client(key)
    start = reverse("messaging:push_page", args=[key])
    body = {"name": f"{client.name} 알림", "short_name": client.name[:12], "start_url": start, "scope": start,
            "display": "standalone", "lang": "ko", "background_color": "#ffffff", "theme_color": "#ffffff"}
    return JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def push_page_subscribe(request, key: str):
    """POST from the subscribe page above. Same-origin only: the Origin header must be ours (a
    page elsewhere cannot plant subscriptions), so it needs no CSRF cookie a fresh visitor lacks."""
    if request.method != "POST":
        return json_error(MessagingErrorCode.INVALID, _("POST로 보내 주세요."), status=405)
    own = f"{request.scheme}://{request.get_host()}"
    if request.headers.get("Origin", "") != own:
        return json_error(MessagingErrorCode.PERMISSION_DENIED, _("이 페이지에서만 구독할 수 있습니다."), status=403)
    client = _push_page_client(key)
    try:
        data = json_object(request.body)
    except BodyError as exc:
        return error_response(exc)
    try:
        sub = push_subscribe(client=client, visitor=str(data.get("uuid", "")), token=str(data.get("token", "")),
                             ad_consent=data.get("ad_consent") is True, night_consent=data.get("night_consent") is True)
    except MessagingError as exc:
        return error_response(exc)
    return JsonResponse({"ok": True, "ad_consent": sub.ad_consent}, status=201)


@method_decorator(csp_update(FIREBASE_CSP), name="dispatch")
class TestersView(ClientViewMixin, TemplateView):
    """캠페인 > 테스트 수신처: the signed-in marketer's own browsers and member ids, the only places
    "나에게 테스트 발송" reaches."""

    template_name = "messaging/testers.html"
    required_role = Role.MARKETER

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(testers=list(testers.tester_list(client=self.client, user=self.request.user)),
                   configured=bool(settings.FCM_WEB_CONFIG and settings.FCM_VAPID_KEY),
                   push=_push_script_attrs(self.request, key=self.client.ingest_key,
                                           endpoint=reverse("messaging:tester_device", args=[self.client.slug]),
                                           visitor="auto", csrf=get_token(self.request)))
        return ctx

    def post(self, request, slug):
        try:
            if request.POST.get("action") == "delete":
                testers.tester_delete(client=self.client, user=request.user, pk=int(request.POST.get("pk") or 0))
                messages.success(request, _("테스트 수신처를 지웠습니다."))
            else:
                testers.tester_member_register(client=self.client, user=request.user,
                                               member_id=request.POST.get("member_id", ""))
                messages.success(request, _("테스트 받을 회원 아이디를 등록했습니다."))
        except (MessagingError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("messaging:testers", slug=slug)


class TesterDeviceView(ClientViewMixin, View):
    """POST (JSON, CSRF header) from the testers page: this browser becomes the marketer's test device."""

    required_role = Role.MARKETER

    def post(self, request, slug):
        try:
            data = json_object(request.body)
        except BodyError as exc:
            return error_response(exc)
        try:
            rec = testers.tester_device_register(
                client=self.client, user=request.user, visitor=str(data.get("uuid", "")),
                token=str(data.get("token", "")), ad_consent=data.get("ad_consent") is True,
                night_consent=data.get("night_consent") is True,
                label=request.headers.get("User-Agent", "")[:120])
        except MessagingError as exc:
            return error_response(exc)
        return JsonResponse({"ok": True, "id": rec.pk}, status=201)
