"""Top-level routes. Each app owns its own urls module:
pages live under /c/<slug>/..., the API under /api/v1/clients/<id>/...
"""
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from tenants import auth_views, views as tenant_views

from .api_errors import json_error
from .errors import CommonCode
from .health import healthz
from .views import favicon


def not_found(request, exception=None):
    """An API path no route matches (``/clients/-5/...``: ids are positive integers) answers in
    the one error body; pages keep Django's page."""
    if request.path.startswith("/api/"):
        return json_error(CommonCode.NOT_FOUND, _("요청한 주소를 찾을 수 없습니다."), status=404)
    return page_not_found(request, exception)


handler404 = not_found

urlpatterns = [
    path("", tenant_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    # Same paths and names as django.contrib.auth.urls; these two also write the audit log.
    path("accounts/password_change/", auth_views.AuditedPasswordChangeView.as_view(), name="password_change"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.AuditedPasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("tenants.urls")),
    path("", include("events.urls")),
    path("", include("insights.urls")),
    path("", include("messaging.urls")),
    path("", include("alerts.urls")),
    path("", include("plans.urls")),
    path("", include("customers.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # OpenAPI of the JSON API, for logged-in users: the schema answers 403 in the one error body
    # to anyone else; the docs page sends a browser to the login page. The split view serves its
    # start-up script as a file (no inline script for the CSP). JSON first, so a refusal is JSON too.
    path("api/schema/", SpectacularAPIView.as_view(renderer_classes=[OpenApiJsonRenderer, OpenApiYamlRenderer]),
         name="api-schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
]
