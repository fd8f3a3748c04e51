"""Template filters over ``wording`` in the request's language: ``{% load display %}``.

Lives in tenants (the lowest app) so every app's templates can load it.
"""
from django import template
from django.utils.translation import get_language

import wording as display

register = template.Library()


def _lang() -> str:
    return "en" if (get_language() or "ko").startswith("en") else "ko"


@register.filter
def schedule_words(cron, none=None):
    """{{ saved_query.schedule|schedule_words:_("수동") }} -> "매주 월요일 09:00"."""
    return display.schedule_words(cron or "", lang=_lang(), none=none)


@register.filter
def percent(ratio, digits=1):
    return display.percent(ratio, digits=int(digits))


@register.filter
def won(amount):
    return display.won(amount, lang=_lang())


@register.filter
def counted(n, unit=""):
    """{{ n|counted:"명" }} -> "1,234명" ("1,234 people")."""
    return display.count(n, unit, lang=_lang())


@register.filter
def device_label(value):
    return display.device_label(value, lang=_lang())


@register.filter
def channel_label(value):
    return display.channel_label(value, lang=_lang())


@register.filter
def josa(word, pair):
    """{{ name|josa:"을/를" }}: the particle the word's last sound takes (Korean only)."""
    return display.josa(str(word), pair) if _lang() == "ko" else str(word)


def schedule_picker_context(*, input_id: str, name: str, value: str, label: str, tz: str = "",
                            allow_none: bool = True, none_label: str = "") -> dict:
    """What ``tenants/_schedule_picker.html`` needs (the campaign form's widget renders it too)."""
    return {"input_id": input_id, "name": name, "value": value or "", "label": label, "tz": tz,
            "allow_none": allow_none, "none_label": none_label or None, "days_of_month": range(1, 32)}


@register.inclusion_tag("tenants/_schedule_picker.html")
def schedule_picker(*, input_id, name, value="", label="", tz="", allow_none=True, none_label=""):
    """{% schedule_picker input_id="save-schedule" name="schedule" value=sq.schedule label=_("일정") tz=client.timezone %}"""
    return schedule_picker_context(input_id=input_id, name=name, value=value, label=label, tz=tz,
                                   allow_none=allow_none, none_label=none_label)
