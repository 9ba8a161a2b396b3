"""Reads of emergencies and the rules in force."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from emergencies.models import Emergency, RuleVersion


def emergency_current() -> Emergency | None:
    """The current emergency, if one is open."""
    return Emergency.objects.filter(is_current=True).first()


def emergency_list() -> QuerySet[Emergency]:
    return Emergency.objects.all()


def rule_effective(*, emergency: Emergency, key: str, on: dt.date) -> RuleVersion | None:
    """The version of a rule table in force on a day: latest effective date, then version."""
    return (
        RuleVersion.objects.filter(emergency=emergency, key=key, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def rule_history(*, emergency: Emergency, key: str | None = None) -> QuerySet[RuleVersion]:
    qs = RuleVersion.objects.filter(emergency=emergency).select_related("changed_by")
    return qs.filter(key=key) if key else qs
