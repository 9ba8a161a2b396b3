"""Reads for the public site: only what anyone may see, nothing internal.

A notice is public when it is marked for the news centre (`is_public`), published, its
publication time has come, it was published by the federation or an association (an
enterprise writes for its own staff only), and it is not a relay (a relay repeats its
original, which is the one to show). Internal fields (audience, author, deadlines, the
Markdown source) are never loaded.

Organisations leave this module as `PublicOrganization`, which carries only the public
profile: name, short name, introduction, sector, address, website, public phone, the
contact person of an association or the federation, and the count of active members.
Enterprises are not in the public directory, and no contact mobile leaves here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from notices.models import Attachment, Category, Notice
from orgs.models import MembershipStatus, Organization, OrganizationKind

# The order of the categories in the news centre's tabs and on the home page.
CATEGORY_ORDER: tuple[Category, ...] = (
    Category.NEWS,
    Category.POLICY,
    Category.GOVERNMENT,
    Category.INITIATIVE,
    Category.DIRECTIVE,
    Category.PRACTICE,
    Category.RUMOUR,
)
PUBLISHER_KINDS = (OrganizationKind.FEDERATION, OrganizationKind.ASSOCIATION)

_PUBLISHER_FIELDS = (
    "publisher__id",
    "publisher__name",
    "publisher__short_name",
    "publisher__kind",
)
_LIST_FIELDS = (
    "id",
    "category",
    "title",
    "summary",
    "published_at",
    "updated_at",
    "valid_until",
    "publisher",
    *_PUBLISHER_FIELDS,
)
_DETAIL_FIELDS = (
    *_LIST_FIELDS,
    "body_html",
    "source_url",
    "source_name",
    "verified_by",
)


def _public_notices() -> QuerySet[Notice]:
    return Notice.objects.filter(
        is_public=True,
        status=Notice.Status.PUBLISHED,
        published_at__lte=timezone.now(),
        publisher__kind__in=PUBLISHER_KINDS,
        parent__isnull=True,
    )


def is_public_category(value: str) -> bool:
    return value in Category.values


def notice_public_list(
    *, category: str = "", publisher_id: int | None = None, with_body: bool = False
) -> QuerySet[Notice]:
    """Public notices, newest first, optionally of one category or one publisher."""
    qs = _public_notices()
    if category:
        qs = qs.filter(category=category)
    if publisher_id is not None:
        qs = qs.filter(publisher_id=publisher_id)
    fields = (*_LIST_FIELDS, "body_html") if with_body else _LIST_FIELDS
    return qs.select_related("publisher").only(*fields).order_by("-published_at", "-id")


def notice_public_latest_by_category(*, per_category: int = 5) -> dict[str, list[Notice]]:
    """The latest public notices of every category, in one query."""
    rank = Window(
        RowNumber(),
        partition_by=[F("category")],
        order_by=[F("published_at").desc(), F("id").desc()],
    )
    rows = (
        notice_public_list()
        .annotate(rank=rank)
        .filter(rank__lte=per_category)
        .order_by("category", "rank")
    )
    latest: dict[str, list[Notice]] = {category.value: [] for category in CATEGORY_ORDER}
    for notice in rows:
        latest.setdefault(notice.category, []).append(notice)
    return latest


def notice_public_get(*, pk: int) -> Notice:
    """One public notice with its attachments, else 404."""
    attachments = Attachment.objects.only("id", "notice_id", "name", "size", "content_type")
    try:
        return (
            _public_notices()
            .select_related("publisher")
            .only(*_DETAIL_FIELDS)
            .prefetch_related(Prefetch("attachments", queryset=attachments))
            .get(pk=pk)
        )
    except Notice.DoesNotExist:
        raise Http404 from None


def notice_withdrawn_get(*, pk: int) -> Notice | None:
    """A notice that was public and has been withdrawn (for a "410 Gone" page), or None.

    Only the date and the stated reason are loaded: the withdrawn text is not shown.
    """
    return (
        Notice.objects.filter(
            pk=pk,
            is_public=True,
            status=Notice.Status.WITHDRAWN,
            published_at__isnull=False,
            publisher__kind__in=PUBLISHER_KINDS,
            parent__isnull=True,
        )
        .only("id", "category", "withdrawn_at", "withdrawn_reason")
        .first()
    )


def notice_public_neighbours(*, notice: Notice) -> tuple[Notice | None, Notice | None]:
    """The next newer and the next older public notice of the same category."""
    same = notice_public_list(category=notice.category).exclude(pk=notice.pk)
    assert notice.published_at is not None  # a public notice is always published
    newer = (
        same.filter(
            Q(published_at__gt=notice.published_at)
            | Q(published_at=notice.published_at, id__gt=notice.pk)
        )
        .order_by("published_at", "id")
        .first()
    )
    older = same.filter(
        Q(published_at__lt=notice.published_at)
        | Q(published_at=notice.published_at, id__lt=notice.pk)
    ).first()
    return newer, older


def notice_public_search(*, query: str) -> QuerySet[Notice]:
    """Public notices whose title, summary or text contains the query, newest first."""
    if not query:
        return Notice.objects.none()
    return notice_public_list(with_body=True).filter(
        Q(title__icontains=query) | Q(summary__icontains=query) | Q(body_md__icontains=query)
    )


def attachment_public_get(*, notice_pk: int, pk: int) -> Attachment:
    """An attachment of a public notice, else 404."""
    try:
        return Attachment.objects.get(pk=pk, notice_id=notice_pk, notice__in=_public_notices())
    except Attachment.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class PublicOrganization:
    """The public profile of the federation or an association."""

    pk: int
    kind: str
    name: str
    short_name: str
    description: str
    sector_label: str
    address: str
    website: str
    phone: str
    contact_name: str
    member_count: int

    @property
    def is_federation(self) -> bool:
        return self.kind == OrganizationKind.FEDERATION

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


def _public_organizations() -> QuerySet[Organization]:
    return (
        Organization.objects.filter(kind__in=PUBLISHER_KINDS)
        .select_related("sector")
        .only(
            "id",
            "kind",
            "name",
            "short_name",
            "description",
            "address",
            "website",
            "phone",
            "contact_name",
            "sector__code",
            "sector__name",
            "sector__name_zh_hant",
            "sector__name_en",
        )
        .annotate(
            member_count=Count(
                "member_links", filter=Q(member_links__status=MembershipStatus.ACTIVE)
            )
        )
    )


def _profile(org: Organization, *, member_count: int) -> PublicOrganization:
    return PublicOrganization(
        pk=org.pk,
        kind=org.kind,
        name=org.name,
        short_name=org.short_name,
        description=org.description,
        sector_label=org.sector.label if org.sector else "",
        address=org.address,
        website=org.website if org.website.lower().startswith(("https://", "http://")) else "",
        phone=org.phone,
        contact_name=org.contact_name,
        member_count=member_count,
    )


def organization_public_list() -> list[PublicOrganization]:
    """The federation first, then its associations by name, with their active members
    (for the federation: its associations), in one query."""
    rows = list(_public_organizations().order_by("name", "id"))
    associations = [org for org in rows if org.kind == OrganizationKind.ASSOCIATION]
    federations = [org for org in rows if org.kind == OrganizationKind.FEDERATION]
    return [_profile(org, member_count=len(associations)) for org in federations] + [
        _profile(org, member_count=org.member_count)  # type: ignore[attr-defined]
        for org in associations
    ]


def organization_public_get(*, pk: int) -> PublicOrganization:
    """The public profile of the federation or one association, else 404."""
    try:
        org = _public_organizations().get(pk=pk)
    except Organization.DoesNotExist:
        raise Http404 from None
    count = org.member_count  # type: ignore[attr-defined]
    if org.kind == OrganizationKind.FEDERATION:
        count = Organization.objects.filter(kind=OrganizationKind.ASSOCIATION).count()
    return _profile(org, member_count=count)


def site_name() -> str:
    """The name the public site goes by: the federation's short name, else its name."""
    row = (
        Organization.objects.filter(kind=OrganizationKind.FEDERATION)
        .order_by("id")
        .values_list("short_name", "name")
        .first()
    )
    return (row[0] or row[1]) if row else ""
