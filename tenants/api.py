"""REST API of tenancy: the user's clients, one client's profile, members and audit log."""
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from .access import ClientAPIView
from .net import client_ip
from .models import AuditEntry, Client, Membership, Role
from .selectors import audit_list, client_list_for_user, member_list
from .services import client_update


class ClientSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["id", "name", "slug", "mall_id", "timezone", "industry", "business_type", "region",
                  "ingest_key", "is_active", "created_at", "role"]
        read_only_fields = ["id", "slug", "mall_id", "ingest_key", "is_active", "created_at", "role"]

    def get_role(self, obj) -> str | None:
        roles = self.context.get("roles") or {}
        return roles.get(obj.pk)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    email = serializers.CharField(source="user.email")

    class Meta:
        model = Membership
        fields = ["id", "username", "email", "role", "created_at"]


class AuditSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = AuditEntry
        fields = ["id", "created_at", "actor", "action", "target", "details", "ip_address"]


class ClientListAPI(generics.ListAPIView):
    serializer_class = ClientSerializer

    def get_queryset(self):
        return client_list_for_user(user=self.request.user)

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["roles"] = dict(Membership.objects.filter(user=self.request.user).values_list("client_id", "role"))
        return ctx


class ClientDetailAPI(ClientAPIView):
    write_role = Role.OWNER

    @extend_schema(responses=ClientSerializer)
    def get(self, request, client_id):
        return Response(ClientSerializer(self.client, context={"roles": {self.client.pk: self.membership.role}}).data)

    @extend_schema(request=ClientSerializer, responses=ClientSerializer)
    def patch(self, request, client_id):
        ser = ClientSerializer(self.client, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        client_update(client=self.client, actor=request.user, ip_address=client_ip(request),
                      **ser.validated_data)
        return Response(ClientSerializer(self.client, context={"roles": {self.client.pk: self.membership.role}}).data)


class MemberListAPI(ClientAPIView, generics.ListAPIView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        return member_list(client=self.client)


class AuditListAPI(ClientAPIView, generics.ListAPIView):
    required_role = Role.OWNER
    serializer_class = AuditSerializer

    def get_queryset(self):
        return audit_list(client=self.client)
