"""Forms for registering enterprises, deciding memberships, sites and member imports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from lib.ids import normalize_mobile, validate_uscc
from orgs import selectors
from orgs.models import Division, Organization, Site
from orgs.services import EnterpriseData, SiteData

BLANK_CHOICE = ("", "---------")

# Choices of the status tabs on the member list ("" means all).
STATUS_TABS = ("applied", "active", "suspended", "rejected", "left")

DECISIONS = {
    "approve": "active",
    "reject": "rejected",
    "suspend": "suspended",
    "reinstate": "active",
}


class AssociationChoiceField(forms.ModelMultipleChoiceField[Organization]):
    """Association checkboxes labelled with the association's sector."""

    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return f"{obj.name}（{obj.sector.label}）" if obj.sector else obj.name


class DistrictStreetForm(forms.Form):
    """A district select whose street select follows it (htmx), and stays valid without JS."""

    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=selectors.shenzhen_district_list(),
        empty_label=_("Choose a district"),
    )
    street = forms.ModelChoiceField(
        label=_("Street"), queryset=selectors.street_list(), empty_label=_("Choose a street")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].widget.attrs.update(
            {
                "hx-get": reverse("orgs:streets"),
                "hx-target": "#id_street",
                "hx-trigger": "change",
                "hx-swap": "innerHTML",
            }
        )
        street_widget: forms.Select = self.fields["street"].widget  # type: ignore[assignment]
        street_widget.choices = self._street_choices()

    def _chosen_district(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("district"), ""))[:12]
        value = self.initial.get("district")
        return str(value.pk if isinstance(value, Division) else value or "")

    def _street_choices(self) -> list[Any]:
        """The chosen district's streets; every street grouped by district when none is chosen."""
        chosen = self._chosen_district()
        if chosen:
            own = selectors.street_list(district=chosen)
            return [BLANK_CHOICE, *((s.pk, s.label) for s in own)]
        streets = list(selectors.street_list())
        groups: list[Any] = [BLANK_CHOICE]
        for district in selectors.shenzhen_district_list():
            members = [
                (s.pk, s.label) for s in streets if district.pk in {s.parent_id, s.managed_by_id}
            ]
            if members:
                groups.append((district.label, members))
        return groups

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        district, street = data.get("district"), data.get("street")
        if (
            district is not None
            and street is not None
            and district.pk not in {street.parent_id, street.managed_by_id}
        ):
            self.add_error("street", _("This street is not in the chosen district."))
        return data


class EnterpriseForm(DistrictStreetForm):
    """The registration details of an enterprise."""

    field_order = [
        "name",
        "uscc",
        "legal_representative",
        "sector",
        "district",
        "street",
        "address",
        "contact_name",
        "contact_mobile",
    ]

    name = forms.CharField(label=_("Registered name"), max_length=120)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=64,
        help_text=_("The 18 characters on the business licence."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    legal_representative = forms.CharField(label=_("Legal representative"), max_length=50)
    sector = forms.ModelChoiceField(
        label=_("Sector"), queryset=selectors.sector_list(), empty_label=_("Choose a sector")
    )
    address = forms.CharField(label=_("Address"), max_length=200)
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_mobile = forms.CharField(
        label=_("Contact mobile"),
        max_length=64,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def clean_uscc(self) -> str:
        return validate_uscc(self.cleaned_data["uscc"])

    def clean_contact_mobile(self) -> str:
        return normalize_mobile(self.cleaned_data["contact_mobile"])

    def enterprise_data(self) -> EnterpriseData:
        data = self.cleaned_data
        return EnterpriseData(
            name=data["name"],
            uscc=data["uscc"],
            legal_representative=data["legal_representative"],
            sector=data["sector"],
            district=data["district"],
            street=data["street"],
            address=data["address"],
            contact_name=data["contact_name"],
            contact_mobile=data["contact_mobile"],
        )


class RegisterForm(EnterpriseForm):
    """Online registration: the enterprise, its first admin's password and its associations."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("You sign in with the contact mobile and this password."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    associations = AssociationChoiceField(
        label=_("Associations to apply to"),
        queryset=selectors.association_list(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one association.")},
    )

    def __init__(self, *args: Any, signed_in: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["password1"]
            del self.fields["password2"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password = data.get("password1")
        if "password1" not in self.fields or not password:
            return data
        if password != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
            return data
        user = User(mobile=data.get("contact_mobile", ""), name=data.get("contact_name", ""))
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            self.add_error("password1", exc)
        return data


class EnterpriseEditForm(EnterpriseForm):
    """An enterprise's own profile, with the version it was read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ApplyForm(forms.Form):
    """An enterprise applies to one more association."""

    association = forms.ModelChoiceField(
        label=_("Association"),
        queryset=selectors.association_list(),
        empty_label=_("Choose an association"),
    )

    def __init__(self, *args: Any, exclude: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if exclude:
            field: forms.ModelChoiceField[Organization] = self.fields["association"]  # type: ignore[assignment]
            field.queryset = selectors.association_list().exclude(pk__in=exclude)


class DecisionForm(forms.Form):
    """An association's decision on a membership."""

    decision = forms.ChoiceField(choices=[(key, key) for key in DECISIONS])
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @property
    def target_status(self) -> str:
        return DECISIONS[self.cleaned_data["decision"]]


class MemberFilterForm(forms.Form):
    """Search and filters of the association's member list."""

    q = forms.CharField(label=_("Name or credit code"), max_length=100, required=False)
    status = forms.ChoiceField(required=False, choices=[("", ""), *((s, s) for s in STATUS_TABS)])
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=selectors.sector_list(),
        required=False,
        empty_label=_("All sectors"),
    )

    def values(self) -> dict[str, str]:
        """The filters as selector arguments; invalid ones are dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        sector = data.get("sector")
        return {
            "search": (data.get("q") or "").strip(),
            "status": data.get("status") or "",
            "sector": sector.pk if sector else "",
        }


class EnterpriseFilterForm(forms.Form):
    """Search and filters of the enterprise directory."""

    q = forms.CharField(label=_("Name or credit code"), max_length=100, required=False)
    sector = forms.ModelChoiceField(
        label=_("Sector"),
        queryset=selectors.sector_list(),
        required=False,
        empty_label=_("All sectors"),
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=selectors.shenzhen_district_list(),
        required=False,
        empty_label=_("All districts"),
    )
    association = forms.ModelChoiceField(
        label=_("Association"),
        queryset=selectors.association_list(),
        required=False,
        empty_label=_("All associations"),
    )

    def values(self) -> dict[str, Any]:
        """The filters as selector arguments; invalid ones are dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        sector, district, association = (
            data.get("sector"),
            data.get("district"),
            data.get("association"),
        )
        return {
            "search": (data.get("q") or "").strip(),
            "sector": sector.pk if sector else "",
            "district": district.pk if district else "",
            "association": association.pk if association else None,
        }


class SiteForm(DistrictStreetForm):
    """A site's details."""

    field_order = [
        "name",
        "kind",
        "service_mode",
        "floor_area_m2",
        "district",
        "street",
        "address",
    ]

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=[BLANK_CHOICE, *Site.Kind.choices])
    service_mode = forms.ChoiceField(
        label=_("Serving customers"),
        choices=Site.ServiceMode.choices,
        initial=Site.ServiceMode.OPEN,
    )
    floor_area_m2 = forms.DecimalField(
        label=_("Floor area (m²)"),
        min_value=Decimal(1),
        max_value=Decimal(1_000_000),
        max_digits=9,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    address = forms.CharField(label=_("Address"), max_length=200)

    def site_data(self) -> SiteData:
        data = self.cleaned_data
        return SiteData(
            name=data["name"],
            address=data["address"],
            district=data["district"],
            street=data["street"],
            floor_area_m2=data["floor_area_m2"],
            kind=data["kind"],
            service_mode=data["service_mode"],
        )


class SiteEditForm(SiteForm):
    """A site's details with the version they were read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MemberImportForm(forms.Form):
    """A spreadsheet of an association's existing members."""

    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
