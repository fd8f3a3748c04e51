"""Thin Celery wrappers around tenancy services (DESIGN.md §3.5)."""
from untitle.celery import app

from .models import Invitation


# Bound to the project app (not shared_task): whichever app a test or tool made "current", the
# invitation e-mail goes through the project's configured broker (memory:// in the embedded
# process, Redis in production).
@app.task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(self, invitation_id: int, token: str) -> bool:
    from .services import invitation_send_email

    invitation = Invitation.objects.select_related("client").filter(pk=invitation_id).first()
    if invitation is None or invitation.is_used:  # revoked or already accepted: nothing to send
        return False
    invitation_send_email(invitation=invitation, token=token)
    return True
