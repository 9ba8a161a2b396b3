"""Shared set-up for the plans tests: templates seeded, A1's plan ready to submit."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import Cast
from plans.checklist import checklist
from plans.models import EvidenceKind, Plan, PlanStatus
from plans.services import (
    AnswerInput,
    PersonInput,
    answer_save,
    commitment_confirm,
    plan_save,
    plan_start,
    plan_submit,
    team_save,
    templates_seed,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name: str = "training.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def seeded(cast: Cast) -> None:
    templates_seed(federation=cast.federation, actor=None)


def started(cast: Cast, enterprise: Any = None, admin: Any = None) -> Plan:
    seeded(cast)
    return plan_start(
        actor=admin or cast.enterprise_admin, enterprise=enterprise or cast.enterprise
    )


def answer_all(plan: Plan, actor: Any, *, skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for section in checklist(plan):
        for row in section.rows:
            if row.item.code in skip:
                continue
            item = row.item
            upload = None
            number = ""
            note = "已落实"
            if item.evidence == EvidenceKind.PHOTO:
                upload = png()
            elif item.evidence == EvidenceKind.FILE:
                upload = pdf()
            elif item.evidence == EvidenceKind.NUMBER:
                number = str(item.number_min if item.number_min is not None else 1)
                if item.number_min is not None and item.number_min < 2:
                    number = "2"
            answer_save(
                actor=actor,
                plan=plan,
                item=item,
                data=AnswerInput(
                    state="done",
                    note=note,
                    number=number,
                    version=row.answer.version if row.answer else 0,
                ),
                upload=upload,
            )


def ready(cast: Cast, *, skip: set[str] = frozenset(), submit: bool = True) -> Plan:  # type: ignore[assignment]
    """A1's plan, complete (but for `skip`), confirmed, and submitted."""
    admin = cast.enterprise_admin
    plan = started(cast)
    plan = plan_save(
        actor=admin,
        plan=plan,
        version=plan.version,
        section="enterprise",
        fields={"responsible_user": admin, "responsible_name": "防控负责人"},
    )
    plan = team_save(
        actor=admin,
        plan=plan,
        version=plan.version,
        members=[PersonInput("王一", "组长", "13800138000"), PersonInput("李二", "组员")],
    )
    answer_all(plan, admin, skip=skip)
    plan.refresh_from_db()
    plan = commitment_confirm(
        actor=admin, plan=plan, version=plan.version, ip="203.0.113.5", user_agent="pytest"
    )
    if submit:
        plan = plan_submit(actor=admin, plan=plan)
        assert plan.status == PlanStatus.SUBMITTED
    return plan
