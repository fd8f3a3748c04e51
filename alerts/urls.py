from django.urls import path

from . import api, views

app_name = "alerts"
urlpatterns = [
    path("c/<slug:slug>/alerts/", views.AlertListView.as_view(), name="list"),
    path("c/<slug:slug>/alerts/settings/", views.AlertSettingsView.as_view(), name="settings"),
    path("c/<slug:slug>/alerts/<int:pk>/", views.AlertDetailView.as_view(), name="detail"),
    path("c/<slug:slug>/alerts/<int:pk>/acknowledge/", views.AlertAcknowledgeView.as_view(), name="acknowledge"),
    path("c/<slug:slug>/alerts/<int:pk>/mute/", views.AlertMuteView.as_view(), name="mute"),
    path("c/<slug:slug>/alerts/mutes/<int:pk>/delete/", views.MuteDeleteView.as_view(), name="mute_delete"),
    path("api/v1/clients/<int:client_id>/alerts/", api.AlertListAPI.as_view(), name="api-alerts"),
    path("api/v1/clients/<int:client_id>/alerts/<int:pk>", api.AlertDetailAPI.as_view(), name="api-alert"),
    path("api/v1/clients/<int:client_id>/alerts/<int:pk>/acknowledge", api.AlertAcknowledgeAPI.as_view(),
         name="api-alert-ack"),
    path("api/v1/clients/<int:client_id>/alerts/mutes", api.AlertMuteAPI.as_view(), name="api-alert-mutes"),
    path("api/v1/clients/<int:client_id>/alerts/explain-counters", api.ExplainCountersAPI.as_view(),
         name="api-alert-counters"),
]
