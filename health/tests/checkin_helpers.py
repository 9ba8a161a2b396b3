"""Builders for the check-in tests: an employee of A1 with consent, and good answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import Cast
from health.services import NOTICE_VERSION, consent_give
from workforce.models import Employee
from workforce.tests.roster import add_employee


def employee_of(
    cast: Cast, n: int = 1, *, consent: str = "health,travel", **kwargs: Any
) -> Employee:
    """An employee of enterprise A1 (with a site); consents given as listed."""
    employee = add_employee(cast.enterprise_admin, cast.enterprise, n, site=cast.site, **kwargs)
    kinds = {kind for kind in consent.split(",") if kind}
    if kinds:
        consent_give(employee=employee, kinds=kinds, notice_version=NOTICE_VERSION)
    return employee


def good_answers(**changes: Any) -> dict[str, Any]:
    """A normal check-in in the shape the service takes."""
    answers: dict[str, Any] = {
        "temperature": "36.5",
        "symptoms": ["none"],
        "health_status": "healthy",
        "location": {"district": "440303"},
        "travel": "none",
        "contact": ["none"],
        "isolation": "none",
        "health_code": "green",
        "remarks": "",
        "pledge": True,
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A moment of a business day in Asia/Shanghai."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The rate limit counts in the cache; every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()
