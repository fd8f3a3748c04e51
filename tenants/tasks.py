"""Thin Celery wrappers around tenancy services (DESIGN.md §3.5)."""
from celery import shared_task

from .models import Invitation


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(self, invitation_id: int, token: str) -> bool:
    from .services import invitation_send_email

    invitation = Invitation.objects.select_related("client").filter(pk=invitation_id).first()
    if invitation is None or invitation.is_used:  # revoked or already accepted: nothing to send
        return False
    invitation_send_email(invitation=invitation, token=token)
    return True
