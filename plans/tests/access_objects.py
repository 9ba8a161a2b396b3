"""URL arguments for the cross-cutting access test (tongzhou/tests/test_url_access.py):
enterprise A1's plan (submitted, so its association and the federation may read it), an
answer with an evidence file, and the hotel association's sector template."""

from __future__ import annotations

from typing import Any

# The filing packet prints the (masked) roster: only A1's own people may download it.
PERSONAL: set[str] = {"plans:packet"}


def _plan(cast: Any) -> Any:
    from plans.models import Plan

    existing = Plan.objects.filter(enterprise=cast.enterprise).first()
    if existing is not None:
        return existing
    from plans.tests.helpers import ready

    return ready(cast)


def _answer(cast: Any) -> Any:
    plan = _plan(cast)
    return plan.answers.exclude(evidence_file="").first()


def _template(cast: Any) -> Any:
    from plans.models import ChecklistTemplate

    _plan(cast)
    return ChecklistTemplate.objects.get(sector_id="hotel", owner=cast.association)


def objects(name: str, cast: Any) -> dict[str, Any] | None:
    if not name.startswith("plans:"):
        return None
    if name == "plans:section":
        return {"pk": _plan(cast).pk, "name": "enterprise"}
    if name == "plans:answer":
        plan = _plan(cast)
        return {"pk": plan.pk, "item": plan.answers.first().item_id}
    if name in {
        "plans:commitment",
        "plans:submit",
        "plans:packet",
        "plans:site_schedules",
    } or name in {
        "plans:review",
        "plans:comment",
        "plans:decide",
    }:
        return {"pk": _plan(cast).pk}
    if name == "plans:evidence":
        return {"pk": _answer(cast).pk}
    if name.startswith("plans:template_"):
        return {"pk": _template(cast).pk}
    return None
