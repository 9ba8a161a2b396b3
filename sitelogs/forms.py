"""Forms of the site-log pages: record a round, correct an entry, set a schedule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from sitelogs.models import Kind, SiteSchedule
from sitelogs.rules import MAX_SLOTS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RecordForm(forms.Form):
    """One round done: which slot, where, with what; a photo if there is one."""

    schedule = forms.ModelChoiceField(label=_("Round"), queryset=SiteSchedule.objects.none())
    slot_date = forms.DateField(label=_("Day"), widget=DATE)
    slot_time = forms.TimeField(label=_("Time"), widget=TIME, required=False)
    area = forms.CharField(label=_("Area"), max_length=100, required=False)
    agent = forms.CharField(label=_("Agent or device"), max_length=100, required=False)
    done_at = forms.DateTimeField(
        label=_("Done at"),
        widget=DATETIME,
        required=False,
        help_text=_("Leave empty for now."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    photo = forms.FileField(
        label=_("Photo"), required=False, help_text=_("Optional: a photo of the round.")
    )

    def __init__(self, *args: Any, schedules: QuerySet[SiteSchedule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["schedule"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = schedules
        field.label_from_instance = lambda s: s.title  # type: ignore[method-assign,assignment]


class CorrectForm(forms.Form):
    """A correction: what was wrong, and the right values."""

    note = forms.CharField(label=_("What was wrong"), max_length=300)
    slot_time = forms.ChoiceField(label=_("Time"), required=False)
    done_at = forms.DateTimeField(label=_("Done at"), widget=DATETIME, required=False)
    area = forms.CharField(label=_("Area"), max_length=100, required=False)
    agent = forms.CharField(label=_("Agent or device"), max_length=100, required=False)
    photo = forms.FileField(label=_("Photo"), required=False)

    def __init__(self, *args: Any, slots: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["slot_time"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Extra round (no time)")), *[(s, s) for s in slots]]


class ScheduleForm(forms.Form):
    """A schedule of one kind: explicit times, or a number of rounds a day."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    label = forms.CharField(label=_("Name"), max_length=60, required=False)
    slots = forms.CharField(
        label=_("Times"),
        max_length=400,
        required=False,
        help_text=_("Times of day separated by commas, e.g. 08:00, 14:00."),
    )
    times_per_day = forms.IntegerField(
        label=_("Or rounds a day"),
        min_value=1,
        max_value=MAX_SLOTS,
        required=False,
        help_text=_("Spread between 08:00 and 18:00 when no times are given."),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=0, max_value=600, initial=0
    )
    areas = forms.CharField(
        label=_("Areas"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One area per line."),
    )
    agent = forms.CharField(label=_("Agent or device"), max_length=100, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("slots") or "").strip() and not data.get("times_per_day"):
            raise forms.ValidationError(_("Give the times or the number of rounds a day."))
        return data

    def slot_value(self) -> list[str] | int:
        text = (self.cleaned_data.get("slots") or "").replace("，", ",").replace("、", ",")
        times = [t.strip() for t in text.replace(" ", ",").split(",") if t.strip()]
        return times or int(self.cleaned_data["times_per_day"])

    def area_list(self) -> list[str]:
        return list((self.cleaned_data.get("areas") or "").splitlines())
