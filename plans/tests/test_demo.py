"""The demo plans: templates for every demo sector and plans in every state."""

from __future__ import annotations

import pytest

from orgs.models import Organization, OrganizationKind, Sector
from plans.checklist import missing_required
from plans.demo import write_plans
from plans.models import ChecklistTemplate, Plan, PlanStatus, TemplateStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(reference_data: None) -> int:
    from dashboards.demo import SEED, demo_load

    demo_load(scale=0.1)
    federation = Organization.objects.get(kind=OrganizationKind.FEDERATION)
    associations = list(Organization.objects.filter(kind=OrganizationKind.ASSOCIATION))
    if Plan.objects.exists():  # the lead has wired write_plans into demo_load
        return Plan.objects.count()
    return write_plans(federation=federation, associations=associations, seed=SEED + 5)


def test_it_writes_templates_for_every_sector_and_plans_in_every_state(demo: int) -> None:
    assert demo == Plan.objects.count() > 7
    published = set(
        ChecklistTemplate.objects.filter(status=TemplateStatus.PUBLISHED).values_list(
            "sector_id", flat=True
        )
    )
    assert set(Sector.objects.values_list("code", flat=True)) | {None} <= published
    assert set(Plan.objects.values_list("status", flat=True)) == set(PlanStatus.values)
    for plan in Plan.objects.filter(status=PlanStatus.APPROVED):
        assert missing_required(plan) == []
    # The demo hotel's plan went through the services: returned by its chamber, with a comment.
    returned = Plan.objects.filter(status=PlanStatus.RETURNED, created_by__isnull=False).first()
    assert returned is not None
    assert returned.comments.filter(item__isnull=False).exists()
