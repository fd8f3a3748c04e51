"""What must hold before a campaign is saved or a single message leaves: valid texts, the legal
frame of an advertisement, a live channel (Cafe24 sender and token for SMS, FCM for push)."""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .. import compliance
from .. import templates as msg_templates
from ..cafe24.client import Cafe24Revoked
from ..connection.services import cafe24_access_token
from ..errors import MessagingError, MessagingErrorCode
from ..fcm.client import is_https
from ..models import Cafe24Connection, Campaign
from ..sending.push import fcm_credentials

MAX_VARIANTS = 4


@dataclass
class VariantInput:
    key: str
    body: str
    title: str = ""


def variants_clean(variants) -> list[VariantInput]:
    """The variants that have a text, each template checked; dicts from a form are taken too."""
    out: list[VariantInput] = []
    for i, v in enumerate(variants or []):
        if isinstance(v, dict):
            v = VariantInput(key=str(v.get("key") or "ABCDEFGH"[i]), body=str(v.get("body") or ""),
                             title=str(v.get("title") or ""))
        if not v.body.strip():
            continue
        try:
            msg_templates.validate(v.body)
            msg_templates.validate(v.title or "-")
        except msg_templates.TemplateError as exc:
            message = _("%(k)s안: %(e)s") % {"k": v.key, "e": exc}
            raise MessagingError(message, code=MessagingErrorCode.TEMPLATE, fields={"body": message})
        out.append(v)
    if not out:
        message = _("메시지 내용을 입력해 주세요.")
        raise MessagingError(message, code=MessagingErrorCode.TEMPLATE, fields={"body": message})
    if len(out) > MAX_VARIANTS:
        message = _("A/B 안은 4개까지입니다.")
        raise MessagingError(message, fields={"variants": message})
    return out


def link_check(url: str) -> None:
    """Links must be https: FCM refuses any other webpush link (WebpushFcmOptions.link), and an
    http:// page in a text message is one a phone warns about."""
    if url and not is_https(url):
        message = _("링크는 https:// 로 시작해야 합니다 (웹 푸시는 https 링크만 열 수 있습니다).")
        raise MessagingError(message, fields={"link_url": message})


def campaign_check(campaign: Campaign) -> None:
    """Everything that must hold before a single message leaves; raises MessagingError."""
    variants = list(campaign.variants.all())
    variants_clean([VariantInput(v.key, v.body, v.title) for v in variants])
    link_check(campaign.link_url)
    if campaign.is_ad:
        for v in variants:
            text = compliance.compose_ad(v.body, channel=campaign.channel, sender_name=campaign.sender_name,
                                         contact=campaign.contact, optout=campaign.optout_text)
            problems = compliance.check_ad(text, channel=campaign.channel, sender_name=campaign.sender_name,
                                           contact=campaign.contact, optout=campaign.optout_text)
            if problems:
                raise MessagingError(problems[0].message, code=MessagingErrorCode.COMPLIANCE,
                                     fields={problems[0].code: problems[0].message})
    if campaign.channel == Campaign.Channel.SMS:
        conn = Cafe24Connection.objects.filter(client=campaign.client).first()
        if conn is None or conn.status != Cafe24Connection.Status.ACTIVE:
            raise MessagingError(_("문자를 보내려면 Cafe24 연결이 필요합니다. 설정 > Cafe24 연결에서 다시 연결해 주세요."),
                                 code=MessagingErrorCode.CAFE24_REVOKED)
        if not conn.sender_no:
            raise MessagingError(_("Cafe24에 등록된 발신 번호가 없습니다. Cafe24 관리자 > 고객관리 > SMS 발신번호를 등록한 뒤 다시 연결해 주세요."),
                                 code=MessagingErrorCode.NO_SENDER)
        try:
            cafe24_access_token(client=campaign.client)
        except Cafe24Revoked as exc:
            raise MessagingError(str(exc), code=MessagingErrorCode.CAFE24_REVOKED)
    if campaign.channel == Campaign.Channel.PUSH and not fcm_credentials():
        raise MessagingError(_("웹 푸시를 보내려면 FCM_CREDENTIALS(서비스 계정 JSON)를 설정해 주세요."),
                             code=MessagingErrorCode.NO_FCM)
