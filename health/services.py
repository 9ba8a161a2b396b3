"""Writes and rules of the daily check-in: consent, the form, submissions, clearance.

Contract used by the enterprise pages, the import, the API and the personal pages:

- `checkin_form_for(employee=, on=)` → `FormSpec`: the questions in force for that
  employee and day (the federation's rule version ⊕ its associations' additions ⊕ its
  enterprise's additions).
- `checkin_submit(...)` → `CheckInResult`: validates, decides the status from the rules,
  upserts the one row of the employee and day (history in `CheckInRevision`), counts it in
  the rollups and alerts the prevention officers when it turns abnormal.
- `consent_give`, `consent_withdraw`, `consent_state`, `consent_states`.
- `clearance_for(employee=, on=)` → `Clearance`; more reasons register with
  `clearance_check`.
- `temperature_parse`, `checkin_quick_offer`, `checkin_throttled`, `checkin_patterns`.

The after-midnight rule: a form is opened for a business day D (Asia/Shanghai). An
employee's own submission for D arriving after midnight still counts for D when it arrives
within `late_grace_minutes` of the rule table (default 120: until 02:00); later it is
refused with a message to fill in today's check-in. Managers and imports may record any
past day; nobody may record a day that has not begun.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pydantic import ValidationError as SchemaError

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from emergencies.models import Emergency, RuleVersion
from emergencies.rules import rules_changed
from emergencies.selectors import emergency_current, rule_effective
from health.models import (
    CheckIn,
    CheckInRevision,
    CheckInSettings,
    Consent,
    ConsentKind,
    FormAddition,
    Observation,
    Status,
    Via,
)
from health.rollups import rollup_record
from health.rules import (
    FORM_KEY,
    SEVERITY,
    CheckInForm,
    FormAdditions,
    Question,
    TemperatureRules,
    default_checkin_form,
    text_for,
)
from health.selectors import not_consented_key
from lib.ids import mask_name
from notify.models import Channel
from notify.services import Message, Recipient, notify_send
from orgs.models import Division, MembershipStatus, Organization
from orgs.services import memberships_changed
from workforce.models import Employee, EmploymentStatus

# The privacy notice the consent page shows; bump it when the notice's text changes.
NOTICE_VERSION = "2026-1"
# Submissions one employee may make per minute through the personal pages.
RATE_LIMIT = 10
RATE_WINDOW_SECONDS = 60
SHENZHEN = "440300"


# --- The form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FormSpec:
    """The check-in form in force for one employee and day."""

    form: CheckInForm
    rule_version: RuleVersion | None
    additions: tuple[FormAddition, ...]
    emergency: Emergency | None
    version_key: str

    @property
    def questions(self) -> list[Question]:
        return self.form.questions

    def question(self, key: str) -> Question | None:
        return next((q for q in self.form.questions if q.key == key), None)

    def asked(self, consents: dict[str, bool]) -> list[Question]:
        """The questions put to an employee: travel questions only with travel consent."""
        return [q for q in self.form.questions if q.consent != "travel" or consents.get("travel")]

    @property
    def temperature_question(self) -> Question | None:
        return next((q for q in self.form.questions if q.kind == "temperature"), None)

    def temperature_of(self, answers: dict[str, Any]) -> Decimal | None:
        """The temperature among clean answers (°C), if the form asks for one."""
        question = self.temperature_question
        if question is None or question.key not in answers:
            return None
        return Decimal(answers[question.key])

    def next_steps(self, status: str) -> list[str]:
        label = self.form.next_steps.get(status)  # type: ignore[call-overload]
        return [text_for(label)] if label else []


# Rule versions and additions are never edited: their parsed forms are kept (by pk and
# creation time, so a test database that reuses a pk does not see a stale form).
_PARSED: dict[tuple[Any, ...], Any] = {}


def _parsed_form(rule: RuleVersion | None) -> CheckInForm:
    """The validated form of a rule version (versions are never edited: cached by pk)."""
    if rule is None:
        key: tuple[Any, ...] = ("default",)
        if key not in _PARSED:
            _PARSED[key] = CheckInForm.model_validate(default_checkin_form())
        return _PARSED[key]  # type: ignore[no-any-return]
    key = ("rule", rule.pk, rule.changed_at.isoformat())
    if key not in _PARSED:
        _PARSED[key] = CheckInForm.model_validate(rule.data)
    return _PARSED[key]  # type: ignore[no-any-return]


def _parsed_addition(addition: FormAddition) -> FormAdditions:
    key = ("addition", addition.pk, addition.changed_at.isoformat())
    if key not in _PARSED:
        _PARSED[key] = FormAdditions.model_validate(addition.data)
    return _PARSED[key]  # type: ignore[no-any-return]


def _association_ids(enterprise_id: int) -> list[int]:
    from orgs.models import Membership

    return list(
        Membership.objects.filter(enterprise_id=enterprise_id, status=MembershipStatus.ACTIVE)
        .order_by("association_id")
        .values_list("association_id", flat=True)
    )


def _additions_in_force(
    *, emergency: Emergency, organization_ids: list[int], on: dt.date
) -> list[FormAddition]:
    """The latest addition of each organisation effective on the day, in the given order."""
    latest: dict[int, FormAddition] = {}
    for addition in FormAddition.objects.filter(
        emergency=emergency, organization_id__in=organization_ids, effective_from__lte=on
    ).order_by("organization_id", "-effective_from", "-version"):
        latest.setdefault(addition.organization_id, addition)
    return [latest[pk] for pk in organization_ids if pk in latest]


def _compose(
    base: CheckInForm,
    rule: RuleVersion | None,
    additions: list[FormAddition],
    emergency: Emergency | None,
) -> FormSpec:
    questions = list(base.questions)
    keys = {q.key for q in questions}
    used: list[FormAddition] = []
    for addition in additions:
        extra = [q for q in _parsed_addition(addition).questions if q.key not in keys]
        if extra:
            used.append(addition)
            questions.extend(extra)
            keys.update(q.key for q in extra)
    form = base.model_copy(update={"questions": questions}) if used else base
    version = f"r{rule.pk}" if rule is not None else "default"
    version = "+".join([version, *(f"a{a.pk}" for a in used)])[:100]
    return FormSpec(form, rule, tuple(used), emergency, version)


# The composed form per (enterprise, day), kept in this process for FORM_CACHE_SECONDS:
# four queries (emergency, rule version, memberships, additions) saved on every check-in.
# Publishing a version or an addition clears this process's copy at once; other web
# processes pick it up within FORM_CACHE_SECONDS (rule versions take effect by day).
FORM_CACHE_SECONDS = 60
_FORMS: dict[tuple[int, dt.date], tuple[float, FormSpec]] = {}


def form_cache_clear(**_kwargs: Any) -> None:
    """Forget the composed forms of this process (after a publication, a change of
    membership; between tests). Connected to `rules_changed` and `memberships_changed`."""
    _FORMS.clear()


rules_changed.connect(form_cache_clear, dispatch_uid="health.form_cache_clear")
memberships_changed.connect(form_cache_clear, dispatch_uid="health.form_cache_clear.members")


def checkin_form_for(*, employee: Employee, on: dt.date) -> FormSpec:
    """The effective questions for the employee on the day: the federation's version of
    `health.checkin_form` for the current emergency (the built-in default until one is
    published) ⊕ the additions of its associations ⊕ those of its enterprise."""
    key = (employee.enterprise_id, on)
    now = time.monotonic()
    cached = _FORMS.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    spec = _checkin_form_compose(employee=employee, on=on)
    if len(_FORMS) > 50_000:
        _FORMS.clear()
    _FORMS[key] = (now + FORM_CACHE_SECONDS, spec)
    return spec


def checkin_form_cached(*, enterprise_id: int, on: dt.date) -> FormSpec | None:
    """The composed form when this process holds a fresh copy, else None; never queries
    (the ingest service asks here first and composes in a thread on a miss)."""
    cached = _FORMS.get((enterprise_id, on))
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    return None


def _checkin_form_compose(*, employee: Employee, on: dt.date) -> FormSpec:
    emergency = emergency_current()
    rule = rule_effective(emergency=emergency, key=FORM_KEY, on=on) if emergency else None
    additions: list[FormAddition] = []
    if emergency is not None:
        org_ids = [*_association_ids(employee.enterprise_id), employee.enterprise_id]
        additions = _additions_in_force(emergency=emergency, organization_ids=org_ids, on=on)
    return _compose(_parsed_form(rule), rule, additions, emergency)


def checkin_form_of(checkin: CheckIn) -> FormSpec:
    """The form a stored check-in was answered against (from its `form_version`)."""
    addition_ids = [
        int(part[1:])
        for part in checkin.form_version.split("+")
        if part.startswith("a") and part[1:].isdigit()
    ]
    additions = list(FormAddition.objects.filter(pk__in=addition_ids).order_by("pk"))
    rule = checkin.rule_version
    return _compose(_parsed_form(rule), rule, additions, None)


@transaction.atomic
def form_addition_publish(
    *,
    actor: User,
    organization: Organization,
    emergency: Emergency,
    data: dict[str, Any],
    effective_from: dt.date,
    source_title: str,
    source_url: str = "",
    note: str = "",
) -> FormAddition:
    """Publish a new version of an association's or an enterprise's extra questions; an
    empty question list withdraws the earlier ones. Earlier versions stay as they were."""
    if organization.is_federation:
        raise ValidationError(
            _("The federation edits the form itself (rule table %(key)s).") % {"key": FORM_KEY}
        )
    if not source_title.strip():
        raise ValidationError({"source_title": _("Cite the source of these rules.")})
    try:
        parsed = FormAdditions.model_validate(data)
    except SchemaError as exc:
        raise ValidationError(
            {"data": [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]}
        ) from None
    base = _parsed_form(rule_effective(emergency=emergency, key=FORM_KEY, on=effective_from))
    taken = {q.key for q in base.questions}
    if organization.is_enterprise:
        for upper in _additions_in_force(
            emergency=emergency,
            organization_ids=_association_ids(organization.pk),
            on=effective_from,
        ):
            taken.update(q.key for q in _parsed_addition(upper).questions)
    clash = sorted(q.key for q in parsed.questions if q.key in taken)
    if clash:
        raise ValidationError(
            {
                "data": _("These question keys are already used: %(keys)s.")
                % {"keys": ", ".join(clash)}
            }
        )
    last = (
        FormAddition.objects.filter(emergency=emergency, organization=organization)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    addition = FormAddition.objects.create(
        emergency=emergency,
        organization=organization,
        version=(last or 0) + 1,
        effective_from=effective_from,
        data=parsed.model_dump(mode="json"),
        source_title=source_title.strip()[:300],
        source_url=source_url,
        note=note.strip()[:500],
        changed_by=actor,
    )
    audit_record(
        actor=actor,
        action="health.form_addition_publish",
        scope=organization,
        obj=addition,
        changes={"data": addition.data},
    )
    form_cache_clear()
    transaction.on_commit(form_cache_clear)
    return addition


# --- Temperatures -----------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d{1,4})(?:\.(\d{1,3}))?$")
_UNIT = re.compile(r"(°\s*[cCfF]|℃|℉|度|[cCfF])$")


def _number_text(value: str) -> tuple[str, str]:
    """Normalise what someone typed: full-width digits, a decimal comma, a unit.
    Returns the number text and the unit letter ("c", "f" or "")."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    text = text.replace("。", ".").replace("，", ",")
    unit = ""
    match = _UNIT.search(text)
    if match:
        token = match.group(1)
        unit = "f" if token in {"℉"} or token.lower().endswith("f") else "c"
        text = text[: match.start()].strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return text, unit


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def fahrenheit_to_celsius(value: Decimal) -> Decimal:
    return _one_decimal((value - 32) * 5 / 9)


def temperature_parse(
    value: str, *, rules: TemperatureRules | None = None
) -> tuple[Decimal, list[str]]:
    """Read a body temperature in °C from what was typed; returns it with notes on how it
    was read ("37,5" → 37.5). Raises ValidationError (with a `code`) when it cannot be a
    body temperature: "fahrenheit" (params: celsius) for 93–109.4, "decimal_point" for
    3.7 or 370, "range" outside 34.0–43.0, "invalid" for anything that is not a number."""
    rules = rules or TemperatureRules()
    text, unit = _number_text(str(value))
    notes: list[str] = []
    if not text:
        raise ValidationError(_("Enter your temperature in °C, for example 36.5."), code="required")
    match = _NUMBER.match(text)
    if not match:
        raise ValidationError(
            _("“%(value)s” is not a temperature. Enter it in °C, for example 36.5.")
            % {"value": str(value)[:20]},
            code="invalid",
        )
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValidationError(
            _("Enter your temperature in °C, for example 36.5."), code="invalid"
        ) from None
    if text != str(value).strip():
        notes.append(_("Read as %(value)s °C.") % {"value": text})
    if unit != "f" and rules.minimum <= number <= rules.maximum:
        rounded = _one_decimal(number)
        if rounded != number:
            notes.append(_("Rounded to %(value)s °C.") % {"value": rounded})
        return rounded, notes
    if unit == "f" or rules.fahrenheit_minimum <= number <= rules.fahrenheit_maximum:
        celsius = fahrenheit_to_celsius(number)
        if rules.minimum <= celsius <= rules.maximum:
            raise ValidationError(
                _(
                    "%(value)s looks like Fahrenheit. Did you mean %(celsius)s °C? "
                    "Temperatures are recorded in °C."
                )
                % {"value": number, "celsius": celsius},
                code="fahrenheit",
                params={"celsius": str(celsius)},
            )
    for factor in (Decimal(10), Decimal("0.1"), Decimal("0.01")):
        guess = _one_decimal(number * factor)
        if rules.minimum <= guess <= rules.maximum and number != guess:
            raise ValidationError(
                _(
                    "%(value)s cannot be a body temperature. Did you miss or misplace the "
                    "decimal point (%(guess)s °C)?"
                )
                % {"value": number, "guess": guess},
                code="decimal_point",
                params={"guess": str(guess)},
            )
    raise ValidationError(
        _("A body temperature lies between %(min)s and %(max)s °C; %(value)s does not.")
        % {"min": rules.minimum, "max": rules.maximum, "value": number},
        code="range",
    )


# --- Answers and status -----------------------------------------------------------------

_TRUE = {"on", "true", "1", "yes", "y"}
_FALSE = {"off", "false", "0", "no", "n", ""}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


_REGIONS: tuple[frozenset[str], frozenset[str]] | None = None


def _region_codes() -> tuple[frozenset[str], frozenset[str]]:
    """Shenzhen's district codes and the province codes (reference data, loaded by
    migration and never edited at run time: read once per process)."""
    global _REGIONS
    if _REGIONS is None or not _REGIONS[0]:
        districts = Division.objects.filter(
            parent_id=SHENZHEN, level__in=[Division.Level.COUNTY, Division.Level.FUNCTIONAL_AREA]
        ).values_list("code", flat=True)
        provinces = Division.objects.filter(level=Division.Level.PROVINCE).values_list(
            "code", flat=True
        )
        _REGIONS = (frozenset(districts), frozenset(provinces))
    return _REGIONS


def _clean_region(question: Question, raw: Any) -> dict[str, str]:
    if isinstance(raw, str):
        raw = {"district": raw}
    if not isinstance(raw, dict):
        raise ValidationError(_("Choose where you are."))
    district = str(raw.get("district") or "").strip()
    districts, provinces = _region_codes()
    if district and district != "outside":
        if district not in districts:
            raise ValidationError(_("Choose a district of Shenzhen from the list."))
        return {"district": district}
    province = str(raw.get("province") or "").strip()
    city = _CONTROL.sub("", unicodedata.normalize("NFKC", str(raw.get("city") or ""))).strip()
    if not province:
        raise ValidationError(_("Outside Shenzhen: choose the province."))
    if province not in provinces:
        raise ValidationError(_("Choose a province from the list."))
    if len(city) > 40:
        raise ValidationError(_("Keep the city to 40 characters."))
    return {"province": province, "city": city}


def _clean_one(question: Question, raw: Any, rules: TemperatureRules) -> Any:
    """The stored form of one answer, or ValidationError."""
    kind = question.kind
    if kind == "temperature":
        if not isinstance(raw, str | int | float | Decimal) or isinstance(raw, bool):
            raise ValidationError(_("Enter your temperature in °C, for example 36.5."))
        value, _notes = temperature_parse(str(raw), rules=rules)
        return str(value)
    if kind == "number":
        text, _unit = _number_text(str(raw))
        if not _NUMBER.match(text):
            raise ValidationError(_("Enter a number."))
        number = Decimal(text)
        if (question.minimum is not None and number < question.minimum) or (
            question.maximum is not None and number > question.maximum
        ):
            raise ValidationError(
                _("Enter a number between %(min)s and %(max)s.")
                % {"min": question.minimum, "max": question.maximum}
            )
        return str(number)
    if kind == "choice":
        if not isinstance(raw, str) or question.choice(raw) is None:
            raise ValidationError(_("Choose one of the answers."))
        return raw
    if kind == "multi":
        values = [raw] if isinstance(raw, str) else raw
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise ValidationError(_("Choose from the answers."))
        chosen = set(values)
        if any(question.choice(code) is None for code in chosen):
            raise ValidationError(_("Choose from the answers."))
        exclusive = [c for c in question.choices if c.exclusive and c.code in chosen]
        if exclusive and len(chosen) > 1:
            raise ValidationError(
                _("“%(answer)s” cannot be combined with other answers.")
                % {"answer": text_for(exclusive[0].label)}
            )
        return [c.code for c in question.choices if c.code in chosen]
    if kind == "text":
        if not isinstance(raw, str):
            raise ValidationError(_("Answer in words."))
        text = _CONTROL.sub("", raw).strip()
        if len(text) > question.max_length:
            raise ValidationError(
                _("Keep it to %(max)d characters (it has %(count)d).")
                % {"max": question.max_length, "count": len(text)}
            )
        return text
    if kind == "bool":
        if isinstance(raw, bool):
            yes = raw
        elif str(raw).strip().lower() in _TRUE:
            yes = True
        elif str(raw).strip().lower() in _FALSE:
            yes = False
        else:
            raise ValidationError(_("Answer yes or no."))
        if question.must_be_true and not yes:
            raise ValidationError(_("Tick this box to confirm."))
        return yes
    return _clean_region(question, raw)


def checkin_clean(
    *, spec: FormSpec, answers: dict[str, Any], consents: dict[str, bool]
) -> dict[str, Any]:
    """Validate every answer against the form; the stored answers, or a ValidationError
    with a dict of question key → messages (all problems at once)."""
    errors: dict[str, list[Any]] = {}
    cleaned: dict[str, Any] = {}
    asked = spec.asked(consents)
    asked_keys = {q.key for q in asked}
    for key, value in answers.items():
        if key in asked_keys or _empty(value):
            continue
        question = spec.question(key)
        errors[key] = [
            _("Travel and contact questions are not asked without consent to travel data.")
            if question is not None
            else _("This is not a question of this form.")
        ]
    for question in asked:
        raw = answers.get(question.key)
        if _empty(raw) and not (question.kind == "bool" and raw is not None):
            if question.required:
                errors[question.key] = [
                    _("Tick this box to confirm.")
                    if question.must_be_true
                    else _("Answer this question.")
                ]
            elif question.kind == "bool":
                cleaned[question.key] = False
            continue
        try:
            cleaned[question.key] = _clean_one(question, raw, spec.form.temperature)
        except ValidationError as exc:
            errors[question.key] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return cleaned


def checkin_evaluate(*, spec: FormSpec, answers: dict[str, Any]) -> tuple[str, list[str]]:
    """The status the rules give these (clean) answers, and the codes of the rules that
    decided it: the question key for a number or a yes/no, `key:choice` for a choice."""
    found: list[tuple[str, str]] = []
    for question in spec.questions:
        if question.key not in answers:
            continue
        value = answers[question.key]
        if question.kind in {"temperature", "number"}:
            number = Decimal(str(value))
            for rule in question.thresholds:
                if rule.matches(number) and rule.status != "normal":
                    found.append((rule.status, question.key))
        elif question.kind == "choice":
            choice = question.choice(value)
            if choice is not None and choice.status != "normal":
                found.append((choice.status, f"{question.key}:{choice.code}"))
        elif question.kind == "multi":
            for code in value:
                choice = question.choice(code)
                if choice is not None and choice.status != "normal":
                    found.append((choice.status, f"{question.key}:{choice.code}"))
        elif question.kind == "bool" and value is True and question.status_if_true != "normal":
            found.append((question.status_if_true, question.key))
    if not found:
        return Status.NORMAL, []
    worst = max(found, key=lambda item: SEVERITY[item[0]])[0]
    reasons = list(dict.fromkeys(code for status, code in found if status == worst))
    return worst, reasons


def answer_text(question: Question, value: Any) -> str:
    """An answer as the employee reads it, in the active language."""
    if value is None or value == "" or value == []:
        return "—"
    if question.kind == "temperature":
        return f"{value} °C"
    if question.kind == "choice":
        choice = question.choice(str(value))
        return text_for(choice.label) if choice else str(value)
    if question.kind == "multi":
        return "、".join(
            text_for(c.label) if (c := question.choice(code)) else str(code) for code in value
        )
    if question.kind == "bool":
        return _("Yes") if value else _("No")
    if question.kind == "region" and isinstance(value, dict):
        codes = [value.get("district") or value.get("province") or ""]
        names = {d.code: d.label for d in Division.objects.filter(code__in=codes)}
        place = names.get(codes[0], codes[0])
        if value.get("district"):
            return _("Shenzhen, %(district)s") % {"district": place}
        return " ".join(part for part in [place, value.get("city", "")] if part)
    return str(value)


def reason_texts(*, spec: FormSpec, reasons: Iterable[str], answers: dict[str, Any]) -> list[str]:
    """Readable texts for reason codes (e.g. "Today's temperature (°C): 38.1 °C")."""
    texts = []
    for code in reasons:
        key, _sep, choice_code = code.partition(":")
        question = spec.question(key)
        if question is None:
            texts.append(code)
            continue
        label = text_for(question.label)
        if choice_code:
            choice = question.choice(choice_code)
            value = text_for(choice.label) if choice else choice_code
        else:
            value = answer_text(question, answers.get(key))
        texts.append(f"{label}: {value}")
    return texts


def checkin_reason_texts(checkin: CheckIn) -> list[str]:
    """Readable reasons of a stored check-in, against the form it was answered with."""
    return reason_texts(
        spec=checkin_form_of(checkin), reasons=checkin.reasons, answers=checkin.answers
    )


def answers_digest(answers: dict[str, Any]) -> str:
    canonical = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- Consent ----------------------------------------------------------------------------


def consent_state(*, employee: Employee) -> dict[str, bool]:
    """Which kinds of processing the employee currently consents to."""
    given = set(
        Consent.objects.filter(employee=employee, withdrawn_at__isnull=True).values_list(
            "kind", flat=True
        )
    )
    return {kind: kind in given for kind in ConsentKind.values}


def consent_states(*, employee_ids: Iterable[int]) -> dict[int, dict[str, bool]]:
    """`consent_state` for many employees in one query (for the enterprise's lists)."""
    ids = list(employee_ids)
    states = {pk: dict.fromkeys(ConsentKind.values, False) for pk in ids}
    for pk, kind in Consent.objects.filter(
        employee_id__in=ids, withdrawn_at__isnull=True
    ).values_list("employee_id", "kind"):
        states[pk][kind] = True
    return states


def _lock(employee: Employee) -> None:
    """Serialise writes for one employee (a double tap, a retried request)."""
    list(Employee.objects.select_for_update().filter(pk=employee.pk).values_list("pk", flat=True))


def _lock_with_consents(employee: Employee) -> dict[str, bool]:
    """`_lock` and `consent_state` in one statement (the check-in's hot path)."""
    given = Consent.objects.filter(employee=OuterRef("pk"), withdrawn_at__isnull=True)
    flags = {f"consent_{kind}": Exists(given.filter(kind=kind)) for kind in ConsentKind.values}
    row = (
        Employee.objects.select_for_update()
        .filter(pk=employee.pk)
        .annotate(**flags)
        .values_list(*flags)
        .first()
    )
    values = row or (False,) * len(flags)
    return dict(zip(ConsentKind.values, values, strict=True))


@transaction.atomic
def consent_give(*, employee: Employee, kinds: set[str], notice_version: str) -> list[Consent]:
    """Record the employee's consent to each kind (health, travel); a kind already
    consented to is kept as it was. Returns the open consents of those kinds."""
    unknown = set(kinds) - set(ConsentKind.values)
    if unknown or not kinds:
        raise ValidationError(
            {"kinds": _("Tick what you agree to (health data, travel and contact data).")}
        )
    if not notice_version or len(notice_version) > 20:
        raise ValidationError({"notice_version": _("The privacy notice version is missing.")})
    _lock(employee)
    result = []
    for kind in sorted(kinds):
        consent = Consent.objects.filter(
            employee=employee, kind=kind, withdrawn_at__isnull=True
        ).first()
        if consent is None:
            consent = Consent.objects.create(
                employee=employee, kind=kind, notice_version=notice_version, given_at=timezone.now()
            )
            audit_record(
                actor=None,
                action="health.consent_give",
                scope=employee.enterprise,
                obj=consent,
                changes={"kind": kind, "notice_version": notice_version},
            )
        result.append(consent)
    cache.delete(not_consented_key(employee.enterprise_id))
    return result


@transaction.atomic
def consent_withdraw(*, employee: Employee, kind: str) -> None:
    """Withdraw one kind of consent; earlier records stay (PIPL art. 15: withdrawal does
    not affect processing done before). Withdrawing what was not given does nothing."""
    if kind not in ConsentKind.values:
        raise ValidationError({"kind": _("Unknown kind of consent.")})
    _lock(employee)
    for consent in Consent.objects.filter(employee=employee, kind=kind, withdrawn_at__isnull=True):
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        audit_record(
            actor=None,
            action="health.consent_withdraw",
            scope=employee.enterprise,
            obj=consent,
            changes={"kind": kind},
        )
    cache.delete(not_consented_key(employee.enterprise_id))


# --- Quick check-in ---------------------------------------------------------------------


def full_form_today(*, employee_id: int, day: dt.date, one_in: int) -> bool:
    """Whether today is a random full-form day for the employee: about one day in
    `one_in`, decided by a keyed hash of employee and day (a reload does not change it,
    and without the secret key nobody can predict it)."""
    if one_in <= 0:
        return False
    if one_in == 1:
        return True
    digest = salted_hmac("tongzhou.health.quick", f"{employee_id}:{day.isoformat()}").hexdigest()
    return int(digest[:12], 16) % one_in == 0


@dataclass(frozen=True)
class QuickOffer:
    """Whether the one-tap check-in is offered, and if not, why (code and text)."""

    available: bool
    code: str
    message: str
    yesterday: CheckIn | None = None


def checkin_quick_offer(
    *, employee: Employee, on: dt.date, spec: FormSpec | None = None
) -> QuickOffer:
    """Offer "nothing has changed since yesterday" when yesterday's check-in was normal,
    on the same form, and today is not a random full-form day."""
    spec = spec or checkin_form_for(employee=employee, on=on)
    if not spec.form.quick.enabled:
        return QuickOffer(False, "disabled", _("Fill in the form."))
    if full_form_today(employee_id=employee.pk, day=on, one_in=spec.form.quick.full_form_one_in):
        return QuickOffer(
            False,
            "random_full",
            _("Today we ask for the full form: a random check that keeps answers honest."),
        )
    yesterday = CheckIn.objects.filter(employee=employee, day=on - dt.timedelta(days=1)).first()
    if yesterday is None:
        return QuickOffer(
            False, "no_yesterday", _("There is no check-in from yesterday to repeat.")
        )
    if yesterday.status != Status.NORMAL:
        return QuickOffer(
            False,
            "yesterday_not_normal",
            _("Yesterday's check-in was not normal: fill in the full form today."),
            yesterday,
        )
    asked = spec.asked(consent_state(employee=employee))
    if yesterday.form_version != spec.version_key or any(
        q.required and q.key not in yesterday.answers for q in asked
    ):
        return QuickOffer(
            False,
            "form_changed",
            _("The questions have changed since yesterday: fill in the full form."),
            yesterday,
        )
    return QuickOffer(True, "available", "", yesterday)


# --- Submitting -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInResult:
    """The outcome of a submission. `reasons` are readable texts (the row keeps codes)."""

    checkin: CheckIn
    created: bool
    status: str
    reasons: list[str]
    next_steps: list[str]


def checkin_writes_exceeded(*, employee_id: int, day: dt.date, now: dt.datetime) -> bool:
    """Whether the employee's check-in for the day was written RATE_LIMIT times in the last
    RATE_WINDOW_SECONDS: the API's limit (an HR system resending one person in a loop). It
    counts revisions, so it holds across web processes and the ingest service, which asks
    the same of its READ statement."""
    since = now - dt.timedelta(seconds=RATE_WINDOW_SECONDS)
    written = CheckInRevision.objects.filter(
        checkin__employee_id=employee_id, checkin__day=day, submitted_at__gt=since
    ).count()
    return written >= RATE_LIMIT


def checkin_rate_message() -> str:
    return _(
        "This employee's check-in was sent %(count)d times within a minute. Wait a minute "
        "and send it once."
    ) % {"count": RATE_LIMIT}


def checkin_throttled(*, employee_id: int, now: dt.datetime | None = None) -> bool:
    """Count a submission attempt; True when the employee went over RATE_LIMIT a minute
    (fixed window in the default cache; with several web processes use a shared cache)."""
    window = int((now or timezone.now()).timestamp()) // RATE_WINDOW_SECONDS
    key = f"health:checkin-rate:{employee_id}:{window}"
    cache.add(key, 0, RATE_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted in between
        cache.set(key, 1, RATE_WINDOW_SECONDS * 2)
        count = 1
    return count > RATE_LIMIT


def checkin_day_check(*, spec: FormSpec, day: dt.date, now: dt.datetime, via: str) -> None:
    """Refuse a future day, and for the employee's own submission a day that has closed."""
    today = timezone.localdate(now)
    if day > today:
        message = _("%(day)s has not begun yet: a check-in cannot be for a future day.")
        raise ValidationError({"day": ValidationError(message % {"day": day}, code="future")})
    if via != Via.SELF or day == today:
        return
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    cutoff = midnight + dt.timedelta(minutes=spec.form.late_grace_minutes)
    if day == today - dt.timedelta(days=1) and now < cutoff:
        return
    message = _("The check-in for %(day)s closed at %(time)s. Please fill in today's check-in.")
    time = timezone.localtime(cutoff).strftime("%H:%M")
    raise ValidationError(
        {"day": ValidationError(message % {"day": day, "time": time}, code="day_closed")}
    )


def _quick_answers(*, employee: Employee, day: dt.date, spec: FormSpec) -> dict[str, Any]:
    offer = checkin_quick_offer(employee=employee, on=day, spec=spec)
    if not offer.available or offer.yesterday is None:
        raise ValidationError({"quick": ValidationError(offer.message, code="full_form_required")})
    return dict(offer.yesterday.answers)


def checkin_submit(
    *,
    employee: Employee,
    answers: dict[str, Any],
    via: str,
    actor: User | None,
    day: dt.date | None = None,
    now: dt.datetime | None = None,
    quick: bool = False,
) -> CheckInResult:
    """Record the employee's check-in for a day (today by default).

    Validates every answer against the form (ValidationError: question key → messages),
    refuses a day that has not begun, a day whose check-in closed (employee's own
    submissions, see the module docstring) and — for the employee's own submission — a
    missing health consent; managers recording on their behalf are allowed and recorded
    as such (`via`, `recorded_by`). Upserts the one row of the employee and day, keeping a
    revision per submission (an identical resubmission adds nothing), counts it in the
    rollups in the same transaction, and alerts the prevention officers after commit when
    the status turns abnormal (or gains an abnormal reason).
    """
    if via not in Via.values:
        raise ValidationError({"via": _("Unknown way of submitting.")})
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    if employee.status == EmploymentStatus.LEFT:
        raise ValidationError(
            _("%(name)s has left the company.") % {"name": employee.name}, code="left"
        )
    spec = checkin_form_for(employee=employee, on=day)
    checkin_day_check(spec=spec, day=day, now=now, via=via)
    with transaction.atomic():
        # One statement locks the employee (a double tap, a retried request wait here)
        # and reads their consents; a refusal below rolls back and writes nothing.
        consents = _lock_with_consents(employee)
        if via == Via.SELF and not consents[ConsentKind.HEALTH]:
            raise ValidationError(
                _("Please give your consent to the processing of health data first."),
                code="no_consent",
            )
        if quick:
            answers = _quick_answers(employee=employee, day=day, spec=spec)
            answers = {k: v for k, v in answers.items() if spec.question(k) is not None}
            answers = {q.key: answers[q.key] for q in spec.asked(consents) if q.key in answers}
        cleaned = checkin_clean(spec=spec, answers=answers, consents=consents)
        status, reasons = checkin_evaluate(spec=spec, answers=cleaned)
        temperature = spec.temperature_of(cleaned)
        digest = answers_digest(cleaned)
        checkin = CheckIn.objects.filter(employee=employee, day=day).first()
        created = checkin is None
        old_status: str | None = None
        old_reasons: list[str] = []
        if checkin is not None:
            if (
                checkin.answers_digest == digest
                and checkin.form_version == spec.version_key
                and checkin.via == via
                and checkin.quick == quick
            ):
                # A double tap or a retried request: nothing changed, nothing to record.
                return _result(checkin, spec, created=False)
            old_status, old_reasons = checkin.status, list(checkin.reasons)
            checkin.revision += 1
        else:
            checkin = CheckIn(employee=employee, day=day, revision=1)
        checkin.enterprise_id = employee.enterprise_id
        checkin.site_id = employee.site_id
        checkin.emergency = spec.emergency
        checkin.rule_version = spec.rule_version
        checkin.form_version = spec.version_key
        checkin.answers = cleaned
        checkin.answers_digest = digest
        checkin.temperature = temperature
        checkin.status = status
        checkin.reasons = reasons
        checkin.via = via
        checkin.quick = quick
        checkin.recorded_by = actor
        checkin.submitted_at = now
        checkin.save()  # no savepoint: the employee's lock rules out a concurrent insert
        CheckInRevision.objects.create(
            checkin=checkin,
            number=checkin.revision,
            answers=cleaned,
            temperature=temperature,
            status=status,
            via=via,
            recorded_by=actor,
            submitted_at=now,
        )
        audit_record(
            actor=actor,
            action="health.checkin_submit",
            scope=employee.enterprise,
            obj=checkin,
            changes={
                "day": day.isoformat(),
                "via": via,
                "revision": checkin.revision,
                "quick": quick,
            },
        )
        # Last before the commit: the enterprise's row for the day is shared by all its
        # employees' check-ins, so its row lock is held for as short a time as possible.
        rollup_record(
            enterprise_id=checkin.enterprise_id, day=day, old_status=old_status, new_status=status
        )
        if status == Status.ABNORMAL and (
            old_status != Status.ABNORMAL or set(reasons) - set(old_reasons)
        ):
            pk, revision = checkin.pk, checkin.revision
            transaction.on_commit(lambda: checkin_alert(checkin_id=pk, revision=revision))
    return _result(checkin, spec, created=created)


def _result(checkin: CheckIn, spec: FormSpec, *, created: bool) -> CheckInResult:
    return CheckInResult(
        checkin=checkin,
        created=created,
        status=checkin.status,
        reasons=reason_texts(spec=spec, reasons=checkin.reasons, answers=checkin.answers),
        next_steps=spec.next_steps(checkin.status),
    )


def prevention_officers(*, enterprise_id: int) -> list[User]:
    """The enterprise's prevention officers (check-in settings), else its administrators."""
    officers: list[User] = []
    settings_row = CheckInSettings.objects.filter(enterprise_id=enterprise_id).first()
    if settings_row is not None:
        officers = list(
            settings_row.officers.filter(is_active=True, grants__organization_id=enterprise_id)
            .distinct()
            .order_by("pk")
        )
    if not officers:
        officers = [
            grant.user
            for grant in RoleGrant.objects.filter(
                organization_id=enterprise_id, role=Role.ADMIN, user__is_active=True
            ).select_related("user")
        ]
    return officers


def _abnormal_list_url() -> str:
    try:
        return reverse("health:today") + "?status=abnormal"
    except NoReverseMatch:  # the enterprise's check-in page is not mounted
        return reverse("dashboards:home")


def checkin_alert(*, checkin_id: int, revision: int) -> int:
    """Tell the enterprise's prevention officers about an abnormal check-in (inbox, SMS,
    email), once per revision; returns the number of new deliveries."""
    checkin = (
        CheckIn.objects.select_related("employee", "enterprise", "rule_version")
        .filter(pk=checkin_id)
        .first()
    )
    if checkin is None or checkin.status != Status.ABNORMAL:
        return 0
    officers = prevention_officers(enterprise_id=checkin.enterprise_id)
    if not officers:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        spec = checkin_form_of(checkin)
        reasons = reason_texts(spec=spec, reasons=checkin.reasons, answers=checkin.answers)
        steps = spec.next_steps(Status.ABNORMAL)
        subject = _("Abnormal health check-in: %(name)s (%(day)s)") % {
            "name": mask_name(checkin.employee.name),
            "day": checkin.day.isoformat(),
        }
        body = "\n".join(
            [
                *reasons,
                "",
                _(
                    "What to do next: contact the employee at once, keep them off work, and "
                    "record an isolation or observation if the rules require it."
                ),
                *steps,
            ]
        )
    return notify_send(
        key=f"health:abnormal:{checkin.pk}:{revision}",
        message=Message(subject=subject, body=body, url=_abnormal_list_url()),
        recipients=[Recipient(user=user, on_behalf_of=checkin.enterprise) for user in officers],
        channels=[Channel.INBOX, Channel.SMS, Channel.EMAIL],
        scope=checkin.enterprise,
    )


# --- Clearance --------------------------------------------------------------------------


@dataclass
class ClearanceFacts:
    """What the clearance checks look at (read once, shared by every check)."""

    employee: Employee
    on: dt.date
    checkin: CheckIn | None
    consents: dict[str, bool]


ClearanceCheck = Callable[[ClearanceFacts], str | None]
# (order, code, check): a check returns the reason text when the employee is not cleared.
CLEARANCE_CHECKS: list[tuple[int, str, ClearanceCheck]] = []


def clearance_check(code: str, *, order: int = 100) -> Callable[[ClearanceCheck], ClearanceCheck]:
    """Register a reason an employee may not be cleared to work (e.g. training not done,
    return date not reached): `fn(facts) -> reason text | None`. Register at import from
    your app's `ready()`; a code registered twice replaces the earlier check."""

    def decorator(check: ClearanceCheck) -> ClearanceCheck:
        CLEARANCE_CHECKS[:] = [entry for entry in CLEARANCE_CHECKS if entry[1] != code]
        CLEARANCE_CHECKS.append((order, code, check))
        CLEARANCE_CHECKS.sort(key=lambda entry: (entry[0], entry[1]))
        return check

    return decorator


@dataclass(frozen=True)
class Clearance:
    """Whether the employee is cleared to work on a day, and every reason why not."""

    cleared: bool
    reasons: list[tuple[str, str]]  # (code, text)
    on: dt.date
    checkin: CheckIn | None = None
    notes: list[str] = field(default_factory=list)  # e.g. an "attention" status


def clearance_for(*, employee: Employee, on: dt.date) -> Clearance:
    """Cleared to work on the day unless a registered check says why not: not employed,
    no consent, no check-in, an abnormal check-in, an isolation or observation covering
    the day (and whatever later capabilities register)."""
    facts = ClearanceFacts(
        employee=employee,
        on=on,
        checkin=CheckIn.objects.filter(employee=employee, day=on).first(),
        consents=consent_state(employee=employee),
    )
    reasons = []
    for _order, code, check in CLEARANCE_CHECKS:
        text = check(facts)
        if text:
            reasons.append((code, text))
    notes = []
    if facts.checkin is not None and facts.checkin.status == Status.ATTENTION:
        notes.append(_("Today's check-in needs attention: watch your health."))
    return Clearance(not reasons, reasons, on, facts.checkin, notes)


@clearance_check("not_employed", order=10)
def _not_employed(facts: ClearanceFacts) -> str | None:
    if facts.employee.status != EmploymentStatus.ACTIVE:
        return _("Not working at present (%(status)s).") % {
            "status": facts.employee.get_status_display()
        }
    return None


@clearance_check("no_consent", order=20)
def _no_consent(facts: ClearanceFacts) -> str | None:
    if not facts.consents.get(ConsentKind.HEALTH):
        return _("Consent to health data has not been given.")
    return None


@clearance_check("no_checkin", order=30)
def _no_checkin(facts: ClearanceFacts) -> str | None:
    if facts.checkin is None:
        return _("No health check-in for this day.")
    return None


@clearance_check("abnormal", order=40)
def _abnormal(facts: ClearanceFacts) -> str | None:
    if facts.checkin is not None and facts.checkin.status == Status.ABNORMAL:
        return _("The check-in for this day is abnormal.")
    return None


@clearance_check("in_observation", order=50)
def _in_observation(facts: ClearanceFacts) -> str | None:
    observation = (
        Observation.objects.filter(employee=facts.employee, starts_on__lte=facts.on)
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=facts.on))
        .order_by("-starts_on")
        .first()
    )
    if observation is None:
        return None
    return _("In %(kind)s since %(start)s (planned end %(end)s).") % {
        "kind": observation.get_kind_display().lower(),
        "start": observation.starts_on.isoformat(),
        "end": observation.planned_end_on.isoformat(),
    }


# --- Patterns that suggest answers are not given honestly ----------------------------------


@dataclass(frozen=True)
class Flag:
    """A pattern across an enterprise's check-ins worth a look by its prevention officer."""

    # quick_copies | same_temperature | constant_temperatures | bulk_identical | always_normal
    code: str
    title: str
    detail: str
    share: float  # the fraction of submissions (or employees) concerned, 0–1
    count: int


# Thresholds of the heuristics (documented in `checkin_patterns`).
PATTERN_MIN_SUBMISSIONS = 20
PATTERN_SHARE = 0.9
BURST_SECONDS = 120
BURST_SIZE = 10
ALWAYS_NORMAL_MIN = 100
CONSTANT_MIN_DAYS = 7


def checkin_patterns(
    *, enterprise: Organization, days: int = 14, today: dt.date | None = None
) -> list[Flag]:
    """Flags for the enterprise's prevention officer over the last `days` days:

    - quick_copies: ≥ 90 % of the employees' own submissions are one-tap "nothing
      changed" copies (at least 20 submissions);
    - same_temperature: one temperature value makes up ≥ 90 % of all readings (≥ 20);
    - constant_temperatures: ≥ 90 % of the employees with at least 7 readings reported
      exactly the same temperature every day;
    - bulk_identical: 10 or more employees' own submissions with byte-identical answers
      within 2 minutes (someone filling in for others with their links);
    - always_normal: at least 100 submissions and not one attention or abnormal status
      (real temperatures wander; worth a spot check with a thermometer).
    """
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=days - 1)
    rows = list(
        CheckIn.objects.filter(enterprise=enterprise, day__gte=since, day__lte=today)
        .order_by("submitted_at")
        .values_list(
            "employee_id", "via", "quick", "temperature", "status", "answers_digest", "submitted_at"
        )
    )
    flags: list[Flag] = []
    own = [row for row in rows if row[1] == Via.SELF]
    if len(own) >= PATTERN_MIN_SUBMISSIONS:
        quick = sum(1 for row in own if row[2])
        if quick / len(own) >= PATTERN_SHARE:
            flags.append(
                Flag(
                    "quick_copies",
                    _("Almost every check-in is a one-tap copy"),
                    _("%(count)d of %(total)d check-ins in %(days)d days repeated the day before.")
                    % {"count": quick, "total": len(own), "days": days},
                    quick / len(own),
                    quick,
                )
            )
    readings = [row[3] for row in rows if row[3] is not None]
    if len(readings) >= PATTERN_MIN_SUBMISSIONS:
        value, count = Counter(readings).most_common(1)[0]
        if count / len(readings) >= PATTERN_SHARE:
            flags.append(
                Flag(
                    "same_temperature",
                    _("Nearly everyone reports the same temperature"),
                    _("%(count)d of %(total)d readings are exactly %(value)s °C.")
                    % {"count": count, "total": len(readings), "value": value},
                    count / len(readings),
                    count,
                )
            )
    per_employee: dict[int, list[Decimal]] = {}
    for row in rows:
        if row[3] is not None:
            per_employee.setdefault(row[0], []).append(row[3])
    steady = [values for values in per_employee.values() if len(values) >= CONSTANT_MIN_DAYS]
    if len(steady) >= 2:
        constant = sum(1 for values in steady if len(set(values)) == 1)
        if constant / len(steady) >= PATTERN_SHARE:
            flags.append(
                Flag(
                    "constant_temperatures",
                    _("Temperatures never change"),
                    ngettext(
                        "%(count)d employee of %(total)d reported the same temperature every day.",
                        "%(count)d employees of %(total)d reported the same temperature every day.",
                        constant,
                    )
                    % {"count": constant, "total": len(steady)},
                    constant / len(steady),
                    constant,
                )
            )
    worst = 0
    window: list[tuple[Any, ...]] = []
    for row in own:
        window.append(row)
        while (row[6] - window[0][6]).total_seconds() > BURST_SECONDS:
            window.pop(0)
        same = Counter(r[5] for r in window if r[5])
        if same:
            digest, count = same.most_common(1)[0]
            people = len({r[0] for r in window if r[5] == digest})
            worst = max(worst, people)
    if worst >= BURST_SIZE:
        flags.append(
            Flag(
                "bulk_identical",
                _("Identical check-ins sent in bulk"),
                _(
                    "%(count)d employees sent exactly the same answers within %(seconds)d "
                    "seconds: someone may be filling in for others."
                )
                % {"count": worst, "seconds": BURST_SECONDS},
                worst / max(len({row[0] for row in own}), 1),
                worst,
            )
        )
    if len(rows) >= ALWAYS_NORMAL_MIN and all(row[4] == Status.NORMAL for row in rows):
        flags.append(
            Flag(
                "always_normal",
                _("Every check-in is normal"),
                _(
                    "All %(total)d check-ins in %(days)d days were normal. Spot-check a few "
                    "temperatures with a thermometer."
                )
                % {"total": len(rows), "days": days},
                1.0,
                len(rows),
            )
        )
    return flags
