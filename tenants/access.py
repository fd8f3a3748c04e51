"""How every tenant URL finds its client: a view mixin for pages, a DRF permission for the API.

Pages: ``/c/<slug>/...`` with ``ClientViewMixin``. API: ``/api/v1/clients/<client_id>/...``
with ``ClientPermission`` (or ``ClientAPIView`` which wires it up). Both resolve the client from
the user's memberships only: a client the user is not a member of is a 404.
"""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_noop
from rest_framework import permissions
from rest_framework.exceptions import NotFound, PermissionDenied as DRFPermissionDenied
from rest_framework.views import APIView

from .models import Role
from .selectors import client_get_for_user

ROLE_NEEDED_MSG = gettext_noop("이 작업에는 %(role)s 이상의 역할이 필요합니다.")


def role_denied_message(role: str) -> str:
    return _(ROLE_NEEDED_MSG) % {"role": Role(role).label}


class ClientViewMixin(LoginRequiredMixin):
    """Sets ``self.client`` and ``self.membership`` from the ``slug`` URL kwarg.

    ``required_role`` applies to every method; ``write_role`` additionally to unsafe methods.
    """

    required_role: str = Role.VIEWER
    write_role: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.client, self.membership = client_get_for_user(user=request.user, slug=kwargs["slug"])
        role = self.required_role
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.write_role:
            role = self.write_role
        if not self.membership.allows(role):
            raise PermissionDenied(role_denied_message(role))
        request.client, request.membership = self.client, self.membership
        # Every time a shop's page shows (|date, forms' datetimes) is the shop's own clock.
        # A TemplateResponse renders after dispatch returns: the zone stays until it has.
        timezone.activate(self.client.tzinfo)
        response = None
        try:
            response = super().dispatch(request, *args, **kwargs)
            return response
        finally:
            if getattr(response, "is_rendered", True) is False:
                response.add_post_render_callback(lambda _r: timezone.deactivate())
            else:
                timezone.deactivate()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(client=self.client, membership=self.membership)
        return ctx


class ClientPermission(permissions.BasePermission):
    """Resolves ``client_id`` from the URL against the user's memberships.

    Views declare ``required_role`` (reads) and ``write_role`` (unsafe methods).
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        from django.http import Http404

        try:
            client, membership = client_get_for_user(user=request.user, pk=view.kwargs.get("client_id"))
        except (Http404, ValueError, TypeError):
            raise NotFound(_("고객사를 찾을 수 없습니다."))
        role = getattr(view, "required_role", Role.VIEWER)
        if request.method not in permissions.SAFE_METHODS:
            role = getattr(view, "write_role", None) or role
        if not membership.allows(role):
            raise DRFPermissionDenied(role_denied_message(role))
        request.client, request.membership = client, membership
        view.client, view.membership = client, membership
        return True


class ClientAPIView(APIView):
    permission_classes = [permissions.IsAuthenticated, ClientPermission]
    required_role: str = Role.VIEWER
    write_role: str | None = Role.MARKETER
