"""`{% checkin_card %}`: today's check-ins on the home page of each kind of organisation."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from health.selectors import home_counts

register = template.Library()

_PAGES = {
    "enterprise": "health:today",
    "association": "health:association",
    "federation": "health:federation",
}


@register.inclusion_tag("health/_home_card.html", takes_context=True)
def checkin_card(context: dict[str, Any]) -> dict[str, Any]:
    grant = context.get("grant")
    if grant is None:
        return {"show": False}
    return {
        "show": True,
        "counts": home_counts(viewer=grant, day=timezone.localdate()),
        "page": _PAGES[grant.organization.kind],
        "enterprise": grant.organization.is_enterprise,
    }
