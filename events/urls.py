from django.urls import path

from . import api, export_views, views

app_name = "events"
urlpatterns: list = [
    path("api/v1/event-types", api.EventTypesAPI.as_view(), name="event-types"),
    path("sdk/v1/untitle.js", views.sdk_script, name="sdk"),
    path("c/<slug:slug>/events/", views.EventsPageView.as_view(), name="page"),
    path("c/<slug:slug>/events/daily.json", views.EventsDailyView.as_view(), name="daily"),
    path("c/<slug:slug>/events/live.json", views.EventsLiveView.as_view(), name="live"),
    path("c/<slug:slug>/events/export/", export_views.EventsExportView.as_view(), name="export"),
    path("api/v1/clients/<int:client_id>/events/export", export_views.EventsExportAPI.as_view(), name="api_export"),
]
