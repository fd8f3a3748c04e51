"""Forms of the tenancy pages. Field errors come out in the active language (Korean first)."""
import zoneinfo

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import Client, Role

# The zones a Korean shop's marketers plausibly pick; any valid IANA name is still accepted.
COMMON_TIMEZONES = ["Asia/Seoul", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore", "America/Los_Angeles",
                    "America/New_York", "Europe/London", "UTC"]


class ClientProfileForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "timezone", "industry", "business_type", "region"]
        widgets = {"timezone": forms.TextInput(attrs={"list": "tz-options"})}

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
