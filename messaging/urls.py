from django.urls import path

from . import api, views

app_name = "messaging"
urlpatterns = [
    path("c/<slug:slug>/campaigns/", views.CampaignListView.as_view(), name="campaigns"),
    path("c/<slug:slug>/campaigns/new/", views.CampaignCreateView.as_view(), name="campaign_new"),
    path("c/<slug:slug>/campaigns/preview/", views.CampaignPreviewView.as_view(), name="campaign_preview"),
    path("c/<slug:slug>/campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign"),
    path("c/<slug:slug>/campaigns/<int:pk>/send/", views.CampaignSendView.as_view(), name="campaign_send"),
    path("c/<slug:slug>/campaigns/<int:pk>/test/", views.CampaignTestSendView.as_view(), name="campaign_test"),
    path("c/<slug:slug>/campaigns/<int:pk>/cancel/", views.CampaignCancelView.as_view(), name="campaign_cancel"),
    path("c/<slug:slug>/campaigns/testers/", views.TestersView.as_view(), name="testers"),
    path("c/<slug:slug>/campaigns/testers/device", views.TesterDeviceView.as_view(), name="tester_device"),
    path("push/<str:key>/", views.push_subscribe_page, name="push_page"),
    path("push/<str:key>/manifest.webmanifest", views.push_manifest, name="push_manifest"),
    path("push/<str:key>/subscribe", views.push_page_subscribe, name="push_page_subscribe"),
    path("c/<slug:slug>/settings/cafe24/", views.Cafe24SettingsView.as_view(), name="cafe24_settings"),
    path("cafe24/callback", views.cafe24_callback, name="cafe24_callback"),
    path("cafe24/launch", views.cafe24_launch, name="cafe24_launch"),
    path("api/v1/push/subscribe", api.PushSubscribeAPI.as_view(), name="push_subscribe"),
    path("api/v1/cafe24/webhook", api.Cafe24WebhookAPI.as_view(), name="cafe24_webhook"),
    path("api/v1/clients/<int:client_id>/campaigns/<int:pk>/progress", api.CampaignProgressAPI.as_view(),
         name="api-campaign-progress"),
    path("api/v1/clients/<int:client_id>/campaigns/<int:pk>/results", api.CampaignResultsAPI.as_view(),
         name="api-campaign-results"),
]
