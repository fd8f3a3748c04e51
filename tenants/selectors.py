"""Reads of tenant data. Every tenant-owned read starts from a client the user belongs to."""
from django.db.models import QuerySet
from django.http import Http404

from .models import AuditEntry, Client, Invitation, Membership


def client_list_for_user(*, user) -> QuerySet[Client]:
    if not user.is_authenticated:
        return Client.objects.none()
    return Client.objects.filter(memberships__user=user, is_active=True).order_by("name")


def membership_get(*, user, client: Client) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, client=client).first()


def client_get_for_user(*, user, slug: str | None = None, pk: int | None = None) -> tuple[Client, Membership]:
    """The client named by slug or pk, if the user is a member of it; otherwise 404.

    A client that exists but is not the user's answers exactly like one that does not exist,
    so ids cannot be probed.
    """
    if not user.is_authenticated:
        raise Http404
    qs = Membership.objects.select_related("client").filter(user=user, client__is_active=True)
    if slug is not None:
        qs = qs.filter(client__slug=slug)
    elif pk is not None:
        qs = qs.filter(client_id=pk)
    else:
        raise Http404
    membership = qs.first()
    if membership is None:
        raise Http404
    return membership.client, membership


def client_get_by_ingest_key(*, ingest_key: str) -> Client | None:
    return Client.objects.filter(ingest_key=ingest_key, is_active=True).first()


def audit_list(*, client: Client) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(client=client).select_related("actor")


def member_list(*, client: Client) -> QuerySet[Membership]:
    return Membership.objects.filter(client=client).select_related("user").order_by("user__username")


def member_get(*, client: Client, pk: int) -> Membership:
    """A membership of this client; another client's membership id answers 404."""
    membership = Membership.objects.select_related("user", "client").filter(client=client, pk=pk).first()
    if membership is None:
        raise Http404
    return membership


def invitation_list_open(*, client: Client) -> QuerySet[Invitation]:
    return Invitation.objects.filter(client=client, accepted_at__isnull=True).order_by("-created_at")


def invitation_get(*, client: Client, pk: int) -> Invitation:
    invitation = Invitation.objects.select_related("client").filter(client=client, pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation

