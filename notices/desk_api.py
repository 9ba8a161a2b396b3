"""The desk over the JSON API: received notices, acknowledgement, attestation (the note;
evidence files go through the page), and the progress of a sent notice."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from lib.access import Audience
from lib.api import ScopedRouter, Text, api_access, grant_of
from notices import receipt_selectors as selectors
from notices import receipts
from notices.models import Receipt
from notices.receipts import NOTE_MAX_LENGTH

router = ScopedRouter(tags=["desk"])


class ReceivedOut(Schema):
    """A notice the caller's organisation received, and its response so far."""

    id: int
    notice_id: int
    title: str
    category: str
    publisher: str
    relayed_from: str | None
    deadline: dt.datetime | None
    requires_ack: bool
    requires_attestation: bool
    asks_relay: bool
    withdrawn: bool
    delivered_at: dt.datetime
    read_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    attested_at: dt.datetime | None
    overdue_at: dt.datetime | None
    relayed_as: int | None
    missing: list[str] = Field(description='What is still asked: "ack", "attest", "relay".')

    @staticmethod
    def resolve_title(obj: Receipt) -> str:
        return obj.notice.title

    @staticmethod
    def resolve_category(obj: Receipt) -> str:
        return obj.notice.category

    @staticmethod
    def resolve_publisher(obj: Receipt) -> str:
        return obj.notice.publisher.name

    @staticmethod
    def resolve_relayed_from(obj: Receipt) -> str | None:
        parent = obj.notice.parent
        return parent.publisher.name if parent is not None else None

    @staticmethod
    def resolve_deadline(obj: Receipt) -> dt.datetime | None:
        return obj.notice.deadline

    @staticmethod
    def resolve_requires_ack(obj: Receipt) -> bool:
        return obj.notice.requires_ack

    @staticmethod
    def resolve_requires_attestation(obj: Receipt) -> bool:
        return obj.notice.requires_attestation

    @staticmethod
    def resolve_asks_relay(obj: Receipt) -> bool:
        return obj.notice.asks_relay

    @staticmethod
    def resolve_withdrawn(obj: Receipt) -> bool:
        return bool(obj.notice.status == "withdrawn")

    @staticmethod
    def resolve_relayed_as(obj: Receipt) -> int | None:
        return obj.relayed_as_id

    @staticmethod
    def resolve_missing(obj: Receipt) -> list[str]:
        return selectors.missing_of(obj)


class DeskFilter(Schema):
    tab: Literal["todo", "unread", "overdue", "all"] = "all"
    category: Text = Field("", max_length=20)
    search: Text = Field("", max_length=100)


class AttestIn(Schema):
    note: Text = Field(max_length=NOTE_MAX_LENGTH, description="What was done.")


class CountsOut(Schema):
    delivered: int
    read: int
    acknowledged: int
    attested: int
    relayed: int
    overdue: int
    read_pct: float
    acknowledged_pct: float
    attested_pct: float
    relayed_pct: float
    overdue_pct: float


class AssociationOut(Schema):
    association: str
    read_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    relayed_as: int | None
    members: CountsOut | None


class SectorOut(Schema):
    sector: str | None
    counts: CountsOut


class ProgressOut(Schema):
    notice_id: int
    title: str
    deadline: dt.datetime | None
    direct: CountsOut
    chain: CountsOut | None
    associations: list[AssociationOut]
    sectors: list[SectorOut]


@router.get("/desk/receipts", response=list[ReceivedOut])
@api_access(Audience.MEMBER)
@paginate(LimitOffsetPagination)
def received_list(request: HttpRequest, filters: Query[DeskFilter]) -> QuerySet[Receipt]:
    """Notices the caller's organisation received, newest first."""
    return selectors.desk_list(
        viewer=grant_of(request),
        tab=filters.tab,
        category=filters.category.strip(),
        search=filters.search.strip(),
    )


def _own(request: HttpRequest, receipt_id: int) -> Receipt:
    grant = grant_of(request)
    receipt = selectors.receipt_get(viewer=grant, pk=receipt_id)
    if not selectors.is_recipient(viewer=grant, receipt=receipt):
        raise PermissionDenied
    return receipt


@router.post("/desk/receipts/{receipt_id}/acknowledge", response=ReceivedOut)
@api_access(Audience.MEMBER, write=True)
def received_acknowledge(request: HttpRequest, receipt_id: int) -> Receipt:
    """Acknowledge receipt (a repeat changes nothing)."""
    receipt = receipts.receipt_acknowledge(
        actor=grant_of(request).user, receipt=_own(request, receipt_id)
    )
    return selectors.receipt_get(viewer=grant_of(request), pk=receipt.pk)


@router.post("/desk/receipts/{receipt_id}/attest", response=ReceivedOut)
@api_access(Audience.MEMBER, write=True)
def received_attest(request: HttpRequest, receipt_id: int, payload: AttestIn) -> Receipt:
    """Attest implementation with a note (evidence files are uploaded on the page)."""
    receipt = receipts.receipt_attest(
        actor=grant_of(request).user, receipt=_own(request, receipt_id), note=payload.note
    )
    return selectors.receipt_get(viewer=grant_of(request), pk=receipt.pk)


def _counts(counts: selectors.Counts) -> CountsOut:
    return CountsOut.model_validate(counts.as_dict())


@router.get("/desk/notices/{notice_id}/progress", response=ProgressOut)
@api_access(Audience.MEMBER)
def sent_progress(request: HttpRequest, notice_id: int) -> ProgressOut:
    """Counts and percentages of a notice the caller sent (or that was relayed from it)."""
    grant = grant_of(request)
    notice = selectors.sent_notice_get(viewer=grant, pk=notice_id)
    summary = selectors.notice_progress(viewer=grant, notice=notice)
    return ProgressOut(
        notice_id=notice.pk,
        title=notice.title,
        deadline=notice.deadline,
        direct=_counts(summary.direct),
        chain=_counts(summary.chain) if summary.chain is not None else None,
        associations=[
            AssociationOut(
                association=row.receipt.organization.name if row.receipt.organization else "",
                read_at=row.receipt.read_at,
                acknowledged_at=row.receipt.acknowledged_at,
                relayed_as=row.receipt.relayed_as_id,
                members=_counts(row.members) if row.members is not None else None,
            )
            for row in summary.associations
        ],
        sectors=[
            SectorOut(sector=row.sector.pk if row.sector else None, counts=_counts(row.counts))
            for row in summary.sectors
        ],
    )
