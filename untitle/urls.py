"""Top-level routes. Each app owns its own urls module:
pages live under /c/<slug>/..., the API under /api/v1/clients/<id>/...
"""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("tenants.urls")),
    path("", include("events.urls")),
    path("", include("insights.urls")),
    path("", include("messaging.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
