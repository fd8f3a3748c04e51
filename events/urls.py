from django.urls import path

from . import api, views

app_name = "events"
urlpatterns: list = [
    path("api/v1/event-types", api.EventTypesAPI.as_view(), name="event-types"),
    path("sdk/v1/untitle.js", views.sdk_script, name="sdk"),
    path("c/<slug:slug>/events/", views.EventsPageView.as_view(), name="page"),
    path("c/<slug:slug>/events/daily.json", views.EventsDailyView.as_view(), name="daily"),
    path("c/<slug:slug>/events/live.json", views.EventsLiveView.as_view(), name="live"),
]
