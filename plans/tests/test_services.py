"""Templates, plans and the review state machine, through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role, RoleGrant
from conftest import Cast, make_user
from notify.models import InboxItem
from orgs.models import Membership, MembershipStatus, Sector
from plans.checklist import missing_required
from plans.models import (
    ChecklistTemplate,
    EvidenceKind,
    Plan,
    PlanEvent,
    PlanStatus,
    TemplateItem,
    TemplateStatus,
)
from plans.services import (
    AnswerInput,
    ItemInput,
    SupplyInput,
    answer_save,
    commitment_confirm,
    item_save,
    plan_save,
    plan_transition,
    plans_bulk_approve,
    reviewers_of,
    supplies_save,
    template_publish,
    template_update,
    templates_seed,
)
from plans.tests.helpers import PNG, ready, started

pytestmark = pytest.mark.django_db


def test_it_seeds_templates_once(cast: Cast) -> None:
    assert templates_seed(federation=cast.federation, actor=None) == 20
    assert templates_seed(federation=cast.federation, actor=None) == 0
    base = ChecklistTemplate.objects.get(sector__isnull=True)
    codes = set(TemplateItem.objects.filter(section__template=base).values_list("code", flat=True))
    assert {f"EF-0{n}" for n in range(1, 7)} | {f"M{n}" for n in range(1, 9)} <= codes
    assert "G-DISINF" in codes
    hotel = ChecklistTemplate.objects.get(sector_id="hotel")
    assert hotel.owner == cast.association  # the hotel association curates its sector
    assert hotel.sources
    assert hotel.sources[0]["url"].startswith("http")
    beauty = TemplateItem.objects.get(code="HB-1")
    assert beauty.parameter == Decimal("2.50")
    assert beauty.parameter_unit.startswith("m²")


def test_it_fills_a_plan_from_base_and_sector_templates(cast: Cast) -> None:
    plan = started(cast)
    assert plan.base_template.sector_id is None
    assert [t.sector_id for t in plan.sector_templates.all()] == ["hotel"]
    assert plan.status == PlanStatus.DRAFT
    assert plan.supplies.count() == 5
    assert PlanEvent.objects.filter(plan=plan, to_status="draft").count() == 1


ALL = list(PlanStatus.values)
REVIEW = {PlanStatus.APPROVED, PlanStatus.RETURNED, PlanStatus.SUSPENDED}


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("target", ALL)
def test_it_allows_only_the_transitions_of_the_table(cast: Cast, source: str, target: str) -> None:
    plan = ready(cast, submit=False)
    Plan.objects.filter(pk=plan.pk).update(status=source)
    actor = cast.association_officer if target in REVIEW else cast.enterprise_admin
    allowed = target in Plan.ALLOWED_TRANSITIONS[source]
    if allowed:
        moved = plan_transition(actor=actor, plan=plan, to=target, reason="原因")
        assert moved.status == target
        event = PlanEvent.objects.filter(plan=plan).last()
        assert event is not None
        assert (event.from_status, event.to_status, event.actor) == (source, target, actor)
    else:
        with pytest.raises(ValidationError) as exc:
            plan_transition(actor=actor, plan=plan, to=target, reason="原因")
        assert exc.value.code == "transition"
        assert Plan.objects.get(pk=plan.pk).status == source


def test_it_notifies_the_enterprise_of_a_decision(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    plan = ready(cast)
    with django_capture_on_commit_callbacks(execute=True):
        plan_transition(actor=cast.association_officer, plan=plan, to="returned", reason="补充照片")
    assert InboxItem.objects.filter(user=cast.enterprise_admin).exists()


def test_it_refuses_approval_by_the_author_or_anyone_of_the_enterprise(cast: Cast) -> None:
    plan = ready(cast)
    # The author, even holding a grant on the association too.
    RoleGrant.objects.create(
        user=cast.enterprise_admin, organization=cast.association, role=Role.ADMIN
    )
    with pytest.raises(ValidationError) as exc:
        plan_transition(actor=cast.enterprise_admin, plan=plan, to="approved")
    assert exc.value.code == "author"
    # An association officer who also holds a viewer grant on the enterprise.
    RoleGrant.objects.create(
        user=cast.association_officer, organization=cast.enterprise, role=Role.VIEWER
    )
    with pytest.raises(ValidationError) as exc:
        plan_transition(actor=cast.association_officer, plan=plan, to="approved")
    assert exc.value.code == "author"
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_it_refuses_reviewers_from_elsewhere(cast: Cast) -> None:
    plan = ready(cast)
    other = make_user("13800000009", "美容协会")
    RoleGrant.objects.create(user=other, organization=cast.other_association, role=Role.ADMIN)
    with pytest.raises(ValidationError) as exc:
        plan_transition(actor=other, plan=plan, to="approved")
    assert exc.value.code == "not_reviewer"
    # The federation reviews only enterprises in no association.
    with pytest.raises(ValidationError):
        plan_transition(actor=cast.federation_officer, plan=plan, to="approved")
    Membership.objects.filter(enterprise=cast.enterprise).update(status=MembershipStatus.LEFT)
    assert reviewers_of(cast.enterprise) == [cast.federation]
    assert (
        plan_transition(actor=cast.federation_officer, plan=plan, to="approved").status
        == "approved"
    )


def test_it_refuses_approval_while_required_items_are_missing(cast: Cast) -> None:
    plan = ready(cast, skip={"EF-03", "M8"})
    assert [i.code for i in missing_required(plan)] == ["EF-03", "M8"]
    with pytest.raises(ValidationError) as exc:
        plan_transition(actor=cast.association_officer, plan=plan, to="approved")
    assert "EF-03" in exc.value.messages[0]
    assert "M8" in exc.value.messages[0]
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_it_asks_a_reason_to_return_or_suspend(cast: Cast) -> None:
    plan = ready(cast)
    with pytest.raises(ValidationError):
        plan_transition(actor=cast.association_officer, plan=plan, to="returned", reason="  ")


def test_it_refuses_a_commitment_by_someone_else(cast: Cast) -> None:
    plan = started(cast)
    plan = plan_save(
        actor=cast.enterprise_admin,
        plan=plan,
        version=plan.version,
        section="enterprise",
        fields={"responsible_user": cast.enterprise_admin},
    )
    colleague = make_user("13800000010", "同事")
    RoleGrant.objects.create(user=colleague, organization=cast.enterprise, role=Role.STAFF)
    with pytest.raises(ValidationError) as exc:
        commitment_confirm(
            actor=colleague, plan=plan, version=plan.version, ip="1.2.3.4", user_agent="x"
        )
    assert exc.value.code == "not_named_person"
    plan = commitment_confirm(
        actor=cast.enterprise_admin,
        plan=plan,
        version=plan.version,
        ip="203.0.113.5",
        user_agent="UA",
    )
    assert plan.commitment_confirmed_by == cast.enterprise_admin
    assert plan.commitment_ip == "203.0.113.5"
    assert plan.commitment_user_agent == "UA"
    assert plan.commitment_confirmed_at is not None
    # Naming somebody else clears the confirmation: they must confirm themselves.
    plan = plan_save(
        actor=cast.enterprise_admin,
        plan=plan,
        version=plan.version,
        section="enterprise",
        fields={"responsible_user": colleague},
    )
    assert plan.commitment_confirmed_at is None


def test_it_refuses_a_submission_without_commitment_or_team(cast: Cast) -> None:
    plan = started(cast)
    with pytest.raises(ValidationError) as exc:
        plan_transition(actor=cast.enterprise_admin, plan=plan, to="submitted")
    assert exc.value.code == "no_commitment"


def _item(code: str) -> TemplateItem:
    return TemplateItem.objects.get(code=code, section__template__status="published")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.png", b"MZ\x90\x00" + b"\x00" * 100),  # a Windows program named .png
        ("photo.png", b"%PDF-1.4 not an image"),  # a PDF where a photo is asked
        ("photo.png", b"<script>alert(1)</script>"),
        ("photo.jpg", PNG),  # a PNG named .jpg
    ],
)
def test_it_refuses_evidence_that_is_not_what_it_claims(
    cast: Cast, name: str, content: bytes
) -> None:
    plan = started(cast)
    item = _item("EF-03")
    assert item.evidence == EvidenceKind.PHOTO
    with pytest.raises(ValidationError):
        answer_save(
            actor=cast.enterprise_admin,
            plan=plan,
            item=item,
            data=AnswerInput(state="done"),
            upload=SimpleUploadedFile(name, content),
        )
    assert not plan.answers.exists()


def test_it_refuses_negative_and_absurd_quantities(cast: Cast) -> None:
    plan = started(cast)
    for on_hand, daily in (("-5", "10"), ("1e9", "1"), ("NaN", "1"), ("100", "-1"), ("abc", "1")):
        with pytest.raises(ValidationError):
            supplies_save(
                actor=cast.enterprise_admin,
                plan=plan,
                version=plan.version,
                rows=[SupplyInput("口罩", "个", on_hand, daily)],
            )
    assert sorted(plan.supplies.values_list("on_hand", flat=True)) == [0] * 5
    with pytest.raises(ValidationError):
        plan_save(
            actor=cast.enterprise_admin,
            plan=plan,
            version=plan.version,
            section="enterprise",
            fields={"floor_area_m2": Decimal("1000000000")},
        )
    with pytest.raises(ValidationError):
        answer_save(
            actor=cast.enterprise_admin,
            plan=plan,
            item=_item("EF-01"),
            data=AnswerInput(state="done", number="-5"),
        )
    plan.refresh_from_db()
    assert plan.floor_area_m2 == Decimal("120.0")  # from the site, untouched


def test_it_computes_days_of_cover_and_flags_under_three(cast: Cast) -> None:
    plan = started(cast)
    plan = supplies_save(
        actor=cast.enterprise_admin,
        plan=plan,
        version=plan.version,
        rows=[SupplyInput("口罩", "个", "100", "50"), SupplyInput("消毒液", "升", "30", "2")],
    )
    rows = {s.item: s for s in plan.supplies.all()}
    assert rows["口罩"].days_of_cover == Decimal("2.0")
    assert rows["口罩"].is_low
    assert rows["消毒液"].days_of_cover == Decimal("15.0")
    assert not rows["消毒液"].is_low


def test_it_refuses_a_stale_save_and_keeps_the_other_edit(cast: Cast) -> None:
    plan = started(cast)
    seen = plan.version
    first = plan_save(
        actor=cast.enterprise_admin,
        plan=plan,
        version=seen,
        section="staff",
        fields={"isolation_notes": "第一位同事"},
    )
    with pytest.raises(ValidationError) as exc:
        plan_save(
            actor=cast.enterprise_admin,
            plan=plan,
            version=seen,
            section="staff",
            fields={"isolation_notes": "第二位同事"},
        )
    assert exc.value.code == "stale"
    assert Plan.objects.get(pk=plan.pk).isolation_notes == "第一位同事"
    assert first.version == seen + 1
    item = _item("M1")
    answer_save(actor=cast.enterprise_admin, plan=plan, item=item, data=AnswerInput(state="done"))
    with pytest.raises(ValidationError) as exc:
        answer_save(
            actor=cast.enterprise_admin, plan=plan, item=item, data=AnswerInput(state="not_yet")
        )
    assert exc.value.code == "stale"


def test_it_makes_a_new_version_when_a_used_template_is_edited(cast: Cast) -> None:
    plan = started(cast)
    hotel = plan.sector_templates.get()
    item = TemplateItem.objects.get(section__template=hotel, code="HT-2")
    target = item_save(
        actor=cast.association_officer,
        template=hotel,
        section_pk=item.section_id,
        item_pk=item.pk,
        data=ItemInput(
            code="HT-2", text="客房每日通风", parameter=Decimal(3), parameter_unit="次/天"
        ),
    )
    assert target.copied
    assert target.template.version == hotel.version + 1
    assert target.template.status == TemplateStatus.DRAFT
    item.refresh_from_db()
    assert item.parameter == Decimal(2)  # the version in use is unchanged
    assert list(plan.sector_templates.all()) == [hotel]
    # A draft is edited in place; publishing retires the previous version.
    again = template_update(
        actor=cast.association_officer,
        template=target.template,
        title="新版",
        effective_from=hotel.effective_from,
        sources=[{"title": "来源", "url": "https://example.org"}],
    )
    assert not again.copied
    template_publish(actor=cast.association_officer, template=target.template)
    hotel.refresh_from_db()
    assert hotel.status == TemplateStatus.RETIRED


def test_it_keeps_associations_to_their_own_templates(cast: Cast) -> None:
    templates_seed(federation=cast.federation, actor=None)
    beauty = ChecklistTemplate.objects.get(sector_id="beauty")
    with pytest.raises(PermissionDenied):
        template_update(
            actor=cast.association_officer,
            template=beauty,
            title="x",
            effective_from=beauty.effective_from,
            sources=[],
        )


def test_it_refuses_absurd_template_parameters(cast: Cast) -> None:
    plan = started(cast)
    hotel = plan.sector_templates.get()
    section = hotel.sections.first()
    assert section is not None
    with pytest.raises(ValidationError):
        item_save(
            actor=cast.association_officer,
            template=hotel,
            section_pk=section.pk,
            data=ItemInput(
                code="HT-9", text="面积", parameter=Decimal("1000000000"), parameter_unit="m²"
            ),
        )
    assert ChecklistTemplate.objects.filter(sector_id="hotel").count() == 1


def test_it_approves_in_bulk_and_skips_the_incomplete(cast: Cast) -> None:
    from conftest import make_enterprise

    complete = ready(cast)
    second = make_enterprise(
        "深圳市第二酒店有限公司", "91440300MA5G1234X7", Sector.objects.get(code="hotel")
    )
    Membership.objects.create(enterprise=second, association=cast.association, status="active")
    admin2 = make_user("13800000011", "二店负责人")
    RoleGrant.objects.create(user=admin2, organization=second, role=Role.ADMIN)
    from plans.services import PersonInput, plan_start, plan_submit, team_save

    plan2 = plan_start(actor=admin2, enterprise=second)
    plan2 = plan_save(
        actor=admin2,
        plan=plan2,
        version=plan2.version,
        section="enterprise",
        fields={"responsible_user": admin2},
    )
    plan2 = team_save(
        actor=admin2,
        plan=plan2,
        version=plan2.version,
        members=[PersonInput("甲"), PersonInput("乙")],
    )
    plan2 = commitment_confirm(
        actor=admin2, plan=plan2, version=plan2.version, ip=None, user_agent=""
    )
    plan2 = plan_submit(actor=admin2, plan=plan2)
    result = plans_bulk_approve(actor=cast.association_officer, plans=[complete, plan2])
    assert [p.pk for p in result.approved] == [complete.pk]
    assert [p.pk for p, _ in result.skipped] == [plan2.pk]
    assert "EF-01" in result.skipped[0][1]
    assert Plan.objects.get(pk=plan2.pk).status == PlanStatus.SUBMITTED
    assert Plan.objects.get(pk=complete.pk).status == PlanStatus.APPROVED


def test_it_computes_staff_figures_from_the_roster(cast: Cast) -> None:
    from plans.selectors import staff_summary
    from tongzhou.tests.test_url_access import _employee

    _employee(cast)
    assert staff_summary(enterprise=cast.enterprise).roster == 1
