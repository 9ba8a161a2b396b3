"""Forms of the roster pages: filters, the employee form, reveals, uploads and exports."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import RoleGrant
from orgs import selectors as org_selectors
from orgs.models import Division, Site
from workforce.models import DocumentType, Employee, EmploymentStatus
from workforce.services import REVEALABLE, EmployeeInput

# Longer than any real value, short enough that a pasted blob is refused at once.
_IDENTIFIER_MAX = 64
_CODE_MAX = 12


class EmployeeFilterForm(forms.Form):
    """Search and filters of the roster list (GET); bad values are ignored, not errors."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=Site.objects.none(), required=False, empty_label=_("All sites")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *EmploymentStatus.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    critical = forms.ChoiceField(
        label=_("Critical role"),
        required=False,
        choices=[("", _("All roles")), ("1", _("Critical roles")), ("0", _("Other roles"))],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.ModelChoiceField)
        site_field.queryset = sites

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for workforce.selectors.employee_list."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        critical = {"1": True, "0": False}.get(data.get("critical") or "")
        site: Site | None = data.get("site")
        return {
            "search": (data.get("q") or "").strip(),
            "site": site.pk if site is not None else None,
            "status": data.get("status") or "",
            "critical": critical,
        }


class EmployeeForm(forms.Form):
    """Add or edit one employee; the service does the real validation."""

    name = forms.CharField(label=_("Full name"), max_length=50)
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=_IDENTIFIER_MAX,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    document_type = forms.ChoiceField(
        label=_("Document type"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID
    )
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=_IDENTIFIER_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    position = forms.CharField(label=_("Position"), max_length=50, required=False)
    site = forms.ModelChoiceField(
        label=_("Site"),
        queryset=Site.objects.none(),
        required=False,
        empty_label=_("Not given"),
        error_messages={"invalid_choice": _("Choose one of your own sites.")},
    )
    is_critical = forms.BooleanField(
        label=_("Critical role (needed to keep the business running)"), required=False
    )
    home_province = forms.ModelChoiceField(
        label=_("Home province (hukou)"),
        queryset=Division.objects.none(),
        required=False,
        empty_label=_("Not given"),
        error_messages={"invalid_choice": _("Choose a province from the list.")},
    )
    home_city = forms.ModelChoiceField(
        label=_("Home city"),
        queryset=Division.objects.none(),
        required=False,
        empty_label=_("Not given"),
        error_messages={
            "invalid_choice": _("This city is not in the chosen province; choose the city again.")
        },
    )
    home_county = forms.ModelChoiceField(
        label=_("Home county or district"),
        queryset=Division.objects.none(),
        required=False,
        empty_label=_("Not given"),
        error_messages={
            "invalid_choice": _("This county is not in the chosen city; choose the county again.")
        },
    )
    status = forms.ChoiceField(
        label=_("Employment status"), choices=EmploymentStatus.choices, initial="active"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self, *args: Any, grant: RoleGrant, employee: Employee | None = None, **kwargs: Any
    ) -> None:
        if employee is not None and "initial" not in kwargs:
            kwargs["initial"] = _initial(employee)
        super().__init__(*args, **kwargs)
        self.employee = employee
        self._choice_field("site").queryset = org_selectors.site_list(
            viewer=grant, enterprise=grant.organization
        )
        province = self._chosen("home_province")
        city = self._chosen("home_city") if province else ""
        self._choice_field("home_province").queryset = org_selectors.division_list(
            level=Division.Level.PROVINCE
        )
        self._choice_field("home_city").queryset = org_selectors.division_children(
            parent=province, level=Division.Level.CITY
        )
        self._choice_field("home_county").queryset = org_selectors.division_children(
            parent=city, level=Division.Level.COUNTY
        )
        # Choosing a province (city) asks the server for its cities (counties), via htmx.
        for name, target in (("home_province", "home_city"), ("home_city", "home_county")):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("workforce:regions"),
                    "hx-target": f"#{self[target].auto_id}",
                    "hx-trigger": "change",
                    "hx-swap": "innerHTML",
                }
            )
        if employee is not None:
            # Edit pages never show the stored numbers; blank keeps them (PD-12).
            for name, masked in (
                ("mobile", employee.mobile_masked),
                ("document_number", employee.document_masked),
            ):
                self.fields[name].required = False
                self.fields[name].widget.attrs["placeholder"] = masked
                self.fields[name].help_text = _(
                    "Now {masked}. Leave blank to keep it, or type the full new number."
                ).format(masked=masked)
            self.fields["version"].required = True

    def _choice_field(self, name: str) -> forms.ModelChoiceField[Any]:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field

    def _chosen(self, name: str) -> str:
        """The code chosen for a region field, from the submitted data or the initial value."""
        if self.is_bound:
            value = self.data.get(self.add_prefix(name)) or ""
        else:
            value = self.initial.get(name) or ""
        value = str(getattr(value, "pk", value))
        return value if len(value) <= _CODE_MAX and value.isdigit() else ""

    def to_input(self) -> EmployeeInput:
        """The cleaned form as the service's input."""
        data = self.cleaned_data
        return EmployeeInput(
            name=data["name"],
            mobile=data.get("mobile") or "",
            document_type=data["document_type"],
            document_number=data.get("document_number") or "",
            position=data.get("position") or "",
            site=data.get("site"),
            is_critical=bool(data.get("is_critical")),
            home_province=data.get("home_province"),
            home_city=data.get("home_city"),
            home_county=data.get("home_county"),
            status=data["status"],
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's ValidationError on the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            field = {"home_region": "home_city"}.get(key, key)
            self.add_error(field if field in self.fields else None, messages)


def _initial(employee: Employee) -> dict[str, Any]:
    return {
        "name": employee.name,
        "document_type": employee.document_type,
        "position": employee.position,
        "site": employee.site_id,
        "is_critical": employee.is_critical,
        "home_province": employee.home_province_id,
        "home_city": employee.home_city_id,
        "home_county": employee.home_county_id,
        "status": employee.status,
        "version": employee.version,
    }


class RevealForm(forms.Form):
    """Why someone needs to see one full number; the reason goes into the audit log."""

    field = forms.ChoiceField(choices=[(name, name) for name in REVEALABLE])
    purpose = forms.CharField(
        label=_("Why do you need the full number?"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. calling about a health check")}),
        error_messages={"required": _("Say why you need to see the full number.")},
    )


class ImportForm(forms.Form):
    """A roster upload: checked here for name, size and kind, in full by the import."""

    file = forms.FileField(
        label=_("Roster file (.xlsx or .csv)"),
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
        size = upload.size or 0
        if size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(limit)d MB; split it into smaller files."),
                code="too_large",
                params={"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024) or 1},
            )
        if size == 0:
            raise ValidationError(_("The file is empty."), code="empty")
        if name.endswith(".xlsx"):
            head = upload.read(4)
            upload.seek(0)
            if head != b"PK\x03\x04":
                raise ValidationError(
                    _("This file is named .xlsx but is not an Excel workbook."), code="wrong_type"
                )
        return upload


class ExportForm(forms.Form):
    """Download the (filtered) roster; full numbers need an administrator and a reason."""

    q = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    site = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    status = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    critical = forms.CharField(required=False, max_length=2, widget=forms.HiddenInput)
    unmasked = forms.BooleanField(
        label=_("Include full mobile and document numbers (administrators only; logged)"),
        required=False,
    )
    purpose = forms.CharField(
        label=_("Purpose of the export"),
        required=False,
        max_length=200,
        help_text=_("Required for full numbers; recorded in the audit log."),
    )

    def __init__(self, *args: Any, can_unmask: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_unmask:
            del self.fields["unmasked"]
            del self.fields["purpose"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("unmasked") and not (data.get("purpose") or "").strip():
            self.add_error("purpose", _("Say why you need the full numbers."))
        return data
