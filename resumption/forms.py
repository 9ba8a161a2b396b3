"""Forms of the resumption pages (validation of meaning stays in the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from orgs.models import Division, Organization, Site
from resumption.models import AttendanceStatus, TravelMode
from resumption.services import DeclarationInput


def _districts() -> Any:
    return Division.objects.filter(
        parent_id="440300", level__in=[Division.Level.COUNTY, Division.Level.FUNCTIONAL_AREA]
    ).order_by("code")


class DeclarationForm(forms.Form):
    """Where the employee is and how they will come back (works without script)."""

    in_shenzhen = forms.TypedChoiceField(
        label=_("Where are you now?"),
        choices=[("1", _("In Shenzhen")), ("0", _("Elsewhere in China"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    district = forms.ModelChoiceField(
        label=_("District of Shenzhen"), queryset=Division.objects.none(), required=False
    )
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Division.objects.none(), required=False
    )
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=Division.objects.none(),
        required=False,
        help_text=_("Optional, but the risk level is more precise with the city."),
    )
    planned_travel_on = forms.DateField(
        label=_("Planned travel date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    travel_mode = forms.ChoiceField(
        label=_("Travel mode"), choices=TravelMode.choices, required=False
    )
    needs_isolation = forms.BooleanField(
        label=_("I need isolation accommodation on arrival"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = _districts()  # type: ignore[attr-defined]
        self.fields["province"].queryset = Division.objects.filter(  # type: ignore[attr-defined]
            level=Division.Level.PROVINCE
        ).order_by("code")
        self.fields["city"].queryset = Division.objects.filter(  # type: ignore[attr-defined]
            level=Division.Level.CITY
        ).order_by("code")

    def to_input(self) -> DeclarationInput:
        data = self.cleaned_data
        return DeclarationInput(
            in_shenzhen=bool(data["in_shenzhen"]),
            district=data.get("district"),
            province=data.get("province"),
            city=data.get("city"),
            planned_travel_on=data.get("planned_travel_on"),
            travel_mode=data.get("travel_mode") or TravelMode.NONE,
            needs_isolation=bool(data.get("needs_isolation")),
        )


def declaration_initial(declaration: Any) -> dict[str, Any]:
    if declaration is None:
        return {}
    return {
        "in_shenzhen": "1" if declaration.in_shenzhen else "0",
        "district": declaration.district_id,
        "province": declaration.province_id,
        "city": declaration.city_id,
        "planned_travel_on": declaration.planned_travel_on,
        "travel_mode": declaration.travel_mode,
        "needs_isolation": declaration.needs_isolation,
    }


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))


class ApplicationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    normal_headcount = forms.IntegerField(
        label=_("Normal headcount"),
        min_value=1,
        max_value=100_000,
        help_text=_("People on site on a normal day before the epidemic."),
    )
    isolation_rooms = forms.IntegerField(
        label=_("Isolation rooms available"), min_value=0, max_value=10_000, initial=0
    )
    committed = forms.BooleanField(
        label=_(
            "We commit to the conditions: prevention plan, supplies, daily check-ins, "
            "temperature checks, distancing and registration of everyone on site."
        ),
        required=False,
    )


class PhaseForm(forms.Form):
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    share_pct = forms.IntegerField(
        label=_("Share of normal headcount (%)"),
        help_text=_("Above 0 and at most 100."),
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=Site.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    shifts = forms.CharField(
        label=_("Shifts of a day"),
        max_length=200,
        initial="08:00-16:00",
        help_text=_(
            "Start-end in 24-hour time, separated by commas, e.g. 08:00-16:00, 16:00-24:00."
        ),
    )

    def __init__(self, *args: Any, enterprise: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            enterprise=enterprise
        ).order_by("name")


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comments for the enterprise"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PinForm(forms.Form):
    first_day = forms.DateField(
        label=_("First working day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    shift = forms.TypedChoiceField(label=_("Shift"), coerce=int, choices=[])
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)

    def __init__(self, *args: Any, shifts: list[str], sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shift"].choices = [(k, label) for k, label in enumerate(shifts)]  # type: ignore[attr-defined]
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=AttendanceStatus.choices)
    shift = forms.TypedChoiceField(
        label=_("Shift worked"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), *[(k, str(k + 1)) for k in range(4)]],
    )
