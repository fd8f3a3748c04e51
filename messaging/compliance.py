"""Korean advertising-message rules (정보통신망법 제50조, KISA guide) as pure functions.

No Django import: the rules are tested exhaustively without a database. Every function answers
with data (a list of problems, a datetime) so callers decide whether to refuse, hold or send.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

KST = ZoneInfo("Asia/Seoul")
AD_PREFIX = "(광고)"
QUIET_START = time(21, 0)
QUIET_END = time(8, 0)
SMS_MAX_BYTES = 90       # one SMS, counted in EUC-KR bytes as Korean carriers do
LMS_MAX_BYTES = 2000


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # Korean, shown to the marketer before anything is sent


def euckr_bytes(text: str) -> int:
    try:
        return len(text.encode("euc-kr"))
    except UnicodeEncodeError:
        # Emoji and rare hanja do not exist in EUC-KR; carriers bill them as two bytes each.
        return sum(len(ch.encode("euc-kr", errors="ignore")) or 2 for ch in text)


def sms_type(text: str) -> str:
    """SMS up to 90 bytes, LMS up to 2,000; longer text cannot go out as one message."""
    n = euckr_bytes(text)
    if n <= SMS_MAX_BYTES:
        return "SMS"
    if n <= LMS_MAX_BYTES:
        return "LMS"
    raise ValueError(f"message is {n} bytes; LMS allows {LMS_MAX_BYTES}")


def compose_ad(body: str, *, channel: str, sender_name: str, contact: str, optout: str) -> str:
    """The legally required frame around an advertising message.

    "(광고)" first and exactly so (not "[광고]" or "(광 고)"), then the sender's name; the contact
    and the free opt-out instruction close an SMS. A push notification has no room for a footer
    line, so it names the sender and contact after the prefix and links the opt-out.
    """
    body = body.strip()
    if body.startswith(AD_PREFIX):
        body = body[len(AD_PREFIX):].lstrip()
    if channel == "sms":
        return f"{AD_PREFIX}{sender_name}\n{body}\n{contact}\n{optout}".strip()
    return f"{AD_PREFIX}{sender_name} {body} ({contact}, {optout})"


def check_ad(text: str, *, channel: str, sender_name: str, contact: str, optout: str) -> list[Problem]:
    """What is missing from an advertising message; empty = it may be sent."""
    problems: list[Problem] = []
    if not text.startswith(AD_PREFIX):
        problems.append(Problem("prefix", "광고 메시지는 정확히 \"(광고)\"로 시작해야 합니다."))
    if not sender_name.strip():
        problems.append(Problem("sender_name", "광고 메시지에는 보내는 사람(상호)이 있어야 합니다."))
    elif sender_name.strip() not in text:
        problems.append(Problem("sender_name", "메시지에 보내는 사람(상호)이 빠졌습니다."))
    if not contact.strip():
        problems.append(Problem("contact", "광고 메시지에는 연락처가 있어야 합니다."))
    elif contact.strip() not in text:
        problems.append(Problem("contact", "메시지에 연락처가 빠졌습니다."))
    if not optout.strip():
        problems.append(Problem("optout", "무료 수신거부 방법을 적어 주세요 (예: 무료수신거부 080-000-0000)."))
    elif optout.strip() not in text:
        problems.append(Problem("optout", "메시지에 수신거부 방법이 빠졌습니다."))
    elif channel == "sms" and "무료" not in optout:
        problems.append(Problem("optout", "문자 광고의 수신거부는 무료여야 합니다 (예: 무료수신거부 080-000-0000)."))
    return problems


def in_quiet_hours(at: datetime) -> bool:
    """21:00-08:00 Korean time, when advertising needs a separate night consent."""
    local = at.astimezone(KST).time()
    return local >= QUIET_START or local < QUIET_END


def next_send_time(at: datetime) -> datetime:
    """The earliest moment an advertisement may go out without night consent (UTC-aware)."""
    if not in_quiet_hours(at):
        return at
    local = at.astimezone(KST)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=KST).astimezone(at.tzinfo)


def may_receive(*, is_ad: bool, channel: str, consent: bool, night_consent: bool, at: datetime,
                sent_today: int, daily_cap: int) -> tuple[str, datetime | None]:
    """One recipient's fate: ("send", None), ("hold", when) or ("suppress:<reason>", None).

    Consent is required for advertising only (an order notice needs none); the cap applies to
    every campaign message so no member is flooded.
    """
    if is_ad and not consent:
        return "suppress:no_consent", None
    if daily_cap and sent_today >= daily_cap:
        return "suppress:frequency_cap", None
    if is_ad and not night_consent and in_quiet_hours(at):
        return "hold", next_send_time(at)
    return "send", None
