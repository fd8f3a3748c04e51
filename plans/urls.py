from django.urls import path

from . import api, views

app_name = "plans"
urlpatterns = [
    path("c/<slug:slug>/plans/", views.PlansHomeView.as_view(), name="home"),
    path("c/<slug:slug>/plans/<int:pk>/", views.RecommendationView.as_view(), name="detail"),
    path("c/<slug:slug>/plans/<int:pk>/reask/", views.ReaskView.as_view(), name="reask"),
    path("c/<slug:slug>/plans/<int:pk>/choose/", views.ChooseView.as_view(), name="choose"),
    path("c/<slug:slug>/plans/drafts/<int:pk>/", views.DraftView.as_view(), name="draft"),
    path("api/v1/clients/<int:client_id>/plans/recommend", api.RecommendAPI.as_view(), name="api-recommend"),
    path("api/v1/clients/<int:client_id>/plans/<int:pk>", api.RecommendationAPI.as_view(), name="api-detail"),
    path("api/v1/clients/<int:client_id>/plans/<int:pk>/choose", api.ChooseAPI.as_view(), name="api-choose"),
]
