"""The audit log in sentences: "kim님이 세그먼트 #7을 CSV로 내보냈습니다 (1,234행)." instead of
``segment.export`` and a Python dict.

Actions are the apps' ``AuditAction`` values; tenants sits below those apps, so the sentences
are keyed by the stored strings (an unknown one still reads as words, never as a dict).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext as _, gettext_lazy

import wording as display

# What a target's "kind:id" names, in the sentence's words.
_TARGET_KINDS = {
    "segment": gettext_lazy("세그먼트"), "query": gettext_lazy("저장된 질문"), "saved_query": gettext_lazy("저장된 질문"),
    "run": gettext_lazy("질문 실행"), "campaign": gettext_lazy("캠페인"), "alert": gettext_lazy("알림"),
    "client": gettext_lazy("쇼핑몰"), "recommendation": gettext_lazy("추천"), "draft": gettext_lazy("캠페인 초안"),
    "plan": gettext_lazy("캠페인 계획"), "invitation": gettext_lazy("초대"), "rule": gettext_lazy("알림 규칙"),
}

# %(target)s is the object (particle added), %(who)s is not used: the actor has its own column.
_SENTENCES = {
    "client.create": gettext_lazy("쇼핑몰을 만들었습니다."),
    "client.update": gettext_lazy("쇼핑몰 정보를 바꿨습니다."),
    "client.rotate_secret": gettext_lazy("API 비밀 키를 새로 발급했습니다."),
    "client.rotate_ingest_key": gettext_lazy("수집 키를 새로 발급했습니다."),
    "client.activate": gettext_lazy("쇼핑몰을 활성화했습니다."),
    "client.deactivate": gettext_lazy("쇼핑몰을 비활성화했습니다."),
    "member.add": gettext_lazy("%(target)s 멤버로 추가했습니다."),
    "member.role": gettext_lazy("%(target)s 역할을 바꿨습니다."),
    "member.remove": gettext_lazy("%(target)s 멤버에서 제외했습니다."),
    "invitation.create": gettext_lazy("%(target)s 초대했습니다."),
    "invitation.accept": gettext_lazy("%(target)s 초대를 수락했습니다."),
    "invitation.revoke": gettext_lazy("%(target)s 보낸 초대를 취소했습니다."),
    "auth.login": gettext_lazy("로그인했습니다."),
    "auth.login_failed": gettext_lazy("로그인에 실패했습니다."),
    "auth.logout": gettext_lazy("로그아웃했습니다."),
    "auth.password_change": gettext_lazy("비밀번호를 바꿨습니다."),
    "auth.password_reset": gettext_lazy("비밀번호를 재설정했습니다."),
    "events.export": gettext_lazy("이벤트 원본을 내보냈습니다."),
    "events.import": gettext_lazy("이벤트를 가져왔습니다."),
    "query.create": gettext_lazy("%(target)s 저장했습니다."),
    "query.update": gettext_lazy("%(target)s 수정했습니다."),
    "query.delete": gettext_lazy("%(target)s 삭제했습니다."),
    "query.run": gettext_lazy("%(target)s 실행했습니다."),
    "segment.create": gettext_lazy("%(target)s 만들었습니다."),
    "segment.update": gettext_lazy("%(target)s 수정했습니다."),
    "segment.delete": gettext_lazy("%(target)s 삭제했습니다."),
    "segment.refresh": gettext_lazy("%(target)s 갱신했습니다."),
    "segment.export": gettext_lazy("%(target)s 내보냈습니다."),
    "segment.webhook": gettext_lazy("%(target)s 웹훅으로 보냈습니다."),
    "cafe24.connect": gettext_lazy("Cafe24 쇼핑몰을 연결했습니다."),
    "cafe24.disconnect": gettext_lazy("Cafe24 연결을 해제했습니다."),
    "cafe24.app_deleted": gettext_lazy("쇼핑몰이 Cafe24 관리자에서 앱을 삭제했습니다."),
    "campaign.create": gettext_lazy("%(target)s 만들었습니다."),
    "campaign.schedule": gettext_lazy("%(target)s 반복 일정을 정했습니다."),
    "campaign.start": gettext_lazy("%(target)s 보내기 시작했습니다."),
    "campaign.test_send": gettext_lazy("테스트 메시지를 보냈습니다."),
    "campaign.cancel": gettext_lazy("%(target)s 취소했습니다."),
    "alert.acknowledge": gettext_lazy("%(target)s 확인했습니다."),
    "alert.mute": gettext_lazy("알림을 음소거했습니다."),
    "alert.unmute": gettext_lazy("알림 음소거를 풀었습니다."),
    "alert.settings": gettext_lazy("알림 설정을 바꿨습니다."),
    "customers.model_fit": gettext_lazy("고객 세그먼트 모델을 다시 학습했습니다."),
    "customers.refit_requested": gettext_lazy("고객 세그먼트 재학습을 요청했습니다."),
    "customers.settings_update": gettext_lazy("고객 분석 설정을 바꿨습니다."),
    "plans.plan_chosen": gettext_lazy("캠페인 계획을 골랐습니다."),
    "plans.draft_updated": gettext_lazy("캠페인 초안을 수정했습니다."),
    "plans.results_recorded": gettext_lazy("캠페인 성과를 기록했습니다."),
}
# Particle each sentence's %(target)s takes (Korean); English sentences put the target as is.
_PARTICLE = {"member.add": "을/를", "member.role": "의", "member.remove": "을/를", "invitation.create": "을/를",
             "invitation.accept": "의", "invitation.revoke": "에게", "campaign.schedule": "의"}
_EN_TARGET_SENTENCES = {
    # English word order differs: the object comes after the verb.
    "member.add": "Added %(target)s as a member.", "member.role": "Changed the role of %(target)s.",
    "member.remove": "Removed %(target)s from the members.", "invitation.create": "Invited %(target)s.",
    "invitation.accept": "%(target)s accepted the invitation.", "invitation.revoke": "Revoked the invitation to %(target)s.",
    "query.create": "Saved %(target)s.", "query.update": "Edited %(target)s.", "query.delete": "Deleted %(target)s.",
    "query.run": "Ran %(target)s.", "segment.create": "Created %(target)s.", "segment.update": "Edited %(target)s.",
    "segment.delete": "Deleted %(target)s.", "segment.refresh": "Refreshed %(target)s.",
    "segment.export": "Exported %(target)s.", "segment.webhook": "Sent %(target)s to its webhook.",
    "campaign.create": "Created %(target)s.", "campaign.schedule": "Scheduled %(target)s to repeat.",
    "campaign.start": "Started sending %(target)s.", "campaign.cancel": "Cancelled %(target)s.",
    "alert.acknowledge": "Acknowledged %(target)s.",
}

# Detail keys in words; ids the target already names are left out.
_DETAIL_LABELS = {
    "role": gettext_lazy("역할"), "from": gettext_lazy("이전"), "to": gettext_lazy("변경"),
    "format": gettext_lazy("형식"), "rows": gettext_lazy("행"), "rows_read": gettext_lazy("읽은 행"),
    "duration_ms": gettext_lazy("소요(ms)"), "schedule": gettext_lazy("일정"), "cron": gettext_lazy("반복 일정"),
    "fields": gettext_lazy("바꾼 항목"), "status": gettext_lazy("상태"), "channel": gettext_lazy("채널"),
    "recipients": gettext_lazy("받는 사람"), "version": gettext_lazy("버전"), "start": gettext_lazy("시작"),
    "end": gettext_lazy("끝"), "via": gettext_lazy("경로"), "error": gettext_lazy("오류"),
    "inserted": gettext_lazy("추가"), "skipped_existing": gettext_lazy("이미 있던 행"),
    "customers": gettext_lazy("고객"), "moved": gettext_lazy("세그먼트가 바뀐 고객"),
    "reason": gettext_lazy("사유"), "hours": gettext_lazy("시간"), "metric": gettext_lazy("지표"),
    "title": gettext_lazy("제목"), "predicted_roi": gettext_lazy("예상 ROI"), "actual_roi": gettext_lazy("실제 ROI"),
    "email_enabled": gettext_lazy("메일 알림"), "scopes": gettext_lazy("권한"), "sent": gettext_lazy("보냄"),
    "failed": gettext_lazy("실패"), "total": gettext_lazy("전체"), "plan": gettext_lazy("계획"),
}
_ROLE_WORDS = {"owner": gettext_lazy("소유자"), "marketer": gettext_lazy("마케터"), "viewer": gettext_lazy("뷰어")}
_HIDDEN_DETAILS = {"segment_id", "saved_query_id", "run_id", "campaign_id", "recommendation", "registered",
                   "event_no", "detail", "entity_kind", "entity_id", "n_components", "include_guests"}


@dataclass(frozen=True)
class AuditLine:
    sentence: str
    details: str


def _lang() -> str:
    return "en" if (get_language() or "ko").startswith("en") else "ko"


def _target_words(action: str, target: str) -> str:
    """"segment:7" -> "세그먼트 #7"; a name under a segment/query/campaign action -> "세그먼트 ‘이름’"."""
    kind, sep, ident = (target or "").partition(":")
    if sep and kind in _TARGET_KINDS:
        return f"{_TARGET_KINDS[kind]} #{ident}"
    prefix = action.partition(".")[0]
    if target and prefix in _TARGET_KINDS and prefix not in ("client",):
        return f"{_TARGET_KINDS[prefix]} ‘{target}’"
    return target


def _value(key: str, value) -> str:
    lang = _lang()
    if isinstance(value, bool):
        return _("예") if value else _("아니요")
    if key in ("role", "from", "to") and value in _ROLE_WORDS:
        return str(_ROLE_WORDS[value])
    if key in ("schedule", "cron"):
        return display.schedule_words(value, lang=lang)
    if isinstance(value, (int, float)):
        return display.count(value, lang=lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{_DETAIL_LABELS.get(k, k)} {_value(k, v)}" for k, v in value.items())
    return str(value)


def audit_line(*, action: str, target: str, details: dict | None) -> AuditLine:
    lang = _lang()
    words = _target_words(action, target)
    if lang == "en" and action in _EN_TARGET_SENTENCES:
        sentence = _EN_TARGET_SENTENCES[action] % {"target": words or "-"}
    elif action in _SENTENCES:
        pair = _PARTICLE.get(action, "을/를")
        if pair in ("의", "에게"):
            with_particle = f"{words}{pair}" if words else ""
        else:
            with_particle = display.josa(words, pair) if words else ""
        sentence = str(_SENTENCES[action]) % {"target": with_particle} if "%(target)s" in str(_SENTENCES[action]) \
            else str(_SENTENCES[action])
        sentence = sentence.strip()
    else:
        sentence = action.replace(".", " · ").replace("_", " ") + (f" ({words})" if words else "")
    parts = [f"{_DETAIL_LABELS.get(k, k)} {_value(k, v)}"
             for k, v in (details or {}).items() if k not in _HIDDEN_DETAILS and v not in (None, "", [], {})]
    return AuditLine(sentence=_emphasised(sentence, target), details=" · ".join(parts))


def _emphasised(sentence: str, target: str) -> str:
    """The sentence as HTML with the object's own name in <strong> (the rest escaped)."""
    text = conditional_escape(sentence)
    if target and target.partition(":")[1] == "":
        name = conditional_escape(target)
        head, sep, tail = text.rpartition(name)
        if sep:
            text = f"{head}<strong>{name}</strong>{tail}"
    return mark_safe(text)  # noqa: S308 - every piece above went through conditional_escape
