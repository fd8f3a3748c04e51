from django.urls import path

from .ask import api as ask_api
from .ask import views as ask_views
from .saved_queries import api as saved_api
from .saved_queries import views as saved_views
from .segments import api as segments_api
from .segments import views as segments_views

app_name = "insights"
urlpatterns = [
    path("c/<slug:slug>/ask/", ask_views.AskPageView.as_view(), name="ask"),
    path("c/<slug:slug>/ask/saved/", saved_views.SavedQueryListView.as_view(), name="saved"),
    path("c/<slug:slug>/ask/saved/<int:pk>/", saved_views.SavedQueryDetailView.as_view(), name="saved_detail"),
    path("api/v1/clients/<int:client_id>/ask", ask_api.AskAPI.as_view(), name="api-ask"),
    path("api/v1/clients/<int:client_id>/ask/", ask_api.AskAPI.as_view()),
    path("api/v1/clients/<int:client_id>/sql", ask_api.RawSQLAPI.as_view(), name="api-sql"),
    path("api/v1/clients/<int:client_id>/queries/", saved_api.SavedQueryListAPI.as_view(), name="api-queries"),
    path("api/v1/clients/<int:client_id>/queries/<int:pk>", saved_api.SavedQueryDetailAPI.as_view(), name="api-query"),
    path("api/v1/clients/<int:client_id>/queries/<int:pk>/run", saved_api.SavedQueryRunAPI.as_view(),
         name="api-query-run"),
    path("api/v1/clients/<int:client_id>/queries/<int:pk>/runs", saved_api.SavedQueryRunsAPI.as_view(),
         name="api-query-runs"),
    path("api/v1/clients/<int:client_id>/runs/<int:pk>", saved_api.QueryRunAPI.as_view(), name="api-run"),
    # audience builder and segments
    path("c/<slug:slug>/audiences/", segments_views.AudienceBuilderView.as_view(), name="audiences"),
    path("c/<slug:slug>/audiences/segments/<int:pk>/", segments_views.SegmentDetailView.as_view(),
         name="segment_detail"),
    path("api/v1/clients/<int:client_id>/audiences/filters", segments_api.FilterCatalogAPI.as_view(),
         name="api-audience-filters"),
    path("api/v1/clients/<int:client_id>/audiences/size", segments_api.AudienceSizeAPI.as_view(),
         name="api-audience-size"),
    path("api/v1/clients/<int:client_id>/audiences/describe", segments_api.AudienceDescribeAPI.as_view(),
         name="api-audience-describe"),
    path("api/v1/clients/<int:client_id>/audiences/parse", segments_api.AudienceParseAPI.as_view(),
         name="api-audience-parse"),
    path("api/v1/clients/<int:client_id>/segments/", segments_api.SegmentListAPI.as_view(), name="api-segments"),
    path("api/v1/clients/<int:client_id>/segments/<int:pk>", segments_api.SegmentDetailAPI.as_view(),
         name="api-segment"),
    path("api/v1/clients/<int:client_id>/segments/<int:pk>/refresh", segments_api.SegmentRefreshAPI.as_view(),
         name="api-segment-refresh"),
    path("api/v1/clients/<int:client_id>/segments/<int:pk>/snapshots", segments_api.SegmentSnapshotsAPI.as_view(),
         name="api-segment-snapshots"),
    path("api/v1/clients/<int:client_id>/segments/<int:pk>/changes", segments_api.SegmentChangesAPI.as_view(),
         name="api-segment-changes"),
    path("api/v1/clients/<int:client_id>/segments/<int:pk>/export", segments_api.SegmentExportAPI.as_view(),
         name="api-segment-export"),
    path("api/v1/clients/<int:client_id>/segments/<int:pk>/webhook", segments_api.SegmentWebhookAPI.as_view(),
         name="api-segment-webhook"),
]
