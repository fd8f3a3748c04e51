"""Message personalization: ``{{name}}`` style variables, checked before anything is sent.

Pure (no Django): a template is validated once when the campaign is saved, and rendered per
recipient. Unknown variables are refused with the list of the ones that exist, so a typo never
reaches a customer as a literal "{{nmae}}".
"""
from __future__ import annotations

import re

VAR = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# variable -> (Korean label, fallback when the recipient has no value)
VARIABLES = {
    "name": ("고객 이름", "고객"),
    "member_id": ("회원 아이디", ""),
    "shop_name": ("쇼핑몰 이름", ""),
    "link": ("추적 링크", ""),
}
# Cafe24 sends one text to up to 100 members per call: per-member values are fine (recipients
# are grouped by their rendered text) but we keep the list small so groups stay large.


class TemplateError(ValueError):
    def __init__(self, message: str, *, variables: list[str] | None = None):
        super().__init__(message)
        self.variables = variables or []


def variables_in(text: str) -> list[str]:
    return [m.group(1) for m in VAR.finditer(text or "")]


def validate(text: str) -> list[str]:
    """The variables a template uses; TemplateError naming the bad ones otherwise."""
    if text is None or not str(text).strip():
        raise TemplateError("메시지 내용을 입력해 주세요.")
    used = variables_in(text)
    bad = [v for v in used if v not in VARIABLES]
    if bad:
        allowed = ", ".join("{{" + k + "}}" for k in VARIABLES)
        raise TemplateError(
            "알 수 없는 변수: " + ", ".join("{{" + b + "}}" for b in bad) + f". 사용할 수 있는 변수: {allowed}",
            variables=bad)
    stripped = VAR.sub("", text)
    if "{{" in stripped or "}}" in stripped:
        raise TemplateError("변수 괄호가 닫히지 않았습니다. {{name}} 형식으로 적어 주세요.")
    return used


def render(text: str, values: dict) -> str:
    def sub(m):
        key = m.group(1)
        value = values.get(key)
        if value in (None, ""):
            value = VARIABLES.get(key, ("", ""))[1]
        return str(value)

    return VAR.sub(sub, text)


def add_tracking(url: str, tracking_id: str) -> str:
    """Put ``untitle_tid=`` on a link: the SDK records message_click from it on landing."""
    if not url:
        return ""
    base, _, frag = url.partition("#")
    sep = "&" if "?" in base else "?"
    out = f"{base}{sep}untitle_tid={tracking_id}"
    return f"{out}#{frag}" if frag else out
