"""Money and counts the Korean way: 1,650,000원 / 165만원 reads better than a bare number."""
from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def intcomma_ko(value):
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value


@register.filter
def krw(value):
    try:
        v = int(value)
    except (TypeError, ValueError):
        return value
    return _("%(amount)s원") % {"amount": f"{v:,}"}
