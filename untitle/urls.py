"""Top-level routes. Each app owns its own urls module:
pages live under /c/<slug>/..., the API under /api/v1/clients/<id>/...
"""
from django.contrib import admin
from django.urls import include, path

from tenants import auth_views, views as tenant_views

from .health import healthz

urlpatterns = [
    path("", tenant_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
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
]
