"""Operators' admin: create clients (through the service, so keys and audit are right), invite a
first owner, see connection status and usage, deactivate; browse the audit log read-only."""
import threading

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _, gettext_lazy

from .models import AuditEntry, Client, Invitation, Membership, Role
from .services import client_create, client_set_active, invitation_create
from .usage import client_event_counts

# Usage for the whole changelist page is fetched in one ClickHouse query per request; the
# column callables only receive the object, so the figures travel in a per-thread slot.
_usage = threading.local()


class ClientAddForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "slug", "mall_id", "timezone", "industry", "business_type", "region"]

    slug = forms.SlugField(label=gettext_lazy("슬러그"), required=False,
                           help_text=gettext_lazy("비워 두면 몰 ID나 이름에서 만듭니다."))


class InviteOwnerForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("소유자 이메일"))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    can_delete = True
    fields = ["email", "role", "created_at", "expires_at", "accepted_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # invitations are created through "초대" so the e-mail goes out


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "mall_id", "is_active", "member_count", "events_7d", "connection_status",
                    "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug", "mall_id"]
    readonly_fields = ["ingest_key", "secret_rotated_at", "created_at", "connection_status", "invite_link"]
    actions = ["deactivate", "activate"]
    inlines = [MembershipInline, InvitationInline]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ClientAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ClientAddForm.Meta.fields
        return ["name", "slug", "mall_id", "timezone", "industry", "business_type", "region", "is_active",
                "allowed_origins", "ingest_key", "secret_rotated_at", "created_at", "connection_status",
                "invite_link"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_members=Count("memberships"))

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        created, secret = client_create(
            name=data["name"], mall_id=data.get("mall_id") or None, timezone_name=data["timezone"],
            industry=data.get("industry", ""), business_type=data.get("business_type", ""),
            region=data.get("region", ""), slug=data.get("slug") or None, actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()
        messages.warning(request, _("비밀 키(이번 한 번만 표시됩니다): %(secret)s") % {"secret": secret})

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        _usage.counts = None
        cl = getattr(response, "context_data", {}) or {}
        cl = cl.get("cl")
        if cl is not None:
            _usage.counts = client_event_counts(client_ids=[c.pk for c in cl.result_list], days=7)
        return response

    @admin.display(description=gettext_lazy("멤버"))
    def member_count(self, obj):
        return getattr(obj, "_members", None)

    @admin.display(description=gettext_lazy("최근 7일 이벤트"))
    def events_7d(self, obj):
        counts = getattr(_usage, "counts", None)
        if counts is None:
            return "—"
        return f"{counts.get(obj.pk, 0):,}"

    @admin.display(description=gettext_lazy("Cafe24 연결"))
    def connection_status(self, obj):
        # The Cafe24 connection model belongs to the integration app: find it as any one-to-one
        # relation to Client whose model is named after Cafe24, so this column needs no edit
        # when it lands, and shows "not connected" until then.
        for rel in Client._meta.related_objects:
            if not (rel.one_to_one or rel.many_to_one) or "cafe24" not in rel.related_model._meta.model_name:
                continue
            if rel.one_to_one:
                conn = getattr(obj, rel.get_accessor_name(), None)
            else:
                conn = getattr(obj, rel.get_accessor_name()).order_by("-pk").first()
            if conn is None:
                continue
            display = getattr(conn, "get_status_display", None)
            status = display() if callable(display) else getattr(conn, "status", None)
            return str(status or _("연결됨"))
        return _("연결 안 됨")

    @admin.display(description=gettext_lazy("소유자 초대"))
    def invite_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html('<a class="button" href="{}">{}</a>',
                           reverse("admin:tenants_client_invite_owner", args=[obj.pk]), _("소유자 초대 메일 보내기"))

    @admin.action(description=gettext_lazy("선택한 고객사 비활성화"))
    def deactivate(self, request, queryset):
        for client in queryset:
            client_set_active(client=client, active=False, actor=request.user)
        self.message_user(request, _("%(n)d개 고객사를 비활성화했습니다.") % {"n": queryset.count()})

    @admin.action(description=gettext_lazy("선택한 고객사 활성화"))
    def activate(self, request, queryset):
        for client in queryset:
            client_set_active(client=client, active=True, actor=request.user)
        self.message_user(request, _("%(n)d개 고객사를 활성화했습니다.") % {"n": queryset.count()})

    def get_urls(self):
        return [
            path("<int:pk>/invite-owner/", self.admin_site.admin_view(self.invite_owner_view),
                 name="tenants_client_invite_owner"),
        ] + super().get_urls()

    def invite_owner_view(self, request, pk):
        if not self.has_change_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        client = get_object_or_404(Client, pk=pk)
        form = InviteOwnerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            invitation_create(client=client, email=form.cleaned_data["email"], role=Role.OWNER, actor=request.user)
            self.message_user(request, _("%(email)s 님에게 소유자 초대 메일을 보냈습니다.")
                              % {"email": form.cleaned_data["email"]})
            return redirect("admin:tenants_client_change", pk)
        ctx = {**self.admin_site.each_context(request), "form": form, "client": client, "opts": self.model._meta,
               "title": _("소유자 초대: %(name)s") % {"name": client.name}}
        return TemplateResponse(request, "tenants/admin/invite_owner.html", ctx)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "client", "actor", "action", "target", "ip_address"]
    list_filter = ["action", "client"]
    search_fields = ["action", "target", "actor__username", "client__name"]
    date_hierarchy = "created_at"
    list_select_related = ["client", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
