"""Publishing notices over the JSON API: the organisation's own notices (list, read),
drafts (create, edit with `version`), publish now or schedule, withdraw.

Audience ids are checked against what the caller may reach, exactly as on the pages: an
association or sector out of scope is a 422 naming the field. Attachments go through the
page (a file upload is checked by its content there).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from accounts.models import RoleGrant, User
from lib.access import Audience
from lib.api import ScopedRouter, Text, api_access, grant_of, version_required
from notices import selectors, services
from notices.models import AudienceKind, Category, Notice
from notices.services import NoticeInput

router = ScopedRouter(tags=["notices"])

_MAX_TARGETS = 2000


class NoticeIn(Schema):
    """A notice as the client sends it; the audience by association ids, sector and
    district codes."""

    category: Category
    title: Text = Field(max_length=1000)
    summary: Text = Field("", max_length=1000)
    body_md: str = Field("", max_length=services.BODY_MAX + 1000)
    is_public: bool = False
    source_url: Text = Field("", max_length=1000)
    source_name: Text = Field("", max_length=1000)
    verified_by: Text = Field("", max_length=1000)
    valid_until: dt.date | None = None
    audience_kind: AudienceKind = AudienceKind.NONE
    audience_associations: list[int] = Field(default_factory=list, max_length=_MAX_TARGETS)
    audience_sectors: list[Text] = Field(default_factory=list, max_length=_MAX_TARGETS)
    audience_districts: list[Text] = Field(default_factory=list, max_length=_MAX_TARGETS)
    requires_ack: bool = False
    requires_attestation: bool = False
    asks_relay: bool = False
    deadline: dt.datetime | None = None


class NoticeUpdateIn(NoticeIn):
    version: int | None = Field(None, description="The version last read (required).")
    note: Text = Field("", max_length=1000, description="What changed (after publication).")


class PublishIn(Schema):
    publish_at: dt.datetime | None = Field(
        None, description="A time in the future to schedule; omit to publish now."
    )


class WithdrawIn(Schema):
    reason: Text = Field(max_length=1000)


class NoticeOut(Schema):
    id: int
    publisher: str
    category: str
    title: str
    summary: str
    body_md: str
    body_html: str
    is_public: bool
    source_url: str
    source_name: str
    verified_by: str
    valid_until: dt.date | None
    outdated: bool
    status: str
    publish_at: dt.datetime | None
    published_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str
    audience_kind: str
    requires_ack: bool
    requires_attestation: bool
    asks_relay: bool
    deadline: dt.datetime | None
    parent: int | None
    root: int | None
    revision: int
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_publisher(obj: Notice) -> str:
        return obj.publisher.name

    @staticmethod
    def resolve_outdated(obj: Notice) -> bool:
        return obj.is_outdated

    @staticmethod
    def resolve_parent(obj: Notice) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_root(obj: Notice) -> int | None:
        return obj.root_id


class NoticeFilter(Schema):
    status: Notice.Status | None = None
    category: Category | None = None
    search: Text = Field("", max_length=100)


def _actor(grant: RoleGrant) -> User:
    """Who acts: the signed-in user, or the person who created the API key."""
    return grant.user


def _resolve(grant: RoleGrant, payload: NoticeIn, *, relay: bool = False) -> NoticeInput:
    """The service's input; ids outside the caller's reach are named in a 422."""
    scope = selectors.audience_scope(publisher=grant.organization, relay=relay)
    errors: dict[str, list[str]] = {}

    def pick(field: str, queryset: QuerySet[Any], ids: list[Any], message: str) -> tuple[Any, ...]:
        wanted = list(dict.fromkeys(ids))
        found = list(queryset.filter(pk__in=wanted)) if wanted else []
        if len(found) != len(wanted):
            errors[field] = [message]
        return tuple(found)

    associations = pick(
        "audience_associations",
        scope.associations,
        payload.audience_associations,
        _("You can only address associations within your reach."),
    )
    sectors = pick(
        "audience_sectors",
        scope.sectors,
        [s.strip() for s in payload.audience_sectors],
        _("Choose sectors among those of the enterprises you reach."),
    )
    districts = pick(
        "audience_districts",
        scope.districts,
        [d.strip() for d in payload.audience_districts],
        _("Choose districts among those of the enterprises you reach."),
    )
    if errors:
        raise ValidationError(errors)
    return NoticeInput(
        category=payload.category,
        title=payload.title,
        summary=payload.summary,
        body_md=payload.body_md,
        is_public=payload.is_public,
        source_url=payload.source_url,
        source_name=payload.source_name,
        verified_by=payload.verified_by,
        valid_until=payload.valid_until,
        audience_kind=payload.audience_kind,
        audience_associations=associations,
        audience_sectors=sectors,
        audience_districts=districts,
        requires_ack=payload.requires_ack,
        requires_attestation=payload.requires_attestation,
        asks_relay=payload.asks_relay,
        deadline=payload.deadline,
    )


@router.get("/notices", response=list[NoticeOut])
@api_access(Audience.MEMBER)
@paginate(LimitOffsetPagination)
def notice_list(request: HttpRequest, filters: Query[NoticeFilter]) -> QuerySet[Notice]:
    """The caller's organisation's notices, most recently changed first."""
    return selectors.notice_list(
        viewer=grant_of(request),
        status=filters.status or "",
        category=filters.category or "",
        search=filters.search,
    ).select_related("publisher")


@router.get("/notices/{notice_id}", response=NoticeOut)
@api_access(Audience.MEMBER)
def notice_get(request: HttpRequest, notice_id: int) -> Notice:
    """A notice the caller may read (its own, received, or public)."""
    return selectors.notice_get(viewer=grant_of(request), pk=notice_id)


@router.post("/notices", response={201: NoticeOut})
@api_access(Audience.MEMBER, write=True)
def notice_create(request: HttpRequest, payload: NoticeIn) -> Status[Notice]:
    """Save a draft."""
    grant = grant_of(request)
    notice = services.notice_create(
        actor=_actor(grant),
        publisher=grant.organization,
        data=_resolve(grant, payload),
    )
    return Status(201, selectors.notice_get(viewer=grant, pk=notice.pk))


@router.put("/notices/{notice_id}", response=NoticeOut)
@api_access(Audience.MEMBER, write=True)
def notice_update(request: HttpRequest, notice_id: int, payload: NoticeUpdateIn) -> Notice:
    """Edit a notice (a stale `version` answers 409); after publication, a revision."""
    grant = grant_of(request)
    notice = selectors.notice_manage_get(viewer=grant, pk=notice_id)
    services.notice_update(
        actor=_actor(grant),
        notice=notice,
        data=_resolve(grant, payload, relay=notice.parent_id is not None),
        version=version_required(payload.version),
        note=payload.note,
    )
    return selectors.notice_get(viewer=grant, pk=notice.pk)


@router.post("/notices/{notice_id}/publish", response=NoticeOut)
@api_access(Audience.MEMBER, write=True)
def notice_publish(request: HttpRequest, notice_id: int, payload: PublishIn) -> Notice:
    """Publish a draft now (and deliver it), or schedule it for `publish_at`."""
    grant = grant_of(request)
    notice = selectors.notice_manage_get(viewer=grant, pk=notice_id)
    services.notice_publish(actor=_actor(grant), notice=notice, publish_at=payload.publish_at)
    return selectors.notice_get(viewer=grant, pk=notice.pk)


@router.post("/notices/{notice_id}/withdraw", response=NoticeOut)
@api_access(Audience.MEMBER, write=True)
def notice_withdraw(request: HttpRequest, notice_id: int, payload: WithdrawIn) -> Notice:
    """Withdraw a published or scheduled notice, with the reason recipients will see."""
    grant = grant_of(request)
    notice = selectors.notice_manage_get(viewer=grant, pk=notice_id)
    services.notice_withdraw(actor=_actor(grant), notice=notice, reason=payload.reason)
    return selectors.notice_get(viewer=grant, pk=notice.pk)
