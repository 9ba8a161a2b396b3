"""The check-in form, built from the rule data (`health.services.FormSpec`).

Fields only shape what the browser sends; the service validates every answer (one set of
messages for the page, the import and the API) and its errors are put back on the fields.
A region question is three inputs: a select of Shenzhen's districts (with "outside
Shenzhen"), a province select and a city text box.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from health.rules import Question, text_for
from health.services import FormSpec
from orgs.models import Division
from orgs.selectors import division_list, shenzhen_district_list

OUTSIDE = "outside"


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class Row:
    """One question as the template draws it."""

    question: Question
    label: str
    help: str
    errors: list[str]
    value: Any  # the current value of a text, number, bool or region question
    options: list[Option]
    provinces: list[Option]
    province: str = ""
    city: str = ""


class CheckInAnswersForm(forms.Form):
    """The questions put to the employee (travel questions only with travel consent)."""

    def __init__(
        self,
        data: Any = None,
        *,
        spec: FormSpec,
        consents: dict[str, bool],
        initial_answers: dict[str, Any] | None = None,
        day: dt.date,
    ) -> None:
        super().__init__(data, initial=answers_to_fields(initial_answers or {}))
        self.day = day
        self.spec = spec
        self.questions = spec.asked(consents)
        for question in self.questions:
            self._add(question)

    def _add(self, q: Question) -> None:
        choices = [(c.code, text_for(c.label)) for c in q.choices]
        if q.kind in {"temperature", "number"}:
            self.fields[q.key] = forms.CharField(required=False, max_length=20, strip=True)
        elif q.kind == "choice":
            self.fields[q.key] = forms.ChoiceField(required=False, choices=choices)
        elif q.kind == "multi":
            self.fields[q.key] = forms.MultipleChoiceField(required=False, choices=choices)
        elif q.kind == "text":
            self.fields[q.key] = forms.CharField(required=False, max_length=q.max_length)
        elif q.kind == "bool":
            self.fields[q.key] = forms.BooleanField(required=False)
        else:
            self.fields[q.key] = forms.ChoiceField(
                required=False,
                choices=[("", ""), *district_choices(), (OUTSIDE, _("Outside Shenzhen"))],
            )
            self.fields[f"{q.key}_province"] = forms.ChoiceField(
                required=False, choices=[("", ""), *province_choices()]
            )
            self.fields[f"{q.key}_city"] = forms.CharField(required=False, max_length=40)

    def answers(self) -> dict[str, Any]:
        """The answers in the shape `checkin_submit` takes (call after is_valid)."""
        data = self.cleaned_data
        answers: dict[str, Any] = {}
        for q in self.questions:
            if q.kind == "region":
                district = data.get(q.key) or ""
                if district and district != OUTSIDE:
                    answers[q.key] = {"district": district}
                elif district == OUTSIDE or data.get(f"{q.key}_province"):
                    answers[q.key] = {
                        "province": data.get(f"{q.key}_province") or "",
                        "city": data.get(f"{q.key}_city") or "",
                    }
            elif q.kind == "bool":
                answers[q.key] = bool(data.get(q.key))
            else:
                answers[q.key] = data.get(q.key)
        return answers

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's ValidationError back on the fields it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            self.add_error(key if key in self.fields else None, errors)

    def service_error_code(self, key: str) -> tuple[str, dict[str, Any]]:
        """(code, params) of the first error on a field, for special handling."""
        errors = self.errors.as_data().get(key) or []
        if not errors:
            return "", {}
        return errors[0].code or "", dict(errors[0].params or {})

    def rows(self) -> list[Row]:
        rows = []
        provinces: list[Option] | None = None
        for q in self.questions:
            bound = self[q.key]
            value = bound.value()
            errors = [str(e) for e in self.errors.get(q.key, [])]
            options: list[Option] = []
            if q.kind in {"choice", "multi"}:
                chosen = {str(v) for v in value} if isinstance(value, list) else {str(value or "")}
                options = [Option(c.code, text_for(c.label), c.code in chosen) for c in q.choices]
            province = city = ""
            if q.kind == "region":
                options = [
                    Option(code, str(label), code == (value or ""))
                    for code, label in self.fields[q.key].choices  # type: ignore[attr-defined]
                    if code
                ]
                province = str(self[f"{q.key}_province"].value() or "")
                city = str(self[f"{q.key}_city"].value() or "")
                if provinces is None:
                    provinces = [Option(c, str(n), False) for c, n in province_choices()]
                for sub in (f"{q.key}_province", f"{q.key}_city"):
                    errors += [str(e) for e in self.errors.get(sub, [])]
            rows.append(
                Row(
                    question=q,
                    label=text_for(q.label),
                    help=text_for(q.help),
                    errors=errors,
                    value=value,
                    options=options,
                    provinces=[
                        Option(o.value, o.label, o.value == province) for o in provinces or []
                    ]
                    if q.kind == "region"
                    else [],
                    province=province,
                    city=city,
                )
            )
        return rows


def district_choices() -> list[tuple[str, str]]:
    return [(d.code, d.label) for d in shenzhen_district_list()]


def province_choices() -> list[tuple[str, str]]:
    return [
        (d.code, d.label) for d in division_list(level=Division.Level.PROVINCE).order_by("code")
    ]


def answers_to_fields(answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers as initial field values (a region becomes its three inputs)."""
    fields: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, dict):
            if value.get("district"):
                fields[key] = value["district"]
            else:
                fields[key] = OUTSIDE
                fields[f"{key}_province"] = value.get("province", "")
                fields[f"{key}_city"] = value.get("city", "")
        else:
            fields[key] = value
    return fields


class ConsentForm(forms.Form):
    """Separate consent to health data and to travel and contact data (PIPL art. 29)."""

    health = forms.BooleanField(required=False, label=gettext_lazy("Health data"))
    travel = forms.BooleanField(required=False, label=gettext_lazy("Travel and contact data"))

    def kinds(self) -> set[str]:
        return {kind for kind in ("health", "travel") if self.cleaned_data.get(kind)}
