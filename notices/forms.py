"""Forms of the publishing pages: compose/edit, publish or schedule, withdraw, attach.

The audience pickers offer only what the publisher may reach (`selectors.audience_scope`),
so a hand-crafted POST naming anything else is a form error; the services check again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.uploads import ATTACHMENT_KINDS, accept_attribute, kinds_label
from notices.models import AudienceKind, Category, Notice
from notices.selectors import audience_scope
from notices.services import BODY_MAX, NoticeInput, attachment_max_bytes, notice_input_from
from orgs.models import Organization

_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _datetime_field(label: Any, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=_DATETIME_FORMATS,
        widget=DateTimeLocalInput(),
        help_text=help_text,
        error_messages={"invalid": _("Enter a date and time, e.g. 2020-02-10 18:00.")},
    )


class NoticeForm(forms.Form):
    """Compose or edit a notice. Which audience fields appear depends on the publisher."""

    category = forms.ChoiceField(
        label=_("Category"),
        choices=Category.choices,
        error_messages={"invalid_choice": _("Choose a category.")},
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One or two sentences shown in lists and messages."),
    )
    body_md = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 14, "class": "tz-mono"}),
        help_text=_(
            "Markdown: **bold**, *italic*, lists with “- ”, links as [text](https://…), "
            "tables with | columns |."
        ),
    )
    source_url = forms.CharField(
        label=_("Official source link"),
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
        help_text=_("Required for policy documents and government information."),
    )
    source_name = forms.CharField(
        label=_("Source"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Shenzhen Health Commission")}),
    )
    verified_by = forms.CharField(
        label=_("Verified by"),
        max_length=60,
        required=False,
        help_text=_("Who checked the text against the official source."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a date, e.g. 2020-03-31.")},
    )
    audience_kind = forms.ChoiceField(
        label=_("Audience"),
        choices=AudienceKind.choices,
        error_messages={"invalid_choice": _("Your organisation cannot address this audience.")},
    )
    audience_associations = forms.ModelMultipleChoiceField(
        label=_("Associations"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("You can only address associations within your reach."),
            "invalid_pk_value": _("You can only address associations within your reach."),
        },
    )
    audience_sectors = forms.ModelMultipleChoiceField(
        label=_("Only these sectors"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose sectors among those of the enterprises you reach."),
            "invalid_pk_value": _("Choose sectors among those of the enterprises you reach."),
        },
    )
    audience_districts = forms.ModelMultipleChoiceField(
        label=_("Only these districts"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose districts among those of the enterprises you reach."),
            "invalid_pk_value": _("Choose districts among those of the enterprises you reach."),
        },
    )
    is_public = forms.BooleanField(
        label=_("Also show it in the public news centre"), required=False
    )
    requires_ack = forms.BooleanField(label=_("Ask recipients to acknowledge it"), required=False)
    requires_attestation = forms.BooleanField(
        label=_("Ask for proof of implementation (a note and files)"), required=False
    )
    asks_relay = forms.BooleanField(
        label=_("Associations relay it to their members"), required=False
    )
    deadline = _datetime_field(_("Deadline"), _("By when recipients should respond."))
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        required=False,
        help_text=_("Shown to recipients in the revision history."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(
        self, *args: Any, publisher: Organization, notice: Notice | None = None, **kwargs: Any
    ) -> None:
        if notice is not None and "initial" not in kwargs:
            kwargs["initial"] = _initial(notice)
        super().__init__(*args, **kwargs)
        self.publisher = publisher
        self.notice = notice
        relay = notice is not None and notice.parent_id is not None
        scope = audience_scope(publisher=publisher, relay=relay)
        self.scope = scope
        kind_field = self.fields["audience_kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [(k, AudienceKind(k).label) for k in scope.kinds]
        if len(scope.kinds) == 1:
            kind_field.initial = scope.kinds[0]
        self._queryset("audience_associations", scope.associations)
        self._queryset("audience_sectors", scope.sectors)
        self._queryset("audience_districts", scope.districts)
        drop: list[str] = []
        if not scope.associations.exists():
            drop.append("audience_associations")
        if publisher.is_enterprise:
            drop += ["audience_sectors", "audience_districts", "requires_attestation"]
        if not scope.may_publish_publicly:
            drop.append("is_public")
        if not scope.may_ask_relay:
            drop.append("asks_relay")
        published = notice is not None and notice.status == Notice.Status.PUBLISHED
        if published:
            # Fixed after publication (services refuse a change): shown, not editable.
            drop += [
                "audience_kind",
                "audience_associations",
                "audience_sectors",
                "audience_districts",
                "requires_ack",
                "requires_attestation",
                "asks_relay",
            ]
        else:
            drop.append("note")
        if notice is None:
            drop.append("version")
        else:
            self.fields["version"].required = True
        for name in dict.fromkeys(drop):
            self.fields.pop(name, None)
        if not self.is_bound and notice is None and publisher.is_enterprise:
            self.initial.setdefault("audience_kind", AudienceKind.EMPLOYEES)

    def _queryset(self, name: str, queryset: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = queryset

    def clean_deadline(self) -> dt.datetime | None:
        deadline: dt.datetime | None = self.cleaned_data.get("deadline")
        current = self.notice.deadline if self.notice is not None else None
        keeps = (
            deadline is not None
            and current is not None
            and self.notice is not None
            and self.notice.status == Notice.Status.PUBLISHED
            and abs((deadline - current).total_seconds()) < 60
        )
        if deadline is not None and deadline <= timezone.now() and not keeps:
            raise ValidationError(_("The deadline has passed; choose a later one."))
        return deadline

    def to_input(self) -> NoticeInput:
        """The cleaned form as the service's input (fixed fields keep their values)."""
        data = self.cleaned_data
        base = (
            notice_input_from(self.notice)
            if self.notice is not None
            else NoticeInput(category=data["category"], title=data["title"])
        )

        def value(name: str, default: Any) -> Any:
            return data[name] if name in self.fields else default

        return NoticeInput(
            category=data["category"],
            title=data["title"],
            summary=data.get("summary") or "",
            body_md=data.get("body_md") or "",
            is_public=bool(value("is_public", base.is_public)),
            source_url=data.get("source_url") or "",
            source_name=data.get("source_name") or "",
            verified_by=data.get("verified_by") or "",
            valid_until=data.get("valid_until"),
            audience_kind=value("audience_kind", base.audience_kind),
            audience_associations=tuple(
                value("audience_associations", base.audience_associations) or ()
            ),
            audience_sectors=tuple(value("audience_sectors", base.audience_sectors) or ()),
            audience_districts=tuple(value("audience_districts", base.audience_districts) or ()),
            requires_ack=bool(value("requires_ack", base.requires_ack)),
            requires_attestation=bool(value("requires_attestation", base.requires_attestation)),
            asks_relay=bool(value("asks_relay", base.asks_relay)),
            deadline=data.get("deadline"),
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show a service's ValidationError on the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for key, messages in exc.message_dict.items():
            self.add_error(key if key in self.fields else None, messages)


def _initial(notice: Notice) -> dict[str, Any]:
    data = notice_input_from(notice)
    return {
        "category": data.category,
        "title": data.title,
        "summary": data.summary,
        "body_md": data.body_md,
        "is_public": data.is_public,
        "source_url": data.source_url,
        "source_name": data.source_name,
        "verified_by": data.verified_by,
        "valid_until": data.valid_until,
        "audience_kind": data.audience_kind,
        "audience_associations": [o.pk for o in data.audience_associations],
        "audience_sectors": [s.pk for s in data.audience_sectors],
        "audience_districts": [d.pk for d in data.audience_districts],
        "requires_ack": data.requires_ack,
        "requires_attestation": data.requires_attestation,
        "asks_relay": data.asks_relay,
        "deadline": timezone.localtime(data.deadline) if data.deadline else None,
        "version": notice.version,
    }


class PublishForm(forms.Form):
    """Publish now (no time) or schedule (a time in the future)."""

    publish_at = _datetime_field(_("Publish at"), _("Leave empty to publish now."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean_publish_at(self) -> dt.datetime | None:
        publish_at: dt.datetime | None = self.cleaned_data.get("publish_at")
        if publish_at is not None and publish_at <= timezone.now():
            raise ValidationError(_("Choose a time in the future, or publish now."))
        return publish_at


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        max_length=300,
        error_messages={"required": _("Say why the notice is withdrawn.")},
        help_text=_("Recipients see this reason."),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute(ATTACHMENT_KINDS)}),
        error_messages={
            "required": _("Choose a file to attach."),
            "empty": _("The file is empty."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("%(kinds)s; at most %(size)d MB each.") % {
            "kinds": kinds_label(ATTACHMENT_KINDS),
            "size": attachment_max_bytes() // (1024 * 1024),
        }


class OutboxFilterForm(forms.Form):
    """Status tab, category and title search of the outbox (GET); bad values are ignored."""

    status = forms.ChoiceField(required=False, choices=[("", _("All")), *Notice.Status.choices])
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Category.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    q = forms.CharField(label=_("Title"), required=False, max_length=100)

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or "",
            "category": data.get("category") or "",
            "search": (data.get("q") or "").strip(),
        }
