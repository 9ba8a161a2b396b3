"""Tenant-scoped reads of templates and plans.

- An enterprise sees its own plan (any status).
- An association sees the plans of enterprises visible to it (members, applicants) once
  submitted — never drafts — and the base template plus its own sector's templates.
- The federation sees every submitted plan and every template.
Roll-ups carry counts and enterprise names only: no team members, answers or files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import RoleGrant, User
from orgs.models import Organization
from orgs.selectors import enterprise_ids_visible
from plans.checklist import gaps_by_plan, min_cover_by_plan
from plans.models import (
    LOW_COVER_DAYS,
    ChecklistTemplate,
    Plan,
    PlanAnswer,
    PlanStatus,
    TemplateItem,
    TemplateStatus,
)


def template_list(*, viewer: RoleGrant) -> QuerySet[ChecklistTemplate]:
    org = viewer.organization
    qs = ChecklistTemplate.objects.select_related("owner", "sector").annotate(
        item_count=Count("sections__items", distinct=True)
    )
    if org.is_federation:
        return qs.order_by("sector_id", "-version")
    if org.is_association:
        return qs.filter(
            Q(sector__isnull=True, status=TemplateStatus.PUBLISHED)
            | Q(owner=org)
            | Q(sector_id=org.sector_id, status=TemplateStatus.PUBLISHED)
        ).order_by("sector_id", "-version")
    return qs.none()


def template_get(*, viewer: RoleGrant, pk: int) -> ChecklistTemplate:
    try:
        return template_list(viewer=viewer).get(pk=pk)
    except ChecklistTemplate.DoesNotExist:
        raise Http404 from None


def plan_of(*, viewer: RoleGrant) -> Plan | None:
    """The viewer's enterprise's plan, if it has started one."""
    if not viewer.organization.is_enterprise:
        return None
    return (
        Plan.objects.select_related("base_template", "responsible_user", "enterprise")
        .filter(enterprise=viewer.organization)
        .first()
    )


def _visible(viewer: RoleGrant) -> QuerySet[Plan]:
    org = viewer.organization
    qs = Plan.objects.select_related("enterprise", "enterprise__sector", "base_template")
    if org.is_enterprise:
        return qs.filter(enterprise=org)
    ids = enterprise_ids_visible(viewer=viewer)
    qs = qs.exclude(status=PlanStatus.DRAFT)
    return qs if ids is None else qs.filter(enterprise_id__in=ids)


def plan_get(*, viewer: RoleGrant, pk: int) -> Plan:
    """One plan in scope (reviewers never see drafts), else 404."""
    try:
        return _visible(viewer).get(pk=pk)
    except Plan.DoesNotExist:
        raise Http404 from None


def plan_list(*, viewer: RoleGrant, status: str = "", sector: str = "") -> QuerySet[Plan]:
    """The review queue: plans in scope by status and sector."""
    qs = _visible(viewer)
    if status:
        qs = qs.filter(status=status)
    if sector:
        qs = qs.filter(enterprise__sector_id=sector)
    return qs.order_by("submitted_at", "pk")


def plan_status_counts(*, viewer: RoleGrant, sector: str = "") -> dict[str, int]:
    qs = _visible(viewer)
    if sector:
        qs = qs.filter(enterprise__sector_id=sector)
    return dict(qs.values_list("status").annotate(n=Count("pk")).order_by())


def answer_get(*, viewer: RoleGrant, pk: int) -> PlanAnswer:
    """An answer (for its evidence file) of a plan in scope, else 404."""
    try:
        return PlanAnswer.objects.select_related("plan").get(pk=pk, plan__in=_visible(viewer))
    except PlanAnswer.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class StaffSummary:
    """Counts from the roster and today's check-ins: nobody is named."""

    roster: int = 0
    critical: int = 0
    checked_in: int = 0
    abnormal: int = 0
    in_observation: int = 0
    day: dt.date | None = None


def staff_summary(*, enterprise: Organization) -> StaffSummary:
    """The staff figures of the plan, computed (never retyped): active employees from the
    roster, today's check-ins and open observations from the health rollup."""
    from health.models import DailyRollup
    from workforce.models import Employee

    day = timezone.localdate()
    active = Employee.objects.filter(enterprise=enterprise, status="active")
    rollup = DailyRollup.objects.filter(enterprise=enterprise, day=day).first()
    return StaffSummary(
        roster=active.count(),
        critical=active.filter(is_critical=True).count(),
        checked_in=rollup.submitted if rollup else 0,
        abnormal=rollup.abnormal if rollup else 0,
        in_observation=rollup.in_observation if rollup else 0,
        day=day,
    )


@dataclass
class Compliance:
    """One enterprise at a glance: plan status, checklist gaps, days of supply cover."""

    enterprise: Organization
    plan: Plan | None
    gaps: int | None
    min_cover: Decimal | None

    @property
    def low_cover(self) -> bool:
        return self.min_cover is not None and self.min_cover < LOW_COVER_DAYS


def compliance_of(*, viewer: RoleGrant) -> Compliance | None:
    """The viewer's enterprise at a glance."""
    if not viewer.organization.is_enterprise:
        return None
    plan = plan_of(viewer=viewer)
    if plan is None:
        return Compliance(viewer.organization, None, None, None)
    return Compliance(
        viewer.organization,
        plan,
        gaps_by_plan([plan]).get(plan.pk, 0),
        min_cover_by_plan([plan.pk]).get(plan.pk),
    )


def responsible_candidates(*, plan: Plan) -> QuerySet[User]:
    """The users of the plan's enterprise (one may be named responsible for prevention);
    `plan` comes from a scoped selector."""
    return User.objects.filter(
        pk__in=RoleGrant.objects.filter(organization=plan.enterprise).values("user_id")
    ).order_by("name", "pk")


def plan_item_get(*, plan: Plan, pk: int) -> TemplateItem:
    """A checklist item of one of the plan's template versions, else 404."""
    from plans.checklist import template_ids

    try:
        return TemplateItem.objects.select_related("section").get(
            pk=pk, section__template_id__in=template_ids(plan)
        )
    except TemplateItem.DoesNotExist:
        raise Http404 from None
