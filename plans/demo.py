"""Demo prevention plans: templates for every sector and plans in every state.

The demo users' enterprises go through the real services (the hotel's plan was returned
by the hotel chamber with a comment on one item; the beauty salon's waits for its
association; the travel agency's is a draft). Other member enterprises get plans written
directly, spread over every state with their event history, so the association and
federation pages have something to count.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from orgs.models import Membership, MembershipStatus, Organization
from plans.checklist import checklist
from plans.models import (
    AnswerState,
    EvidenceKind,
    Plan,
    PlanAnswer,
    PlanEvent,
    PlanStatus,
    PlanSupply,
    ReviewComment,
)
from plans.services import (
    STANDARD_SUPPLIES,
    AnswerInput,
    PersonInput,
    SupplyInput,
    answer_save,
    comment_add,
    commitment_confirm,
    emergency_save,
    plan_save,
    plan_start,
    plan_submit,
    plan_transition,
    supplies_save,
    team_save,
    templates_seed,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX_PLANS = 40
# The path of a plan written directly: (status, events from draft).
PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (PlanStatus.APPROVED, (PlanStatus.SUBMITTED, PlanStatus.APPROVED)),
    (PlanStatus.SUBMITTED, (PlanStatus.SUBMITTED,)),
    (
        PlanStatus.APPROVED,
        (PlanStatus.SUBMITTED, PlanStatus.RETURNED, PlanStatus.RESUBMITTED, PlanStatus.APPROVED),
    ),
    (PlanStatus.RETURNED, (PlanStatus.SUBMITTED, PlanStatus.RETURNED)),
    (PlanStatus.RESUBMITTED, (PlanStatus.SUBMITTED, PlanStatus.RETURNED, PlanStatus.RESUBMITTED)),
    (PlanStatus.DRAFT, ()),
    (PlanStatus.SUSPENDED, (PlanStatus.SUBMITTED, PlanStatus.APPROVED, PlanStatus.SUSPENDED)),
)
STEPS = (
    "发现员工发热（≥37.3℃）、乏力、干咳：立即佩戴口罩，带到临时隔离观察点\n"
    "通知防疫小组组长，联系社区健康服务中心，按指引送发热门诊\n"
    "向所在社区和街道联防联控小组报告，配合流调\n"
    "对其工作区域和接触物表消毒，密切接触者居家观察\n"
    "每日跟进就医结果，向协会报备"
)
TEAM = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵")


def _writer(enterprise: Organization) -> User | None:
    grant = (
        RoleGrant.objects.filter(organization=enterprise, role__in=(Role.ADMIN, Role.STAFF))
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    return grant.user if grant else None


# Plans per association written for the associations whose officers are in the demo's login
# table (so each of them has plans to review); the rest go round the other associations.
FEATURED_PLANS = 8


def _spread(
    enterprises: list[Organization], associations: list[Organization]
) -> list[Organization]:
    """The enterprises in the order their plans are written: the featured associations'
    members first, then one member of each other association in turn."""
    first: dict[int, int] = {}
    for enterprise_id, association_id in (
        Membership.objects.filter(enterprise__in=enterprises, status=MembershipStatus.ACTIVE)
        .order_by("enterprise_id", "association_id")
        .values_list("enterprise_id", "association_id")
    ):
        first.setdefault(enterprise_id, association_id)
    queues: dict[int, list[Organization]] = {a.pk: [] for a in associations}
    for enterprise in enterprises:
        if enterprise.pk in first:
            queues[first[enterprise.pk]].append(enterprise)
    featured = set(
        RoleGrant.objects.filter(
            organization__in=associations, role=Role.ADMIN, user__mobile__startswith="1380013800"
        ).values_list("organization_id", flat=True)
    )
    ordered: list[Organization] = []
    for association in associations:
        if association.pk in featured:
            ordered.extend(queues[association.pk][:FEATURED_PLANS])
            del queues[association.pk][:FEATURED_PLANS]
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def _reviewer(enterprise: Organization) -> User | None:
    association = (
        Membership.objects.filter(enterprise=enterprise, status=MembershipStatus.ACTIVE)
        .values_list("association_id", flat=True)
        .first()
    )
    if association is None:
        return None
    grant = (
        RoleGrant.objects.filter(organization_id=association, role=Role.ADMIN)
        .exclude(user__grants__organization=enterprise)
        .select_related("user")
        .first()
    )
    return grant.user if grant else None


def _fill_by_services(plan: Plan, author: User, rng: random.Random, *, skip: int = 0) -> Plan:
    """Fill a plan as its author would, through the services (all but `skip` items)."""
    plan = plan_save(
        actor=author,
        plan=plan,
        version=plan.version,
        section="enterprise",
        fields={
            "responsible_user": author,
            "responsible_name": author.name,
            "responsible_title": "总经理",
            "planned_resume_on": timezone.localdate(),
            "resume_mode": "partial",
        },
    )
    plan = plan_save(
        actor=author,
        plan=plan,
        version=plan.version,
        section="staff",
        fields={
            "isolation": "own_dormitory",
            "isolation_notes": "员工宿舍三楼设隔离区，4间",
            "dormitory_rooms": 4,
            "people_per_room": 1,
            "canteen": "staggered",
        },
    )
    plan = team_save(
        actor=author,
        plan=plan,
        version=plan.version,
        members=[
            PersonInput(author.name, "组长"),
            PersonInput("李卫东", "组员"),
            PersonInput("陈芳", "组员"),
        ],
    )
    plan = emergency_save(
        actor=author,
        plan=plan,
        version=plan.version,
        contacts=[
            PersonInput("社区健康服务中心", "首诊", "0755-12320"),
            PersonInput(author.name, "组长"),
        ],
        steps=STEPS,
    )
    plan = supplies_save(
        actor=author,
        plan=plan,
        version=plan.version,
        rows=[
            SupplyInput("口罩", "个", str(rng.randint(200, 1500)), str(rng.randint(40, 120))),
            SupplyInput("消毒液", "升", str(rng.randint(10, 60)), "2"),
            SupplyInput("一次性手套", "双", str(rng.randint(50, 300)), "30"),
            SupplyInput("体温计/红外测温仪", "支", "3", "0"),
        ],
    )
    rows = [row for section in checklist(plan) for row in section.rows]
    for row in rows[: len(rows) - skip]:
        item = row.item
        upload = None
        number = ""
        if item.evidence == EvidenceKind.PHOTO:
            upload = ContentFile(PNG, name="现场照片.png")
        elif item.evidence == EvidenceKind.FILE:
            upload = ContentFile(PDF, name="培训记录.pdf")
        elif item.evidence == EvidenceKind.NUMBER:
            number = str(max(item.number_min or 0, min(item.number_max or 3, Decimal(3))))
        answer_save(
            actor=author,
            plan=plan,
            item=item,
            data=AnswerInput(state=AnswerState.DONE, note="已落实", number=number),
            upload=upload,  # type: ignore[arg-type]
        )
    plan.refresh_from_db()
    return commitment_confirm(
        actor=author, plan=plan, version=plan.version, ip=None, user_agent="demo"
    )


def _write_directly(
    enterprise: Organization, status: str, path: tuple[str, ...], rng: random.Random
) -> Plan:
    """A plan with answers, supplies and history, written as the loader (no users)."""
    from plans.services import current_base_template, current_sector_templates

    base = current_base_template()
    assert base is not None
    now = timezone.now()
    plan = Plan.objects.create(
        enterprise=enterprise,
        base_template=base,
        status=status,
        responsible_name=enterprise.legal_representative or enterprise.contact_name,
        responsible_title="法定代表人",
        liaison_name=enterprise.contact_name,
        floor_area_m2=Decimal(rng.randint(40, 2000)),
        store_count=rng.randint(1, 5),
        planned_resume_on=timezone.localdate(),
        resume_mode=rng.choice(["full", "partial"]),
        isolation=rng.choice(["own_dormitory", "rented", "community"]),
        canteen=rng.choice(["staggered", "delivered", "none"]),
        team=[
            {"name": f"{rng.choice(TEAM)}{'某' * 2}", "role": r, "mobile": ""}
            for r in ("组长", "组员")
        ],
        emergency_contacts=[{"name": "社区健康服务中心", "role": "首诊", "mobile": "0755-12320"}],
        emergency_steps=STEPS,
        commitment_confirmed_at=now if path else None,
        submitted_at=now if path else None,
        decided_at=now
        if status in {PlanStatus.APPROVED, PlanStatus.SUSPENDED, PlanStatus.RETURNED}
        else None,
    )
    plan.sector_templates.set(current_sector_templates(enterprise))
    low = rng.random() < 0.2
    PlanSupply.objects.bulk_create(
        [
            PlanSupply(
                plan=plan,
                item=item,
                unit=unit,
                on_hand=Decimal(rng.randint(20, 80) if low and n == 0 else rng.randint(200, 2000)),
                daily_use=Decimal(rng.randint(20, 60)) if n < 3 else Decimal(0),
            )
            for n, (item, unit) in enumerate(STANDARD_SUPPLIES)
        ]
    )
    complete = status in {PlanStatus.APPROVED, PlanStatus.SUSPENDED} or rng.random() < 0.5
    answers = []
    for section in checklist(plan):
        for row in section.rows:
            item = row.item
            if not complete and rng.random() < 0.15:
                continue
            answer = PlanAnswer(
                plan=plan,
                item=item,
                state=AnswerState.DONE,
                note="已落实",
                number=max(item.number_min or Decimal(0), Decimal(2))
                if item.evidence == EvidenceKind.NUMBER
                else None,
            )
            if item.evidence in {EvidenceKind.PHOTO, EvidenceKind.FILE}:
                content, name, kind = (
                    (PNG, "现场照片.png", "image/png")
                    if item.evidence == EvidenceKind.PHOTO
                    else (PDF, "培训记录.pdf", "application/pdf")
                )
                answer.evidence_file.save(name, ContentFile(content), save=False)
                answer.evidence_name, answer.evidence_type = name, kind
            answers.append(answer)
    PlanAnswer.objects.bulk_create(answers)
    previous: str = PlanStatus.DRAFT
    events = [
        PlanEvent(
            plan=plan, from_status="", to_status=PlanStatus.DRAFT, actor_organization=enterprise
        )
    ]
    for step in path:
        reason = (
            "请补充消毒记录照片"
            if step == PlanStatus.RETURNED
            else ("抽查发现未落实测温" if step == PlanStatus.SUSPENDED else "")
        )
        events.append(PlanEvent(plan=plan, from_status=previous, to_status=step, reason=reason))
        previous = step
    PlanEvent.objects.bulk_create(events)
    if PlanStatus.RETURNED in path:
        ReviewComment.objects.create(
            plan=plan, text="消毒记录照片不清晰，请重新上传", resolved=status != PlanStatus.RETURNED
        )
    return plan


@transaction.atomic
def write_plans(*, federation: Organization, associations: list[Organization], seed: int) -> int:
    """Seed the templates and write the demo plans; returns how many plans were made."""
    rng = random.Random(seed)  # noqa: S311 - a seeded PRNG on purpose: the same demo everywhere
    templates_seed(federation=federation, actor=None)
    enterprises = list(
        Organization.objects.filter(
            memberships__association__in=associations,
            memberships__status=MembershipStatus.ACTIVE,
        )
        .distinct()
        .order_by("pk")
    )
    with_users = [e for e in enterprises if _writer(e) is not None]
    count = 0
    for n, enterprise in enumerate(with_users):
        author = _writer(enterprise)
        assert author is not None
        plan = plan_start(actor=author, enterprise=enterprise)
        count += 1
        if n % 3 == 2:  # a draft, half filled
            continue
        plan = _fill_by_services(plan, author, rng)
        plan = plan_submit(actor=author, plan=plan)
        reviewer = _reviewer(enterprise)
        if n % 3 == 0 and reviewer is not None:
            item = next(
                r.item
                for s in checklist(plan)
                for r in s.rows
                if r.item.evidence == EvidenceKind.PHOTO
            )
            comment_add(
                actor=reviewer, plan=plan, item=item, text="照片看不清消毒登记表，请重新拍摄上传"
            )
            plan_transition(
                actor=reviewer, plan=plan, to=PlanStatus.RETURNED, reason="请按意见整改后重新提交"
            )
    others = _spread([e for e in enterprises if e not in with_users], associations)
    for n, enterprise in enumerate(others[: MAX_PLANS - count]):
        status, path = PATHS[n % len(PATHS)]
        _write_directly(enterprise, status, path, rng)
        count += 1
    return count
