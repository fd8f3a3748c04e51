"""Forms of the tenancy pages. Field errors come out in the active language (Korean first)."""
import re
import zoneinfo
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import Client, Role

# The zones a Korean shop's marketers plausibly pick; any valid IANA name is still accepted.
COMMON_TIMEZONES = ["Asia/Seoul", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore", "America/Los_Angeles",
                    "America/New_York", "Europe/London", "UTC"]


# A Cafe24 shop id (the "{mall_id}" of {mall_id}.cafe24.com and of the Admin API host): Cafe24
# shop ids are 4-16 lowercase letters and digits.
MALL_ID = re.compile(r"^[a-z0-9]{4,16}$")


class ClientProfileForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "mall_id", "timezone", "industry", "business_type", "region"]
        widgets = {"timezone": forms.TextInput(attrs={"list": "tz-options"}),
                   "mall_id": forms.TextInput(attrs={"placeholder": "myshop", "autocomplete": "off"})}
        help_texts = {"mall_id": _("쇼핑몰 주소 myshop.cafe24.com의 myshop 부분입니다. Cafe24 연결에 필요합니다.")}
        error_messages = {"mall_id": {"unique": _("이 몰 ID는 이미 다른 고객사에 연결되어 있습니다.")}}

    def clean_mall_id(self):
        value = (self.cleaned_data.get("mall_id") or "").strip().lower()
        if not value:
            return None  # no shop yet: NULL keeps the unique index out of the way
        # Owners paste what they see: "https://myshop.cafe24.com/..." means "myshop".
        host = urlsplit(value if "//" in value else "//" + value).hostname or value
        if host.endswith(".cafe24.com") or host.endswith(".cafe24api.com"):
            value = host.split(".", 1)[0]
        if not MALL_ID.match(value):
            raise forms.ValidationError(
                _("몰 ID는 영문 소문자와 숫자 4~16자입니다 (예: myshop.cafe24.com 이면 myshop)."))
        return value

    def clean_timezone(self):
        value = self.cleaned_data["timezone"].strip()
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("알 수 없는 시간대입니다: %(tz)s"), params={"tz": value})
        return value


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("이메일"))
    role = forms.ChoiceField(label=_("역할"), choices=Role.choices, initial=Role.MARKETER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("역할"), choices=Role.choices)


class InvitationSignupForm(UserCreationForm):
    """A new account for someone accepting an invitation; the e-mail comes from the invitation."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
