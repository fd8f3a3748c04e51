"""Small filters for the customer pages (numbers in Korean style, dict lookups)."""
from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def percent(value):
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return "–"


@register.filter
def num(value):
    try:
        return f"{int(round(float(value))):,}"
    except (TypeError, ValueError):
        return "–"


@register.filter
def won(value):
    try:
        return f"{int(round(float(value))):,}원"
    except (TypeError, ValueError):
        return "–"
