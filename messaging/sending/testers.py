"""A marketer's own test recipients: the browser they subscribe on our own subscribe page while
signed in, or the member id they register. "나에게 테스트 발송" goes to these and nowhere else, with
the advertising rules applied and a per-hour limit (README, "Campaigns")."""
from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _

from tenants.facade import audit_log
from tenants.models import Client
from untitle.errors import CommonCode

from .. import compliance
from ..audit import AuditAction
from ..errors import MessagingError
from ..models import MemberContact, PushSubscription, TestRecipient
from .subscribers import push_subscribe

MAX_PER_USER = 5


def tester_list(*, client: Client, user, kind: str | None = None):
    qs = TestRecipient.objects.filter(client=client, user=user).select_related("push_subscription").order_by("id")
    return qs.filter(kind=kind) if kind else qs


def tester_device_register(*, client: Client, user, visitor: str, token: str, ad_consent: bool,
                         night_consent: bool, label: str = "") -> TestRecipient:
    """The signed-in marketer's own browser (it subscribed on our subscribe page just now)."""
    _check_room(client, user)
    sub = push_subscribe(client=client, visitor=visitor, token=token, ad_consent=ad_consent,
                         night_consent=night_consent)
    rec, _created = TestRecipient.objects.get_or_create(
        client=client, user=user, kind=TestRecipient.Kind.DEVICE, push_subscription=sub,
        defaults={"label": (label or "")[:120]})
    audit_log(action=AuditAction.CAMPAIGN_TEST_SEND, client=client, actor=user, target="test_device",
              details={"registered": rec.pk})
    return rec


def tester_member_register(*, client: Client, user, member_id: str) -> TestRecipient:
    member_id = (member_id or "").strip()
    if not member_id or len(member_id) > 100:
        message = _("테스트 받을 내 회원 아이디를 입력해 주세요.")
        raise MessagingError(message, fields={"member_id": message})
    _check_room(client, user)
    rec, _created = TestRecipient.objects.get_or_create(client=client, user=user, kind=TestRecipient.Kind.MEMBER,
                                                        member_id=member_id)
    audit_log(action=AuditAction.CAMPAIGN_TEST_SEND, client=client, actor=user, target="test_member",
              details={"registered": rec.pk})
    return rec


def tester_delete(*, client: Client, user, pk: int) -> None:
    TestRecipient.objects.filter(client=client, user=user, pk=pk).delete()


def _check_room(client: Client, user) -> None:
    if TestRecipient.objects.filter(client=client, user=user).count() >= MAX_PER_USER:
        message = _("테스트 수신처는 %(n)s개까지 등록할 수 있습니다. 쓰지 않는 것을 지워 주세요.") % {"n": MAX_PER_USER}
        raise MessagingError(message)


def take_test_send_slot(*, client: Client, user) -> None:
    """CAMPAIGN_TEST_SENDS_PER_HOUR per marketer and client, in a fixed hour window (the cache is
    Redis in production, so every web process counts together)."""
    limit = settings.CAMPAIGN_TEST_SENDS_PER_HOUR
    hour = dj_timezone.now().strftime("%Y%m%d%H")
    key = f"messaging:test_send:{client.pk}:{user.pk}:{hour}"
    cache.add(key, 0, timeout=3700)
    if cache.incr(key) > limit:
        raise MessagingError(_("테스트 발송은 한 시간에 %(n)s번까지입니다. 잠시 후 다시 시도해 주세요.") % {"n": limit},
                             code=CommonCode.THROTTLED, status=429)


def ad_refusal(*, is_ad: bool, consent: bool, night_consent: bool, at) -> str:
    """"" when this test recipient may get the ad now, else why not (the audience's rules)."""
    fate, _when = compliance.may_receive(is_ad=is_ad, channel="", consent=consent, night_consent=night_consent,
                                         at=at, sent_today=0, daily_cap=0)
    if fate == "send":
        return ""
    return "night" if fate == "hold" else "no_consent"


def device_consents(sub: PushSubscription) -> tuple[bool, bool]:
    return sub.ad_consent, sub.night_consent


def member_consents(contact: MemberContact | None) -> tuple[bool, bool]:
    return (bool(contact and contact.sms_consent), bool(contact and contact.night_consent))
