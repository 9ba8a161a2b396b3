"""Forms for signing in, inviting people and managing API keys."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from lib.ids import normalize_mobile


class MobileAuthenticationForm(AuthenticationForm):
    """Sign in with a mainland mobile number (full-width digits and +86 are accepted)."""

    username = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "username"}
        ),
    )

    error_messages = {
        "invalid_login": _("The mobile number or password is not right."),
        "inactive": _("This account is disabled."),
    }

    def clean_username(self) -> str:
        raw: str = self.cleaned_data["username"]
        try:
            return normalize_mobile(raw)
        except ValidationError:
            return raw.strip()[:20]


class InvitationForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=100)
    mobile = forms.CharField(
        label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") != data.get("password2"):
            raise ValidationError(_("The two passwords differ."))
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The system that will use the key, e.g. “HR system”."),
    )
    can_write = forms.BooleanField(label=_("May add and change data"), required=False, initial=True)
