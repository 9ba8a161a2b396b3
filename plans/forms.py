"""Forms of the plans pages: they check shapes; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from plans.models import (
    MAX_FLOOR_AREA,
    MAX_PARAMETER,
    AnswerState,
    Canteen,
    EvidenceKind,
    IsolationArrangement,
    ResumeMode,
)


class ServiceErrorsMixin:
    """Put a service's ValidationError back on the fields it names."""

    def add_service_errors(self, exc: ValidationError) -> None:
        form: Any = self
        if not hasattr(exc, "error_dict"):
            form.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, messages)


class VersionedForm(ServiceErrorsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2_000_000_000)


class EnterpriseSectionForm(VersionedForm):
    floor_area_m2 = forms.DecimalField(
        label=_("Floor area (m²)"),
        required=False,
        min_value=1,
        max_value=MAX_FLOOR_AREA,
        max_digits=10,
        decimal_places=1,
    )
    store_count = forms.IntegerField(
        label=_("Number of shops"), required=False, min_value=0, max_value=10_000
    )
    responsible_user = forms.ModelChoiceField(
        label=_("Person responsible for prevention (confirms the commitment)"),
        queryset=User.objects.none(),
        required=False,
    )
    responsible_name = forms.CharField(
        label=_("Name as printed on the filing"), max_length=50, required=False
    )
    responsible_title = forms.CharField(label=_("Position"), max_length=50, required=False)
    liaison_name = forms.CharField(label=_("Prevention liaison"), max_length=50, required=False)
    liaison_mobile = forms.CharField(label=_("Liaison mobile"), max_length=20, required=False)
    planned_resume_on = forms.DateField(
        label=_("Planned resumption date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    resume_mode = forms.ChoiceField(
        label=_("Resumption mode"),
        choices=[("", "—"), *ResumeMode.choices],
        required=False,
    )

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is not None:
            field: Any = self.fields["responsible_user"]
            field.queryset = people
            field.label_from_instance = lambda u: u.display_label


class StaffSectionForm(VersionedForm):
    isolation = forms.ChoiceField(
        label=_("Isolation arrangement"),
        choices=[("", "—"), *IsolationArrangement.choices],
        required=False,
    )
    isolation_notes = forms.CharField(
        label=_("Isolation details (place, rooms, who arranges it)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    dormitory_rooms = forms.IntegerField(
        label=_("Dormitory rooms"), required=False, min_value=0, max_value=10_000
    )
    people_per_room = forms.IntegerField(
        label=_("People per room"), required=False, min_value=0, max_value=100
    )
    canteen = forms.ChoiceField(
        label=_("Canteen"), choices=[("", "—"), *Canteen.choices], required=False
    )


class AnswerForm(ServiceErrorsMixin, forms.Form):
    state = forms.ChoiceField(label=_("Answer"), choices=AnswerState.choices)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
    number = forms.CharField(label=_("Number"), max_length=30, required=False)
    evidence = forms.FileField(label=_("Evidence"), required=False)
    remove_evidence = forms.BooleanField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2_000_000_000)


class ReasonForm(ServiceErrorsMixin, forms.Form):
    to = forms.ChoiceField(
        choices=[("approved", _("Approve")), ("returned", _("Return")), ("suspended", _("Suspend"))]
    )
    reason = forms.CharField(
        label=_("Reason (the enterprise sees it)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(ServiceErrorsMixin, forms.Form):
    item = forms.IntegerField(required=False, min_value=1, max_value=2_000_000_000)
    text = forms.CharField(label=_("Comment"), max_length=1000)


class TemplateMetaForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sources = forms.CharField(
        label=_("Sources, one a line: title | address"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def source_rows(self) -> list[dict[str, str]]:
        rows = []
        for line in self.cleaned_data.get("sources", "").splitlines():
            if not line.strip():
                continue
            title, _sep, url = line.partition("|")
            rows.append({"title": title.strip(), "url": url.strip()})
        return rows


class SectionForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Section title"), max_length=200)


class ItemForm(ServiceErrorsMixin, forms.Form):
    section = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2_000_000_000)
    item = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2_000_000_000
    )
    code = forms.CharField(label=_("Code"), max_length=20)
    text = forms.CharField(label=_("Requirement"), max_length=500)
    why = forms.CharField(label=_("Why"), max_length=500, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    evidence = forms.ChoiceField(label=_("Evidence"), choices=EvidenceKind.choices)
    number_unit = forms.CharField(label=_("Unit of the number"), max_length=20, required=False)
    number_min = forms.DecimalField(
        label=_("Smallest"), required=False, max_digits=14, decimal_places=2
    )
    number_max = forms.DecimalField(
        label=_("Largest"), required=False, max_digits=14, decimal_places=2
    )
    parameter = forms.DecimalField(
        label=_("Parameter"),
        required=False,
        min_value=0,
        max_value=MAX_PARAMETER,
        max_digits=12,
        decimal_places=2,
    )
    parameter_unit = forms.CharField(
        label=_("Unit of the parameter"), max_length=30, required=False
    )


class QueueFilterForm(forms.Form):
    status = forms.CharField(required=False, max_length=20)
    sector = forms.CharField(required=False, max_length=40)
