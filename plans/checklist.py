"""The checklist of a plan: its template versions' items, its answers, and its gaps.

Plain reads with no viewer: callers (services, selectors) have already decided that the
plan is in scope. Gaps are computed for many plans at once in a constant number of
queries (the association's list and roll-up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from plans.models import (
    AnswerState,
    ChecklistTemplate,
    EvidenceKind,
    Plan,
    PlanAnswer,
    TemplateItem,
    TemplateSection,
)


def is_complete(item: TemplateItem, answer: PlanAnswer | None) -> bool:
    """Whether an answer satisfies its item: done with the evidence it asks for, or not
    applicable with a note saying why."""
    if answer is None:
        return False
    if answer.state == AnswerState.NOT_APPLICABLE:
        return bool(answer.note.strip())
    if answer.state != AnswerState.DONE:
        return False
    if item.evidence == EvidenceKind.NUMBER:
        return answer.number is not None
    if item.evidence in {EvidenceKind.PHOTO, EvidenceKind.FILE}:
        return bool(answer.evidence_file)
    if item.evidence == EvidenceKind.NOTE:
        return bool(answer.note.strip())
    return True


def template_ids(plan: Plan) -> list[int]:
    """The base template first, then the sector templates the plan was filled from."""
    return [plan.base_template_id, *plan.sector_templates.values_list("pk", flat=True)]


@dataclass
class Row:
    item: TemplateItem
    answer: PlanAnswer | None
    complete: bool
    comments: list[Any] = field(default_factory=list)  # the reviewers', filled by views


@dataclass
class Section:
    template: ChecklistTemplate
    section: TemplateSection
    rows: list[Row] = field(default_factory=list)


def checklist(plan: Plan) -> list[Section]:
    """Every section of the plan's templates with each item and its answer."""
    ids = template_ids(plan)
    order = {pk: n for n, pk in enumerate(ids)}
    sections = sorted(
        TemplateSection.objects.filter(template_id__in=ids).select_related("template"),
        key=lambda s: (order[s.template_id], s.order, s.pk),
    )
    items: dict[int, list[TemplateItem]] = defaultdict(list)
    for item in TemplateItem.objects.filter(section__template_id__in=ids).order_by("order", "id"):
        items[item.section_id].append(item)
    answers = {a.item_id: a for a in PlanAnswer.objects.filter(plan=plan)}
    result = []
    for section in sections:
        rows = [
            Row(item=i, answer=answers.get(i.pk), complete=is_complete(i, answers.get(i.pk)))
            for i in items[section.pk]
        ]
        result.append(Section(template=section.template, section=section, rows=rows))
    return result


def missing_required(plan: Plan) -> list[TemplateItem]:
    """The required items the plan has not answered completely, in checklist order."""
    return [r.item for s in checklist(plan) for r in s.rows if r.item.required and not r.complete]


def gaps_by_plan(plans: Iterable[Plan]) -> dict[int, int]:
    """How many required items each plan has not answered completely (4 queries)."""
    plans = list(plans)
    if not plans:
        return {}
    through = Plan.sector_templates.through
    templates: dict[int, set[int]] = {p.pk: {p.base_template_id} for p in plans}
    for plan_id, template_id in through.objects.filter(plan_id__in=list(templates)).values_list(
        "plan_id", "checklisttemplate_id"
    ):
        templates[plan_id].add(template_id)
    all_ids = set().union(*templates.values())
    required: dict[int, list[TemplateItem]] = defaultdict(list)
    for item in TemplateItem.objects.filter(
        section__template_id__in=all_ids, required=True
    ).select_related("section"):
        required[item.section.template_id].append(item)
    answers: dict[tuple[int, int], PlanAnswer] = {
        (a.plan_id, a.item_id): a
        for a in PlanAnswer.objects.filter(plan_id__in=list(templates)).only(
            "plan_id", "item_id", "state", "note", "number", "evidence_file"
        )
    }
    result = {}
    for plan_id, ids in templates.items():
        result[plan_id] = sum(
            1
            for tid in ids
            for item in required[tid]
            if not is_complete(item, answers.get((plan_id, item.pk)))
        )
    return result


def min_cover_by_plan(plan_ids: Iterable[int]) -> dict[int, Decimal | None]:
    """The fewest days of supply cover of each plan (None when no daily use is known)."""
    from plans.models import PlanSupply

    result: dict[int, Decimal | None] = {}
    for supply in PlanSupply.objects.filter(plan_id__in=list(plan_ids)):
        cover = supply.days_of_cover
        if cover is None:
            result.setdefault(supply.plan_id, None)
            continue
        current = result.get(supply.plan_id)
        result[supply.plan_id] = cover if current is None else min(current, cover)
    return result


def team_minimum(plan: Plan) -> int:
    """The smallest prevention team the base template asks for (EF-01's parameter)."""
    item = (
        TemplateItem.objects.filter(section__template_id=plan.base_template_id, code="EF-01")
        .exclude(parameter__isnull=True)
        .first()
    )
    return int(item.parameter) if item is not None and item.parameter is not None else 2
