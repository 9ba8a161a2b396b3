"""Forms: a group robot's settings, and the delivery log's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from notify.models import Channel, Delivery
from notify.services import RobotData
from notify.webhooks import ENDPOINTS, secret_clean, webhook_clean

ROBOT_CHOICES = [(Channel.WECOM, Channel.WECOM.label), (Channel.DINGTALK, Channel.DINGTALK.label)]
_WEBHOOK_ATTRS = {"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}


class RobotForm(forms.Form):
    """A new robot: its kind, a name, the webhook address and DingTalk's optional secret."""

    channel = forms.ChoiceField(label=_("Kind"), choices=ROBOT_CHOICES)
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("Usually the name of the group chat, e.g. “Members' prevention group”."),
    )
    webhook = forms.CharField(
        label=_("Webhook address"),
        max_length=500,
        widget=forms.TextInput(attrs=_WEBHOOK_ATTRS),
        help_text=_(
            "In the group chat: add a robot, copy its webhook address. It is stored "
            "encrypted and shown masked afterwards."
        ),
    )
    secret = forms.CharField(
        label=_("Signing secret (DingTalk)"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "For a DingTalk robot with the “signature” security setting: the secret that "
            "starts with SEC. Leave empty for WeCom."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        channel = data.get("channel", "")
        if channel and data.get("webhook"):
            try:
                data["webhook"] = webhook_clean(channel, data["webhook"])
            except ValidationError as exc:
                self.add_error("webhook", exc)
        secret = data.get("secret", "")
        if secret and channel != Channel.DINGTALK:
            self.add_error("secret", _("Only DingTalk robots have a signing secret."))
        elif secret:
            try:
                data["secret"] = secret_clean(secret)
            except ValidationError as exc:
                self.add_error("secret", exc)
        return data

    def robot_data(self) -> RobotData:
        data = self.cleaned_data
        return RobotData(
            name=data["name"],
            channel=data["channel"],
            webhook=data["webhook"],
            secret=data.get("secret", ""),
        )


class RobotEditForm(forms.Form):
    """An existing robot: rename it, replace its webhook or secret (empty keeps them)."""

    name = forms.CharField(label=_("Name"), max_length=60)
    webhook = forms.CharField(
        label=_("New webhook address"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs=_WEBHOOK_ATTRS),
        help_text=_("Leave empty to keep the current address."),
    )
    secret = forms.CharField(
        label=_("New signing secret"),
        required=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the current secret."),
    )
    remove_secret = forms.BooleanField(label=_("Stop signing (remove the secret)"), required=False)

    def __init__(self, *args: Any, channel: str, signed: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.fields["webhook"].widget.attrs["placeholder"] = ENDPOINTS[channel].example  # type: ignore[index]
        if channel != Channel.DINGTALK:
            del self.fields["secret"]
            del self.fields["remove_secret"]
        elif not signed:
            del self.fields["remove_secret"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("webhook"):
            try:
                data["webhook"] = webhook_clean(self.channel, data["webhook"])
            except ValidationError as exc:
                self.add_error("webhook", exc)
        if data.get("secret"):
            try:
                data["secret"] = secret_clean(data["secret"])
            except ValidationError as exc:
                self.add_error("secret", exc)
        return data

    def robot_data(self) -> RobotData:
        data = self.cleaned_data
        return RobotData(
            name=data["name"],
            webhook=data.get("webhook", ""),
            secret=data.get("secret", ""),
            remove_secret=bool(data.get("remove_secret")),
        )


class DeliveryFilterForm(forms.Form):
    """The delivery log's filters; an unknown value is ignored, not an error page."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Delivery.Status.choices],
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )

    def filters(self) -> dict[str, str]:
        if not self.is_bound:
            return {"status": "", "channel": ""}
        self.is_valid()  # an invalid field is left out of cleaned_data; the other still counts
        return {
            "status": self.cleaned_data.get("status") or "",
            "channel": self.cleaned_data.get("channel") or "",
        }
