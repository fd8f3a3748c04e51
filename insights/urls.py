from django.urls import path

from . import api, views

app_name = "insights"
urlpatterns = [
    path("c/<slug:slug>/ask/", views.AskPageView.as_view(), name="ask"),
    path("c/<slug:slug>/ask/saved/", views.SavedQueryListView.as_view(), name="saved"),
    path("c/<slug:slug>/ask/saved/<int:pk>/", views.SavedQueryDetailView.as_view(), name="saved_detail"),
    path("api/v1/clients/<int:client_id>/ask", api.AskAPI.as_view(), name="api-ask"),
    path("api/v1/clients/<int:client_id>/ask/", api.AskAPI.as_view()),
    path("api/v1/clients/<int:client_id>/sql", api.RawSQLAPI.as_view(), name="api-sql"),
    path("api/v1/clients/<int:client_id>/queries/", api.SavedQueryListAPI.as_view(), name="api-queries"),
    path("api/v1/clients/<int:client_id>/queries/<int:pk>", api.SavedQueryDetailAPI.as_view(), name="api-query"),
    path("api/v1/clients/<int:client_id>/queries/<int:pk>/run", api.SavedQueryRunAPI.as_view(),
         name="api-query-run"),
    path("api/v1/clients/<int:client_id>/queries/<int:pk>/runs", api.SavedQueryRunsAPI.as_view(),
         name="api-query-runs"),
    path("api/v1/clients/<int:client_id>/runs/<int:pk>", api.QueryRunAPI.as_view(), name="api-run"),
]
