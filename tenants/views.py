"""Pages of the marketer UI shell: home, dashboard, settings (profile, members, keys, audit) and
invitation acceptance. (/healthz checks the whole system, so it lives at the composition root,
untitle/health.py.)"""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from .access import ClientViewMixin
from .audit_display import audit_line
from .forms import (COMMON_TIMEZONES, ClientProfileForm, InvitationSignupForm, InviteForm,
                    MemberRoleForm)
from .models import Role
from .net import client_ip as _client_ip
from .selectors import (audit_list, client_list_for_user, invitation_get, invitation_list_open, member_get,
                        member_list)
from .services import (InvitationInvalid, LastOwnerError, client_rotate_ingest_key,
                       client_rotate_secret, client_update, invitation_accept, invitation_create,
                       invitation_get_valid, invitation_revoke, membership_change_role,
                       membership_remove)
from .usage import client_event_counts

# The navigation: (section slug, label); each section is an app's own page under /c/<slug>/.
NAV_SECTIONS = [
    ("ask", gettext_lazy("질문하기")),
    ("audiences", gettext_lazy("오디언스")),
    ("campaigns", gettext_lazy("캠페인")),
    ("plans", gettext_lazy("캠페인 추천")),
    ("alerts", gettext_lazy("알림")),
    ("customers", gettext_lazy("고객")),
    ("events", gettext_lazy("이벤트")),
    ("settings", gettext_lazy("설정")),
]
SECTION_LABELS = dict(NAV_SECTIONS)


@login_required
def home(request):
    first = client_list_for_user(user=request.user).first()
    if first is not None:
        return redirect("tenants:dashboard", slug=first.slug)
    return render(request, "tenants/no_client.html")


class DashboardView(ClientViewMixin, TemplateView):
    template_name = "tenants/dashboard.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        counts = client_event_counts(client_ids=[self.client.pk], days=7)
        ctx["events_7d"] = None if counts is None else counts.get(self.client.pk, 0)
        ctx["sections"] = [(s, label) for s, label in NAV_SECTIONS if s != "settings"]
        return ctx


class SettingsMixin(ClientViewMixin):
    settings_tab = ""

    def render_page(self, request, template, **ctx):
        ctx.update(client=self.client, membership=self.membership, settings_tab=self.settings_tab,
                   section="settings", is_owner=self.membership.allows(Role.OWNER))
        return render(request, template, ctx)


class ProfileView(SettingsMixin, View):
    settings_tab = "profile"
    write_role = Role.OWNER

    def get(self, request, slug):
        return self._render(request, ClientProfileForm(instance=self.client))

    def post(self, request, slug):
        # A copy: a failed save must not leave half-applied values on the shown client.
        form = ClientProfileForm(request.POST, instance=type(self.client).objects.get(pk=self.client.pk))
        if not form.is_valid():
            return self._render(request, form, status=400)
        client_update(client=self.client, actor=request.user, ip_address=_client_ip(request),
                      **{f: form.cleaned_data[f] for f in form.Meta.fields})
        messages.success(request, _("고객사 정보를 저장했습니다."))
        return redirect("tenants:settings", slug=self.client.slug)

    def _render(self, request, form, status=200):
        resp = self.render_page(request, "tenants/settings_profile.html", form=form,
                                timezones=COMMON_TIMEZONES)
        resp.status_code = status
        return resp


class MembersView(SettingsMixin, View):
    settings_tab = "members"
    write_role = Role.OWNER

    def get(self, request, slug):
        return self._render(request, InviteForm())

    def post(self, request, slug):
        form = InviteForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        invitation, _token = invitation_create(client=self.client, email=form.cleaned_data["email"],
                                               role=form.cleaned_data["role"], actor=request.user)
        messages.success(request, _("%(email)s 님에게 초대 메일을 보냈습니다.") % {"email": invitation.email})
        return redirect("tenants:members", slug=self.client.slug)

    def _render(self, request, form, status=200):
        resp = self.render_page(
            request, "tenants/settings_members.html", invite_form=form,
            members=member_list(client=self.client), invitations=invitation_list_open(client=self.client),
            roles=Role.choices,
        )
        resp.status_code = status
        return resp


class MemberRoleView(SettingsMixin, View):
    required_role = Role.OWNER

    def post(self, request, slug, pk):
        membership = member_get(client=self.client, pk=pk)
        form = MemberRoleForm(request.POST)
        error = None
        if not form.is_valid():
            error = _("올바른 역할을 선택하세요.")
        else:
            try:
                membership_change_role(membership=membership, role=form.cleaned_data["role"], actor=request.user)
            except LastOwnerError:
                error = _("마지막 소유자의 역할은 바꿀 수 없습니다.")
        if request.headers.get("HX-Request"):
            # htmx swaps just this member's row.
            membership.refresh_from_db()
            resp = render(request, "tenants/_member_row.html", {
                "m": membership, "roles": Role.choices, "is_owner": True, "client": self.client,
                "row_error": error, "row_saved": error is None,
            })
            resp.status_code = 400 if error else 200
            return resp
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("역할을 변경했습니다."))
        return redirect("tenants:members", slug=self.client.slug)


class MemberRemoveView(SettingsMixin, View):
    required_role = Role.OWNER

    def post(self, request, slug, pk):
        membership = member_get(client=self.client, pk=pk)
        try:
            membership_remove(membership=membership, actor=request.user)
        except LastOwnerError:
            messages.error(request, _("마지막 소유자는 내보낼 수 없습니다."))
        else:
            messages.success(request, _("%(user)s 님을 내보냈습니다.") % {"user": membership.user.get_username()})
        if membership.user_id == request.user.id and not membership.pk:
            return redirect("home")
        return redirect("tenants:members", slug=self.client.slug)


class InvitationRevokeView(SettingsMixin, View):
    required_role = Role.OWNER

    def post(self, request, slug, pk):
        invitation = invitation_get(client=self.client, pk=pk)
        invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(request, _("초대를 취소했습니다."))
        return redirect("tenants:members", slug=self.client.slug)


class KeysView(SettingsMixin, View):
    settings_tab = "keys"
    required_role = Role.MARKETER
    write_role = Role.OWNER

    def get(self, request, slug):
        return self.render_page(request, "tenants/settings_keys.html", new_secret=None)

    def post(self, request, slug):
        which = request.POST.get("rotate")
        new_secret = None
        if which == "secret":
            new_secret = client_rotate_secret(client=self.client, actor=request.user)
            messages.success(request, _("새 비밀 키를 발급했습니다. 이 화면을 떠나면 다시 볼 수 없습니다."))
        elif which == "ingest_key":
            client_rotate_ingest_key(client=self.client, actor=request.user)
            messages.success(request, _("새 수집 키를 발급했습니다. 스토어의 스크립트를 갱신하세요."))
        else:
            resp = self.render_page(request, "tenants/settings_keys.html", new_secret=None,
                                    error=_("무엇을 교체할지 선택하세요."))
            resp.status_code = 400
            return resp
        # Rendered, not redirected: the new secret is shown exactly once, on this response.
        resp = self.render_page(request, "tenants/settings_keys.html", new_secret=new_secret)
        resp["Cache-Control"] = "no-store"
        return resp


class AuditView(SettingsMixin, View):
    settings_tab = "audit"
    required_role = Role.OWNER
    page_size = 50

    def get(self, request, slug):
        page = Paginator(audit_list(client=self.client), self.page_size).get_page(request.GET.get("page"))
        lines = [(e, audit_line(action=e.action, target=e.target, details=e.details)) for e in page]
        return self.render_page(request, "tenants/settings_audit.html", page=page, lines=lines)


def invitation_accept_view(request, token):
    """GET shows the invitation; POST joins (logged in) or creates the account and joins."""
    try:
        invitation = invitation_get_valid(token=token)
    except InvitationInvalid as exc:
        status = 404 if exc.reason == "unknown" else 410
        return render(request, "tenants/invitation_invalid.html", {"reason": exc.reason}, status=status)
    form = None
    if not request.user.is_authenticated:
        form = InvitationSignupForm(request.POST or None)
    if request.method == "POST":
        if form is not None and not form.is_valid():
            return render(request, "tenants/invitation_accept.html",
                          {"invitation": invitation, "form": form}, status=400)
        try:
            if form is None:
                membership = invitation_accept(token=token, user=request.user)
            else:
                membership = invitation_accept(token=token, username=form.cleaned_data["username"],
                                               password=form.cleaned_data["password1"])
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except InvitationInvalid as exc:
            # Someone used the link between our GET and this POST.
            return render(request, "tenants/invitation_invalid.html", {"reason": exc.reason}, status=410)
        messages.success(request, _("%(client)s에 참여했습니다.") % {"client": membership.client.name})
        return HttpResponseRedirect(reverse("tenants:dashboard", args=[membership.client.slug]))
    return render(request, "tenants/invitation_accept.html", {"invitation": invitation, "form": form})

