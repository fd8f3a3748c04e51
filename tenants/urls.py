from django.urls import path

from . import api, views

app_name = "tenants"
urlpatterns = [
    path("c/<slug:slug>/", views.DashboardView.as_view(), name="dashboard"),
    path("c/<slug:slug>/settings/", views.ProfileView.as_view(), name="settings"),
    path("c/<slug:slug>/settings/members/", views.MembersView.as_view(), name="members"),
    path("c/<slug:slug>/settings/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("c/<slug:slug>/settings/members/<int:pk>/remove/", views.MemberRemoveView.as_view(),
         name="member_remove"),
    path("c/<slug:slug>/settings/invitations/<int:pk>/revoke/", views.InvitationRevokeView.as_view(),
         name="invitation_revoke"),
    path("c/<slug:slug>/settings/keys/", views.KeysView.as_view(), name="keys"),
    path("c/<slug:slug>/settings/audit/", views.AuditView.as_view(), name="audit"),
    path("invite/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("api/v1/clients/", api.ClientListAPI.as_view(), name="api_clients"),
    path("api/v1/clients/<int:client_id>/", api.ClientDetailAPI.as_view(), name="api_client"),
    path("api/v1/clients/<int:client_id>/members/", api.MemberListAPI.as_view(), name="api_members"),
    path("api/v1/clients/<int:client_id>/audit/", api.AuditListAPI.as_view(), name="api_audit"),
]
