from django.urls import path

from . import api, views

app_name = "customers"
urlpatterns = [
    path("c/<slug:slug>/customers/", views.CustomersView.as_view(), name="overview"),
    path("c/<slug:slug>/customers/settings/", views.CustomerSettingsView.as_view(), name="settings"),
    path("c/<slug:slug>/customers/c/<str:customer_key>/", views.CustomerDetailView.as_view(), name="detail"),
    path("api/v1/clients/<int:client_id>/customers/segments", api.SegmentsAPI.as_view(), name="api-segments"),
    path("api/v1/clients/<int:client_id>/customers/ask", api.CustomerAskAPI.as_view(), name="api-ask"),
    path("api/v1/clients/<int:client_id>/customers/refit", api.RefitAPI.as_view(), name="api-refit"),
    path("api/v1/clients/<int:client_id>/customers/c/<str:customer_key>", api.CustomerAPI.as_view(), name="api-customer"),
]
