"""Forms of the training pages. The services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lib.uploads import ATTACHMENT_KINDS, accept_attribute, kinds_label
from orgs.models import Organization, OrganizationKind, Sector, Site
from training.models import Assignment, Course
from training.services import AssignmentInput, CourseInput, parse_choices, parse_videos


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    body_md = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown: ## heading, **bold**, - list, | table |."),
    )
    videos = forms.CharField(
        label=_("Video links"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One a line: title | https://address"),
    )
    sources = forms.CharField(
        label=_("Sources"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    pass_mark = forms.IntegerField(label=_("Pass mark (%)"), min_value=1, max_value=100, initial=80)
    minutes = forms.IntegerField(
        label=_("Minutes to study"), min_value=1, max_value=600, initial=15
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_course(cls, course: Course) -> CourseForm:
        return cls(
            initial={
                "title": course.title,
                "summary": course.summary,
                "body_md": course.body_md,
                "videos": "\n".join(f"{v['title']} | {v['url']}" for v in course.videos),
                "sources": course.sources,
                "pass_mark": course.pass_mark,
                "minutes": course.minutes,
                "version": course.version,
            }
        )

    def to_input(self) -> CourseInput:
        data = self.cleaned_data
        return CourseInput(
            title=data["title"],
            summary=data["summary"],
            body_md=data["body_md"],
            sources=data["sources"],
            videos=parse_videos(data["videos"]),
            pass_mark=data["pass_mark"],
            minutes=data["minutes"],
        )


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500)
    multiple = forms.BooleanField(label=_("Several answers are right"), required=False)
    choices = forms.CharField(
        label=_("Answers"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line; start the right answer(s) with *."),
    )

    def parsed_choices(self) -> list[tuple[str, bool]]:
        return parse_choices(self.cleaned_data["choices"])


class FileForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("Accepted: %(kinds)s.") % {"kinds": kinds_label(ATTACHMENT_KINDS)},
        widget=forms.ClearableFileInput(attrs={"accept": accept_attribute(ATTACHMENT_KINDS)}),
    )


class AssignmentForm(forms.Form):
    rule = forms.ChoiceField(label=_("Who takes it"), choices=Assignment.Rule.choices)
    sector = forms.ModelChoiceField(
        label=_("Sector"), queryset=Sector.objects.none(), required=False
    )
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    position = forms.CharField(label=_("Position"), max_length=50, required=False)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule = self.fields["rule"]
        assert isinstance(rule, forms.ChoiceField)
        if organization.kind == OrganizationKind.ENTERPRISE:
            rule.choices = [c for c in Assignment.Rule.choices if c[0] != Assignment.Rule.SECTOR]
            del self.fields["sector"]
            self.fields["site"].queryset = Site.objects.filter(enterprise=organization)  # type: ignore[attr-defined]
        else:
            rule.choices = [c for c in Assignment.Rule.choices if c[0] != Assignment.Rule.SITE]
            del self.fields["site"]
            self.fields["sector"].queryset = Sector.objects.all()  # type: ignore[attr-defined]

    def to_input(self) -> AssignmentInput:
        data = self.cleaned_data
        return AssignmentInput(
            rule=data["rule"],
            required=bool(data.get("required")),
            due_on=data.get("due_on"),
            sector=data.get("sector"),
            position=data.get("position") or "",
            site=data.get("site"),
        )
