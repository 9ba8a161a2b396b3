"""Map a Plan onto the filing packet's PacketData (plans/packet/data.py), and render it.

Personal values reach the packet only masked: the roster's masked columns, team and
contact mobiles masked again by PacketData itself. Rendering is recorded in the audit log
as personal-data access (the packet carries the masked roster).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from orgs.models import MembershipStatus
from plans.checklist import checklist
from plans.models import LOW_COVER_DAYS, AnswerState, Plan, PlanStatus
from plans.packet.data import (
    ChecklistItem,
    Commitment,
    EmergencyContact,
    Isolation,
    PacketData,
    PlanSection,
    RosterRow,
    StaffSummary,
    SupplyRow,
    TeamMember,
)
from plans.selectors import staff_summary

_ANSWER = {AnswerState.DONE: "yes", AnswerState.NOT_YET: "no", AnswerState.NOT_APPLICABLE: "na"}


def commitment_text(plan: Plan) -> str:
    return _(
        "%(name)s commits that the information filed is true and complete, that it bears "
        "the main responsibility for epidemic prevention at its premises, carries out the "
        "prevention plan and the emergency plan below, and accepts inspection by the "
        "authorities and its association."
    ) % {"name": plan.enterprise.name}


def packet_data(plan: Plan) -> PacketData:
    """Everything the packet prints for `plan` (no full personal numbers)."""
    from workforce.models import Employee

    enterprise = plan.enterprise
    association = (
        enterprise.memberships.filter(status=MembershipStatus.ACTIVE)
        .select_related("association")
        .first()
    )
    items = []
    for section in checklist(plan):
        for row in section.rows:
            answer = row.answer
            items.append(
                ChecklistItem(
                    code=row.item.code,
                    text=row.item.text,
                    required=row.item.required,
                    answer=_ANSWER.get(answer.state, "") if answer else "",  # type: ignore[call-overload]
                    note=answer.note if answer else "",
                    number=answer.number if answer else None,
                    unit=row.item.number_unit,
                    evidence=(answer.evidence_name,) if answer and answer.evidence_name else (),
                )
            )
    staff = staff_summary(enterprise=enterprise)
    roster = [
        RosterRow(
            name=e.name,
            position=e.position,
            site=e.site.name if e.site else "",
            mobile=e.mobile_masked,
            document=e.document_masked,
            status=e.get_status_display(),
        )
        for e in Employee.objects.filter(enterprise=enterprise)
        .exclude(status="left")
        .select_related("site")
        .order_by("name", "pk")
    ]
    confirmed_by = plan.commitment_confirmed_by
    sections = [
        PlanSection(
            title=s.section.title, body="\n".join(f"{r.item.code} {r.item.text}" for r in s.rows)
        )
        for s in checklist(plan)
    ]
    return PacketData(
        enterprise_name=enterprise.name,
        uscc=enterprise.uscc or "",
        legal_rep=enterprise.legal_representative,
        address=enterprise.address,
        district=str(enterprise.district or ""),
        street=str(enterprise.street or ""),
        sector=str(enterprise.sector or ""),
        contact_name=plan.liaison_name or enterprise.contact_name,
        contact_mobile=plan.liaison_mobile or enterprise.contact_mobile,
        responsible_person=plan.responsible_name
        or (plan.responsible_user.display_label if plan.responsible_user else ""),
        commitment=Commitment(
            text=commitment_text(plan),
            confirmed_by=confirmed_by.display_label if confirmed_by else "",
            confirmed_at=plan.commitment_confirmed_at,
            confirmed_from=f"{_('web')} {plan.commitment_ip}" if plan.commitment_ip else "",
        ),
        generated_at=timezone.now(),
        association=association.association.name if association else "",
        reference=f"TZ-{plan.pk:06d}-{plan.version}" if plan.status == PlanStatus.APPROVED else "",
        planned_date=plan.planned_resume_on,
        resumption_mode=plan.get_resume_mode_display() if plan.resume_mode else "",
        plan_sections=tuple(sections),
        checklist=tuple(items),
        team=tuple(
            TeamMember(name=m.get("name", ""), role=m.get("role", ""), mobile=m.get("mobile", ""))
            for m in plan.team
        ),
        emergency_contacts=tuple(
            EmergencyContact(
                role=c.get("role", ""), name=c.get("name", ""), phone=c.get("mobile", "")
            )
            for c in plan.emergency_contacts
        ),
        emergency_steps=tuple(
            line.strip() for line in plan.emergency_steps.splitlines() if line.strip()
        ),
        isolation=(
            Isolation(
                kind=plan.get_isolation_display(),
                rooms=plan.dormitory_rooms,
                capacity=(plan.dormitory_rooms or 0) * (plan.people_per_room or 0) or None,
                note=plan.isolation_notes,
            ),
        )
        if plan.isolation
        else (),
        staff=StaffSummary(
            total=staff.roster,
            on_site=staff.checked_in,
            in_observation=staff.in_observation,
        ),
        roster=tuple(roster),
        supplies=tuple(
            SupplyRow(item=s.item, unit=s.unit, on_hand=s.on_hand, daily_use=s.daily_use)
            for s in plan.supplies.all()
        ),
        min_days_of_cover=LOW_COVER_DAYS,
    )


@transaction.atomic
def packet_file(*, plan: Plan, kind: str, actor: User) -> tuple[bytes, str, str]:
    """The packet rendered as `kind` ("pdf" or "docx"): content, content type, file name."""
    data = packet_data(plan)
    if kind == "docx":
        from plans.packet.docx import render_docx

        content = render_docx(data)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    else:
        from plans.packet.pdf import render_pdf

        content = render_pdf(data)
        content_type = "application/pdf"
    audit_record(
        actor=actor,
        action="plans.packet.download",
        scope=plan.enterprise,
        obj=plan,
        changes={"format": kind, "roster_rows": len(data.roster)},
        personal_data=True,
    )
    name = f"{_('Filing packet')}-{plan.enterprise.name}.{kind}"
    return content, content_type, name
