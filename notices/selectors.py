"""Reads of notices on the publishing side, and the audience a publisher may reach.

Who sees a notice:

- the publisher's people: every notice of their organisation, drafts included;
- a recipient organisation's people: what was delivered to it (published or withdrawn);
- the federation: every published or withdrawn notice except an enterprise's notices to
  its own staff (oversight of the cascade);
- anyone: a published notice shown in the public news centre (`is_public`).

Who a publisher may reach (`audience_scope`): the federation — all or chosen associations,
or member enterprises filtered by association, sector and district; an association — its
own active members, filtered by sector and district among them; an enterprise — its own
employees. Pickers list only what is in scope and the services refuse anything else.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from notices.models import (
    Attachment,
    AudienceKind,
    Category,
    Notice,
    NoticeRevision,
    Receipt,
)
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
)
from workforce.models import Employee, EmploymentStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import RoleGrant

VISIBLE_STATUSES = (Notice.Status.PUBLISHED, Notice.Status.WITHDRAWN)


# --- Scope: who a publisher may reach -------------------------------------------------


@dataclass
class AudienceScope:
    """What a publisher may target; empty querysets where a filter does not apply."""

    kinds: list[str]
    associations: QuerySet[Organization]
    sectors: QuerySet[Sector]
    districts: QuerySet[Division]
    may_publish_publicly: bool = False
    may_ask_relay: bool = False
    notes: list[str] = field(default_factory=list)


def _active_members(association: Organization | Iterable[int] | None = None) -> Q:
    """Enterprises with an active membership (of one association, of some, or of any)."""
    memberships = Membership.objects.filter(
        enterprise=OuterRef("pk"), status=MembershipStatus.ACTIVE
    )
    if isinstance(association, Organization):
        memberships = memberships.filter(association=association)
    elif association is not None:
        memberships = memberships.filter(association__in=association)
    return Q(Exists(memberships))


def member_enterprises(*, publisher: Organization) -> QuerySet[Organization]:
    """The enterprises a steward may reach: an association's active members, or for the
    federation every enterprise that is an active member of some association."""
    qs = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
    if publisher.is_association:
        return qs.filter(_active_members(publisher))
    if publisher.is_federation:
        return qs.filter(_active_members())
    return qs.none()


def audience_scope(*, publisher: Organization, relay: bool = False) -> AudienceScope:
    """What `publisher` may target (a relay reaches the association's members only)."""
    none_orgs = Organization.objects.none()
    if publisher.is_federation:
        members = member_enterprises(publisher=publisher)
        return AudienceScope(
            kinds=[
                AudienceKind.ALL_ASSOCIATIONS,
                AudienceKind.ASSOCIATIONS,
                AudienceKind.MEMBERS,
                AudienceKind.NONE,
            ],
            associations=Organization.objects.filter(kind=OrganizationKind.ASSOCIATION).order_by(
                "name", "pk"
            ),
            sectors=Sector.objects.all(),
            districts=Division.objects.filter(
                Q(parent_id="440300")
                | Q(pk__in=members.exclude(district=None).values("district_id")),
                level__in=[Division.Level.COUNTY, Division.Level.FUNCTIONAL_AREA],
            ).order_by("code"),
            may_publish_publicly=True,
            may_ask_relay=True,
        )
    if publisher.is_association:
        members = member_enterprises(publisher=publisher)
        return AudienceScope(
            kinds=[AudienceKind.MEMBERS] if relay else [AudienceKind.MEMBERS, AudienceKind.NONE],
            associations=none_orgs,
            sectors=Sector.objects.filter(pk__in=members.exclude(sector=None).values("sector_id")),
            districts=Division.objects.filter(
                pk__in=members.exclude(district=None).values("district_id")
            ).order_by("code"),
            may_publish_publicly=not relay,
        )
    return AudienceScope(
        kinds=[AudienceKind.EMPLOYEES],
        associations=none_orgs,
        sectors=Sector.objects.none(),
        districts=Division.objects.none(),
    )


def audience_query(
    *,
    publisher: Organization,
    kind: str,
    associations: Iterable[int] = (),
    sectors: Iterable[str] = (),
    districts: Iterable[str] = (),
) -> QuerySet[Organization]:
    """The organisations an audience resolves to (none for employees or nobody)."""
    association_ids, sector_ids, district_ids = list(associations), list(sectors), list(districts)
    if kind == AudienceKind.ALL_ASSOCIATIONS and publisher.is_federation:
        return Organization.objects.filter(kind=OrganizationKind.ASSOCIATION)
    if kind == AudienceKind.ASSOCIATIONS and publisher.is_federation:
        return Organization.objects.filter(
            kind=OrganizationKind.ASSOCIATION, pk__in=association_ids
        )
    if kind == AudienceKind.MEMBERS and (publisher.is_federation or publisher.is_association):
        qs = member_enterprises(publisher=publisher)
        if publisher.is_federation and association_ids:
            qs = qs.filter(_active_members(association_ids))
        if sector_ids:
            qs = qs.filter(sector_id__in=sector_ids)
        if district_ids:
            qs = qs.filter(district_id__in=district_ids)
        return qs
    return Organization.objects.none()


def audience_organizations(*, notice: Notice) -> QuerySet[Organization]:
    """The organisations `notice` is addressed to (for employees: none; see
    `audience_employees`)."""
    return audience_query(
        publisher=notice.publisher,
        kind=notice.audience_kind,
        associations=notice.audience_associations.values_list("pk", flat=True),
        sectors=notice.audience_sectors.values_list("pk", flat=True),
        districts=notice.audience_districts.values_list("pk", flat=True),
    )


def audience_employees(*, notice: Notice) -> QuerySet[Employee]:
    """The employees an enterprise's notice to its staff reaches: those at work."""
    if notice.audience_kind != AudienceKind.EMPLOYEES or not notice.publisher.is_enterprise:
        return Employee.objects.none()
    return Employee.objects.filter(
        enterprise_id=notice.publisher_id, status=EmploymentStatus.ACTIVE
    )


# --- Notices ----------------------------------------------------------------------------


def _visible_q(org: Organization) -> Q:
    received = Receipt.objects.filter(notice=OuterRef("pk"), organization=org)
    seen = Q(status__in=VISIBLE_STATUSES) & (
        Q(Exists(received)) | Q(is_public=True, status=Notice.Status.PUBLISHED)
    )
    if org.is_federation:
        seen |= Q(status__in=VISIBLE_STATUSES) & ~Q(audience_kind=AudienceKind.EMPLOYEES)
    return Q(publisher=org) | seen


def notice_visible(*, viewer: RoleGrant) -> QuerySet[Notice]:
    """Every notice the viewer may read."""
    return Notice.objects.filter(_visible_q(viewer.organization))


def notice_list(
    *, viewer: RoleGrant, status: str = "", category: str = "", search: str = ""
) -> QuerySet[Notice]:
    """The viewer organisation's own notices (its outbox), newest first, with the number of
    deliveries and attachments."""
    qs = Notice.objects.filter(publisher=viewer.organization)
    if status in Notice.Status.values:
        qs = qs.filter(status=status)
    if category in Category.values:
        qs = qs.filter(category=category)
    if search.strip():
        qs = qs.filter(title__icontains=search.strip()[:100])
    return (
        qs.select_related("author", "parent")
        .annotate(
            receipt_count=Count("receipts", distinct=True),
            attachment_count=Count("attachments", distinct=True),
        )
        .order_by("-updated_at", "-pk")
    )


def notice_status_counts(*, viewer: RoleGrant) -> dict[str, int]:
    """How many of the viewer organisation's notices are in each status (for the tabs)."""
    rows = (
        Notice.objects.filter(publisher=viewer.organization)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
    )
    counts = dict.fromkeys(Notice.Status.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def notice_get(*, viewer: RoleGrant, pk: int) -> Notice:
    """One notice the viewer may read, else 404."""
    try:
        return (
            notice_visible(viewer=viewer)
            .select_related("publisher", "author", "parent", "parent__publisher", "root")
            .get(pk=pk)
        )
    except Notice.DoesNotExist:
        raise Http404 from None


def notice_manage_get(*, viewer: RoleGrant, pk: int) -> Notice:
    """One of the viewer organisation's own notices (to edit, publish, withdraw), else 404."""
    try:
        return Notice.objects.select_related("publisher", "parent", "root").get(
            pk=pk, publisher=viewer.organization
        )
    except Notice.DoesNotExist:
        raise Http404 from None


def is_publisher(*, viewer: RoleGrant, notice: Notice) -> bool:
    return notice.publisher_id == viewer.organization_id


def notice_public_list(*, category: str = "") -> QuerySet[Notice]:
    """Published notices shown in the public news centre, newest first."""
    qs = Notice.objects.filter(is_public=True, status=Notice.Status.PUBLISHED)
    if category in Category.values:
        qs = qs.filter(category=category)
    return qs.select_related("publisher").order_by("-published_at", "-pk")


def notice_public_get(*, pk: int) -> Notice:
    """One notice of the public news centre, else 404."""
    try:
        return notice_public_list().get(pk=pk)
    except Notice.DoesNotExist:
        raise Http404 from None


def attachment_list(*, notice: Notice) -> QuerySet[Attachment]:
    return Attachment.objects.filter(notice=notice).order_by("pk")


def attachment_download_get(*, viewer: RoleGrant | None, pk: int) -> Attachment:
    """An attachment the viewer may download: of a public published notice (anyone), or
    of a notice the viewer may read. Anything else is 404."""
    attachment = Attachment.objects.select_related("notice").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    notice = attachment.notice
    if notice.is_public and notice.status == Notice.Status.PUBLISHED:
        return attachment
    if viewer is not None and notice_visible(viewer=viewer).filter(pk=notice.pk).exists():
        return attachment
    raise Http404


def attachment_manage_get(*, viewer: RoleGrant, pk: int) -> Attachment:
    """An attachment of one of the viewer organisation's notices, else 404."""
    try:
        return Attachment.objects.select_related("notice").get(
            pk=pk, notice__publisher=viewer.organization
        )
    except Attachment.DoesNotExist:
        raise Http404 from None


def revision_list(*, notice: Notice) -> list[NoticeRevision]:
    """The revisions of a notice, newest first, each with the HTML diff to the one before."""
    revisions = list(
        NoticeRevision.objects.filter(notice=notice).select_related("edited_by").order_by("-number")
    )
    for newer, older in zip(revisions, [*revisions[1:], None], strict=True):
        newer.diff_html = revision_diff(older, newer) if older is not None else ""  # type: ignore[attr-defined]
    return revisions


def _revision_text(revision: NoticeRevision) -> list[str]:
    lines = [revision.title, ""]
    if revision.summary:
        lines += [revision.summary, ""]
    return lines + revision.body_md.splitlines()


_DIFF_LINE = {
    "ins": '<ins class="tz-diff-line tz-diff-ins">{}</ins>',
    "del": '<del class="tz-diff-line tz-diff-del">{}</del>',
    "div": '<div class="tz-diff-line">{}</div>',
}


def revision_diff(older: NoticeRevision, newer: NoticeRevision) -> SafeString:
    """A line diff of the text between two revisions, as escaped HTML (`<ins>`/`<del>`)."""
    rows: list[tuple[str, str]] = []
    for line in difflib.unified_diff(
        _revision_text(older), _revision_text(newer), lineterm="", n=1
    ):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            rows.append(("div", "…"))
        else:
            tag = {"+": "ins", "-": "del"}.get(line[:1], "div")
            rows.append((tag, line[1:] or "\u00a0"))
    if not rows:
        return format_html(
            '<p class="text-secondary small mb-0">{}</p>', _("The text did not change.")
        )
    return format_html_join("", "{}", ((format_html(_DIFF_LINE[t], x),) for t, x in rows))


@dataclass
class AudienceSummary:
    kind_label: str
    associations: list[str]
    sectors: list[str]
    districts: list[str]
    delivered: int
    read: int


def audience_summary(*, notice: Notice) -> AudienceSummary:
    """Whom a notice is addressed to, and how many received and opened it."""
    counts: dict[str, Any] = Receipt.objects.filter(notice=notice).aggregate(
        delivered=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False))
    )
    return AudienceSummary(
        kind_label=str(AudienceKind(notice.audience_kind).label),
        associations=[o.name for o in notice.audience_associations.order_by("name")],
        sectors=[s.label for s in notice.audience_sectors.all()],
        districts=[d.label for d in notice.audience_districts.all()],
        delivered=counts["delivered"] or 0,
        read=counts["read"] or 0,
    )


def audience_size(*, notice: Notice) -> int:
    """How many would receive the notice if it were published now."""
    if notice.audience_kind == AudienceKind.EMPLOYEES:
        return audience_employees(notice=notice).count()
    return audience_organizations(notice=notice).count()
