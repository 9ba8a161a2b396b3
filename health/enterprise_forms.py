"""Forms of the enterprise's check-in pages: observations, settings, reminders, exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from health.models import Observation
from health.observations import ObservationInput
from health.rules import Question, text_for
from orgs.models import Division
from workforce.models import Employee

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Municipalities list their districts under these placeholder "cities".
_PLACEHOLDER_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
EXPORT_MAX_DAYS = 62


def region_choices() -> list[tuple[str, Any]]:
    """Provinces, each followed by its cities, grouped for one native picker."""
    divisions = Division.objects.filter(
        level__in=[Division.Level.PROVINCE, Division.Level.CITY]
    ).only("code", "name", "level", "parent_id")
    cities: dict[str, list[tuple[str, str]]] = {}
    provinces: list[Division] = []
    for division in divisions.order_by("code"):
        if division.level == Division.Level.PROVINCE:
            provinces.append(division)
        elif division.name not in _PLACEHOLDER_CITIES and division.parent_id:
            cities.setdefault(division.parent_id, []).append((division.code, division.name))
    groups: list[tuple[str, Any]] = [("", _("Choose a region"))]
    for province in provinces:
        whole = str(_("%(province)s (whole province)") % {"province": province.name})
        groups.append((province.name, [(province.code, whole), *cities.get(province.code, [])]))
    return groups


class ObservationForm(forms.Form):
    """Record an isolation or medical observation; its end is computed from the rules."""

    employee = forms.ModelChoiceField(
        label=_("Employee"), queryset=Employee.objects.none(), empty_label=_("Choose an employee")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Choose the kind")), *Observation.Kind.choices]
    )
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", _("Choose the reason")), *Observation.Reason.choices]
    )
    origin = forms.ChoiceField(
        label=_("Arrived from"),
        required=False,
        help_text=_("For an arrival: the province or city the employee came from."),
    )
    arrived_on = forms.DateField(label=_("Arrived on"), required=False, widget=DATE)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    place = forms.CharField(
        label=_("Place"),
        required=False,
        max_length=200,
        help_text=_("Where: at home, a dormitory room, a designated hotel…"),
    )

    def __init__(self, *args: Any, employees: QuerySet[Employee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["employee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = employees
        field.label_from_instance = lambda e: f"{e.name} · {e.mobile_masked}"  # type: ignore[method-assign, assignment]
        origin = self.fields["origin"]
        assert isinstance(origin, forms.ChoiceField)
        origin.choices = region_choices()
        self.fields["starts_on"].initial = timezone.localdate()

    def to_input(self) -> ObservationInput:
        data = self.cleaned_data
        code = data.get("origin") or ""
        origin = Division.objects.filter(pk=code).first() if code else None
        return ObservationInput(
            kind=data["kind"],
            reason=data["reason"],
            starts_on=data["starts_on"],
            place=data.get("place") or "",
            origin=origin,
            arrived_on=data.get("arrived_on"),
        )


class ReleaseForm(forms.Form):
    released_on = forms.DateField(label=_("Released on"), widget=DATE)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        help_text=_("Required when the release comes before the planned end."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class ExtendForm(forms.Form):
    planned_end_on = forms.DateField(label=_("New planned end"), widget=DATE)
    note = forms.CharField(label=_("Why it is extended"), max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class RemindForm(forms.Form):
    number = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=100)


class SettingsForm(forms.Form):
    reminder_time = forms.TimeField(
        label=_("Daily reminder at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_(
            "An SMS with their personal link goes to everyone who has not checked in by "
            "then (Beijing time). Leave empty for no automatic reminder."
        ),
    )
    officers = forms.ModelMultipleChoiceField(
        label=_("Prevention officers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They receive the alerts about abnormal check-ins; none = the administrators."),
    )

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["officers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = people
        field.label_from_instance = lambda u: u.display_label  # type: ignore[method-assign, assignment]


class ExportForm(forms.Form):
    """Download the check-ins of a day or a range; full numbers need a reason (logged)."""

    start = forms.DateField(label=_("From"), widget=DATE)
    end = forms.DateField(label=_("To"), widget=DATE)
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=[("xlsx", _("Excel (.xlsx)")), ("csv", _("CSV (.csv)"))],
        initial="xlsx",
    )
    unmasked = forms.BooleanField(
        label=_("Include full mobile numbers (administrators only; logged)"), required=False
    )
    purpose = forms.CharField(
        label=_("Purpose of the export"),
        required=False,
        max_length=200,
        help_text=_("Required for full numbers; recorded in the audit log."),
    )

    def __init__(self, *args: Any, can_unmask: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["start"].initial = today
        self.fields["end"].initial = today
        if not can_unmask:
            del self.fields["unmasked"]
            del self.fields["purpose"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: dt.date | None = data.get("start")
        end: dt.date | None = data.get("end")
        today = timezone.localdate()
        if start and end:
            if end < start:
                self.add_error("end", _("The end must not be before the start."))
            elif end > today:
                self.add_error("end", _("Check-ins cannot be exported for days still to come."))
            elif (end - start).days >= EXPORT_MAX_DAYS:
                self.add_error(
                    "end", _("At most %(days)d days per export.") % {"days": EXPORT_MAX_DAYS}
                )
        if data.get("unmasked") and not (data.get("purpose") or "").strip():
            self.add_error("purpose", _("Say why you need the full numbers."))
        return data


class ImportForm(forms.Form):
    """Check-ins from a spreadsheet (one row per employee and day)."""

    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise ValidationError(
                _("Upload an Excel workbook (.xlsx) or a CSV file; save .xls files as .xlsx."),
                code="extension",
            )
        if (upload.size or 0) > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)d MB; split it into smaller files."),
                code="too_large",
                params={"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
            )
        return upload


_SHENZHEN = "440300"


class CheckInAnswersForm(forms.Form):
    """The employee's check-in form (questions from the rule table), filled in by a
    manager on their behalf. Only the questions put to this employee are shown (travel
    questions need their consent to travel data)."""

    day = forms.DateField(label=_("Day of the check-in"), widget=DATE)

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields["day"].initial = timezone.localdate()
        for question in questions:
            for name, field in _fields_for(question).items():
                self.fields[name] = field

    def answers(self) -> dict[str, Any]:
        """The answers in the form `health.services.checkin_submit` takes."""
        data = self.cleaned_data
        answers: dict[str, Any] = {}
        for question in self.questions:
            key = question.key
            if question.kind == "region":
                district = data.get(f"{key}__district") or ""
                if district and district != "outside":
                    answers[key] = {"district": district}
                elif data.get(f"{key}__province"):
                    answers[key] = {
                        "province": data.get(f"{key}__province") or "",
                        "city": data.get(f"{key}__city") or "",
                    }
                elif district == "outside":
                    answers[key] = {"district": "outside"}
                continue
            value = data.get(key)
            if question.kind == "bool":
                answers[key] = bool(value)
            elif value not in (None, "", []):
                answers[key] = list(value) if question.kind == "multi" else value
        return answers

    def add_answer_errors(self, exc: ValidationError) -> None:
        """Put the service's errors (question key → messages) beside their fields."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            target = key if key in self.fields else f"{key}__district"
            if target not in self.fields:
                target = None  # type: ignore[assignment]
            for message in messages:
                self.add_error(target, message)


def _fields_for(question: Question) -> dict[str, forms.Field]:
    label = text_for(question.label)
    help_text = text_for(question.help) if question.help else ""
    required = question.required and not (question.kind == "bool" and not question.must_be_true)
    kind = question.kind
    if kind in {"temperature", "number"}:
        return {
            question.key: forms.CharField(
                label=label,
                help_text=help_text,
                required=required,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
        }
    if kind == "choice":
        return {
            question.key: forms.ChoiceField(
                label=label,
                help_text=help_text,
                required=required,
                choices=[(c.code, text_for(c.label)) for c in question.choices],
                widget=forms.RadioSelect,
            )
        }
    if kind == "multi":
        return {
            question.key: forms.MultipleChoiceField(
                label=label,
                help_text=help_text,
                required=required,
                choices=[(c.code, text_for(c.label)) for c in question.choices],
                widget=forms.CheckboxSelectMultiple,
            )
        }
    if kind == "text":
        return {
            question.key: forms.CharField(
                label=label,
                help_text=help_text,
                required=required,
                max_length=question.max_length,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        }
    if kind == "bool":
        return {
            question.key: forms.BooleanField(label=label, help_text=help_text, required=required)
        }
    districts = Division.objects.filter(
        parent_id=_SHENZHEN, level__in=[Division.Level.COUNTY, Division.Level.FUNCTIONAL_AREA]
    ).order_by("code")
    provinces = Division.objects.filter(level=Division.Level.PROVINCE).order_by("code")
    return {
        f"{question.key}__district": forms.ChoiceField(
            label=label,
            help_text=help_text,
            required=False,
            choices=[
                ("", _("Choose")),
                *((d.code, d.label) for d in districts),
                ("outside", _("Outside Shenzhen")),
            ],
        ),
        f"{question.key}__province": forms.ChoiceField(
            label=_("Province (outside Shenzhen)"),
            required=False,
            choices=[("", _("Choose")), *((p.code, p.label) for p in provinces)],
        ),
        f"{question.key}__city": forms.CharField(
            label=_("City (outside Shenzhen)"), required=False, max_length=40
        ),
    }
