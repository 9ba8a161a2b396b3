"""`{% plan_card %}`: the prevention plan at a glance on each kind of home page."""

from __future__ import annotations

from typing import Any

from django import template

from plans import selectors
from plans.models import PlanStatus

register = template.Library()


@register.inclusion_tag("plans/_home_card.html", takes_context=True)
def plan_card(context: dict[str, Any]) -> dict[str, Any]:
    grant = context.get("grant")
    if grant is None:
        return {"show": False}
    if grant.organization.is_enterprise:
        return {
            "show": True,
            "enterprise": True,
            "compliance": selectors.compliance_of(viewer=grant),
        }
    counts = selectors.plan_status_counts(viewer=grant)
    return {
        "show": True,
        "enterprise": False,
        "pending": counts.get(PlanStatus.SUBMITTED, 0) + counts.get(PlanStatus.RESUBMITTED, 0),
        "approved": counts.get(PlanStatus.APPROVED, 0),
        "returned": counts.get(PlanStatus.RETURNED, 0),
        "suspended": counts.get(PlanStatus.SUSPENDED, 0),
    }
