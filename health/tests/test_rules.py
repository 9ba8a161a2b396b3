"""The check-in form is data: schema, default set, temperatures, versions and additions."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from pydantic import ValidationError as SchemaError

from conftest import Cast
from emergencies.models import Emergency
from emergencies.rules import REGISTRY
from emergencies.services import rule_publish
from health.rules import (
    FORM_KEY,
    CheckInForm,
    default_checkin_form,
    text_for,
)
from health.services import (
    checkin_evaluate,
    checkin_form_for,
    form_addition_publish,
    temperature_parse,
)
from health.tests.checkin_helpers import _fresh_cache, employee_of  # noqa: F401
from orgs.models import Membership, MembershipStatus
from orgs.services import membership_transition

TODAY = dt.date(2026, 3, 2)


def emergency() -> Emergency:
    return Emergency.objects.create(
        name="演练", kind="epidemic", started_on=dt.date(2026, 1, 1), is_current=True
    )


def extra_question(key: str = "mask") -> dict[str, Any]:
    return {
        "key": key,
        "label": {"zh-hans": "是否佩戴口罩", "en": "Wearing a mask?"},
        "kind": "choice",
        "choices": [
            {"code": "yes", "label": {"zh-hans": "是", "en": "Yes"}},
            {"code": "no", "label": {"zh-hans": "否", "en": "No"}, "status": "attention"},
        ],
    }


def test_it_registers_the_form_and_its_default_follows_the_reference() -> None:
    assert REGISTRY[FORM_KEY] is CheckInForm
    form = CheckInForm.model_validate(default_checkin_form())
    refs = {q.ref for q in form.questions}
    assert {"HC-02", "HC-04", "HC-05", "HC-07", "HC-09", "HC-10", "HC-12", "HC-13"} <= refs
    assert {"HC-18", "HC-19"} <= refs
    travel = {q.key for q in form.questions if q.consent == "travel"}
    assert travel == {"location", "travel", "contact"}
    for question in form.questions:
        assert set(question.label) == {"zh-hans", "zh-hant", "en"}, question.key


def test_it_reads_labels_in_the_language_with_a_fallback() -> None:
    label = {"zh-hans": "体温", "zh-hant": "體溫", "en": "Temperature"}
    assert text_for(label, "en") == "Temperature"
    assert text_for(label, "zh-hant") == "體溫"
    assert text_for(label, "zh-hk") == "體溫"
    assert text_for({"zh-hans": "体温"}, "en") == "体温"
    assert text_for({"zh-hans": "体温"}, "zh-hant") == "体温"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["questions"].append(copy.deepcopy(d["questions"][0])),  # duplicate key
        lambda d: d["questions"][1]["choices"].__setitem__(slice(1, None), []),  # one choice
        lambda d: d["questions"][0]["label"].pop("zh-hans"),
        lambda d: d["questions"][0]["label"].__setitem__("fr", "Température"),
        lambda d: d["questions"][1].__setitem__(
            "thresholds", [{"at_least": 1, "status": "abnormal"}]
        ),
        lambda d: d["questions"][0]["thresholds"].append({"status": "abnormal"}),
        lambda d: d["questions"][0].__setitem__("key", "Temperature!"),
        lambda d: d["temperature"].__setitem__("fahrenheit_minimum", 40),
        lambda d: d["questions"][2].__setitem__("kind", "temperature"),  # two temperatures
    ],
)
def test_it_refuses_malformed_forms(change: Any) -> None:
    data = default_checkin_form()
    change(data)
    with pytest.raises(SchemaError):
        CheckInForm.model_validate(data)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("36.5", "36.5"),
        ("37,5", "37.5"),
        ("３７．２", "37.2"),
        ("36.55", "36.6"),
        ("37.5℃", "37.5"),
        (" 36.8 °C ", "36.8"),
        ("38", "38.0"),
    ],
)
def test_it_reads_temperatures(typed: str, expected: str) -> None:
    value, _notes = temperature_parse(typed)
    assert value == Decimal(expected)


@pytest.mark.parametrize(
    ("typed", "code", "says"),
    [
        ("98.6", "fahrenheit", "Did you mean 37.0 °C"),
        ("100.4", "fahrenheit", "Did you mean 38.0 °C"),
        ("99°F", "fahrenheit", "Did you mean 37.2 °C"),
        ("3.7", "decimal_point", "decimal point (37.0 °C)"),
        ("370", "decimal_point", "decimal point (37.0 °C)"),
        ("3650", "decimal_point", "decimal point (36.5 °C)"),
        ("45", "range", "between 34.0 and 43.0"),
        ("-37", "range", "between"),
        ("0", "range", "between"),
        ("abc", "invalid", "not a temperature"),
        ("1e3", "invalid", "not a temperature"),
        ("NaN", "invalid", "not a temperature"),
        ("37.5.1", "invalid", "not a temperature"),
        ("", "required", "Enter your temperature"),
    ],
)
def test_it_questions_temperatures_that_cannot_be_right(typed: str, code: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        temperature_parse(typed)
    assert caught.value.code == code
    assert says in caught.value.messages[0]


def test_it_offers_the_celsius_value_of_a_fahrenheit_reading() -> None:
    with pytest.raises(ValidationError) as caught:
        temperature_parse("98.6")
    assert caught.value.params == {"celsius": "37.0"}


@pytest.mark.django_db
def test_it_decides_status_from_the_version_in_force(cast: Cast) -> None:
    current = emergency()
    employee = employee_of(cast)
    data = default_checkin_form()
    data["questions"][0]["thresholds"] = [{"at_least": "37.0", "status": "abnormal"}]
    rule_publish(
        actor=cast.federation_officer,
        scope=cast.federation,
        emergency=current,
        key=FORM_KEY,
        data=data,
        effective_from=TODAY + dt.timedelta(days=1),
        source_title="测试：体温≥37.0℃为异常",
    )
    answers = {"temperature": "37.1"}
    today = checkin_form_for(employee=employee, on=TODAY)
    tomorrow = checkin_form_for(employee=employee, on=TODAY + dt.timedelta(days=1))
    assert today.rule_version is None
    assert today.version_key == "default"
    assert tomorrow.rule_version is not None
    assert tomorrow.version_key == f"r{tomorrow.rule_version.pk}"
    assert checkin_evaluate(spec=today, answers=answers) == ("attention", ["temperature"])
    assert checkin_evaluate(spec=tomorrow, answers=answers) == ("abnormal", ["temperature"])


@pytest.mark.django_db
def test_it_evaluates_each_default_rule(cast: Cast) -> None:
    spec = checkin_form_for(employee=employee_of(cast), on=TODAY)
    cases: list[tuple[dict[str, Any], tuple[str, list[str]]]] = [
        ({"temperature": "37.3"}, ("abnormal", ["temperature"])),
        ({"temperature": "37.2"}, ("attention", ["temperature"])),
        ({"temperature": "36.9"}, ("normal", [])),
        ({"symptoms": ["none"]}, ("normal", [])),
        (
            {"symptoms": ["fever", "headache"]},
            ("abnormal", ["symptoms:fever", "symptoms:headache"]),
        ),
        ({"health_code": "red"}, ("abnormal", ["health_code:red"])),
        ({"health_code": "yellow"}, ("abnormal", ["health_code:yellow"])),
        ({"contact": ["confirmed"]}, ("abnormal", ["contact:confirmed"])),
        ({"travel": "risk_region"}, ("attention", ["travel:risk_region"])),
        ({"health_status": "suspected"}, ("abnormal", ["health_status:suspected"])),
        (
            {"travel": "abroad", "temperature": "38.5"},
            ("abnormal", ["temperature"]),
        ),
    ]
    for answers, expected in cases:
        assert checkin_evaluate(spec=spec, answers=answers) == expected, answers


@pytest.mark.django_db
def test_it_adds_association_and_enterprise_questions(cast: Cast) -> None:
    current = emergency()
    employee = employee_of(cast)
    form_addition_publish(
        actor=cast.association_officer,
        organization=cast.association,
        emergency=current,
        data={"questions": [extra_question("mask")]},
        effective_from=TODAY,
        source_title="酒店业商会防控指引",
    )
    form_addition_publish(
        actor=cast.enterprise_admin,
        organization=cast.enterprise,
        emergency=current,
        data={"questions": [extra_question("uniform")]},
        effective_from=TODAY,
        source_title="本店规定",
    )
    form_addition_publish(
        actor=cast.other_admin,
        organization=cast.other_enterprise,
        emergency=current,
        data={"questions": [extra_question("gloves")]},
        effective_from=TODAY,
        source_title="他店规定",
    )
    spec = checkin_form_for(employee=employee, on=TODAY)
    keys = [q.key for q in spec.questions]
    assert keys[-2:] == ["mask", "uniform"]
    assert "gloves" not in keys
    assert len(spec.additions) == 2
    assert checkin_evaluate(spec=spec, answers={"uniform": "no"}) == (
        "attention",
        ["uniform:no"],
    )
    assert [
        q.key for q in checkin_form_for(employee=employee, on=TODAY - dt.timedelta(1)).questions
    ][-1] == "pledge"
    # An association's questions stop when the enterprise is no longer an active member.
    membership_transition(
        actor=cast.association_officer,
        membership=Membership.objects.get(enterprise=cast.enterprise),
        to=MembershipStatus.SUSPENDED,
        reason="未按时缴纳会费",
    )
    assert "mask" not in [q.key for q in checkin_form_for(employee=employee, on=TODAY).questions]


@pytest.mark.django_db
def test_it_refuses_additions_that_reuse_a_key_or_lack_a_source(cast: Cast) -> None:
    current = emergency()
    with pytest.raises(ValidationError) as caught:
        form_addition_publish(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            emergency=current,
            data={"questions": [extra_question("temperature")]},
            effective_from=TODAY,
            source_title="x",
        )
    assert "already used: temperature" in str(caught.value)
    with pytest.raises(ValidationError):
        form_addition_publish(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            emergency=current,
            data={"questions": [extra_question()]},
            effective_from=TODAY,
            source_title="  ",
        )
    with pytest.raises(ValidationError):
        form_addition_publish(
            actor=cast.federation_officer,
            organization=cast.federation,
            emergency=current,
            data={"questions": [extra_question()]},
            effective_from=TODAY,
            source_title="x",
        )
    with pytest.raises(ValidationError):
        form_addition_publish(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            emergency=current,
            data={"questions": [{"key": "x"}]},
            effective_from=TODAY,
            source_title="x",
        )


@pytest.mark.django_db
def test_it_withdraws_additions_with_an_empty_version(cast: Cast) -> None:
    current = emergency()
    employee = employee_of(cast)
    for day, questions in [(TODAY, [extra_question()]), (TODAY + dt.timedelta(2), [])]:
        form_addition_publish(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            emergency=current,
            data={"questions": questions},
            effective_from=day,
            source_title="本店规定",
        )
    assert "mask" in [
        q.key for q in checkin_form_for(employee=employee, on=TODAY + dt.timedelta(1)).questions
    ]
    later = checkin_form_for(employee=employee, on=TODAY + dt.timedelta(2))
    assert "mask" not in [q.key for q in later.questions]
    assert later.version_key == "default"
