"""Forms for opening and closing emergencies and publishing rule versions."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from emergencies.models import Emergency
from emergencies.rules import REGISTRY


class EmergencyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Emergency.Kind.choices)
    started_on = forms.DateField(
        label=_("Started on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    retention_days = forms.IntegerField(
        label=_("Days to keep personal data after closing"), min_value=0, max_value=3650, initial=30
    )


class CloseForm(forms.Form):
    closed_on = forms.DateField(
        label=_("Closed on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RuleForm(forms.Form):
    key = forms.ChoiceField(label=_("Rule table"))
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    rules = forms.CharField(
        label=_("Rules (JSON)"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "tz-mono"}),
        max_length=20000,
    )
    source_title = forms.CharField(label=_("Source"), max_length=300)
    source_url = forms.URLField(label=_("Source link"), required=False, assume_scheme="https")
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(k, k) for k in sorted(REGISTRY)]  # type: ignore[attr-defined]

    def clean_rules(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["rules"])
        except ValueError:
            raise ValidationError(_("This is not valid JSON.")) from None
        if not isinstance(value, dict):
            raise ValidationError(_("Give the rules as a JSON object."))
        return value
