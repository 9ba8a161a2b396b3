"""Forms of the desk: the inbox filters, the attestation with evidence files, the relay."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lib.uploads import accept_attribute, kinds_label
from notices.models import Category
from notices.receipt_selectors import NON_RESPONDER_KINDS
from notices.receipts import ADDED_MAX_LENGTH, EVIDENCE_KINDS, EVIDENCE_MAX_FILES, NOTE_MAX_LENGTH
from notices.selectors import audience_scope
from orgs.models import Division, Organization, Sector


class DeskFilterForm(forms.Form):
    """The desk's tab, category and title search (GET); bad values are ignored."""

    tab = forms.ChoiceField(
        required=False,
        choices=[
            ("todo", _("To do")),
            ("unread", _("Unread")),
            ("overdue", _("Overdue")),
            ("all", _("All")),
        ],
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    q = forms.CharField(label=_("Title"), required=False, max_length=100)

    def filters(self, *, default_tab: str) -> dict[str, str]:
        """Keyword arguments for receipt_selectors.desk_list."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "tab": data.get("tab") or default_tab,
            "category": data.get("category") or "",
            "search": (data.get("q") or "").strip(),
        }


class ProgressFilterForm(forms.Form):
    """Which non-responders the progress page lists (GET); bad values are ignored."""

    tab = forms.ChoiceField(required=False, choices=[(k, k) for k in NON_RESPONDER_KINDS])
    level = forms.ChoiceField(required=False, choices=[("direct", "direct"), ("chain", "chain")])
    relay = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    sector = forms.CharField(required=False, max_length=40)

    def filters(self, *, default_tab: str, default_level: str) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        sector = data.get("sector") or ""
        return {
            "kind": data.get("tab") or default_tab,
            "level": data.get("level") or default_level,
            "relay": data.get("relay"),
            "sector": sector if sector.replace("-", "").replace("_", "").isalnum() else "",
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each one by its content."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class AttestForm(forms.Form):
    """What was done to carry out a directive, with proof (photos, scans, documents)."""

    note = forms.CharField(
        label=_("What was done"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For example: which measures are in place since when, at which sites."),
        error_messages={"required": _("Say what was done to carry out the notice.")},
    )
    evidence = MultipleFileField(
        label=_("Evidence files"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        evidence = self.fields["evidence"]
        evidence.widget.attrs["accept"] = accept_attribute(EVIDENCE_KINDS)
        evidence.help_text = gettext("Up to %(count)d files: %(kinds)s, 10 MB each.") % {
            "count": EVIDENCE_MAX_FILES,
            "kinds": kinds_label(EVIDENCE_KINDS),
        }

    def uploads(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("evidence") or []
        return files


class RelayForm(forms.Form):
    """Relay a directive to the association's members: added instructions and who gets it."""

    added_md = forms.CharField(
        label=_("Your added instructions (optional)"),
        required=False,
        max_length=ADDED_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Shown above the original text. Leave empty to relay it as it is. "
            "Markdown: **bold**, lists with -, links."
        ),
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Only members of these sectors"),
        required=False,
        queryset=Sector.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every active member."),
    )
    districts = forms.ModelMultipleChoiceField(
        label=_("Only members in these districts"),
        required=False,
        queryset=Division.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every district."),
    )

    def __init__(self, *args: Any, association: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The sectors and districts where the association has active members.
        scope = audience_scope(publisher=association, relay=True)
        for name, queryset in (("sectors", scope.sectors), ("districts", scope.districts)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = queryset
