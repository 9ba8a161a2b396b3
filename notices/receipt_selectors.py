"""Reads of receipts: an organisation's desk of received notices, and the progress of what
it sent down the cascade.

Who sees which receipts (`receipt_visible`):

- the recipient organisation sees its own receipts;
- a sender sees the receipts of what it sent: the publisher of a notice, of the notice it
  relays (`parent`) and of the original at the top (`root`) — so the federation follows
  the whole chain under its directive, and an association its relay (and its own
  receipt, as a recipient);
- receipts of employees (an enterprise's notice to its staff) are seen by that enterprise
  only; associations and the federation see organisations, never people.

Progress is counted in the database with conditional aggregates, one query per table
(totals, per association, per sector), whatever the size of the audience.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import RoleGrant
from notices.models import Attachment, AudienceKind, Category, Evidence, Notice, Receipt
from orgs.models import Organization, OrganizationKind, Sector

if TYPE_CHECKING:
    from workforce.models import Employee

# Notices whose receipts a desk shows: published ones, and withdrawn ones (marked so).
DESK_STATUSES = (Notice.Status.PUBLISHED, Notice.Status.WITHDRAWN)

# The lists of those who have not (yet) done something, as tabs of the progress page.
NON_RESPONDER_KINDS = ("unread", "ack", "attest", "relay", "overdue")

# Desk tabs.
DESK_TABS = ("todo", "unread", "overdue", "all")


def receipt_visible(*, viewer: RoleGrant) -> QuerySet[Receipt]:
    """Every receipt the viewer may see: its own, and those of what it sent (the chain)."""
    org = viewer.organization
    qs = Receipt.objects.filter(
        Q(organization=org)
        | Q(notice__publisher=org)
        | Q(notice__parent__publisher=org)
        | Q(root__publisher=org)
    )
    if not org.is_enterprise:
        qs = qs.filter(employee__isnull=True)
    else:
        # An enterprise sees its staff's receipts of its own notices, nobody else's staff.
        qs = qs.filter(Q(employee__isnull=True) | Q(employee__enterprise=org))
    return qs


def relay_case(receipt: Receipt) -> bool:
    """Whether this receipt's recipient is asked to relay (an association, a relay asked)."""
    org = receipt.organization
    return bool(
        receipt.notice.asks_relay and org is not None and org.kind == OrganizationKind.ASSOCIATION
    )


def asked_of(receipt: Receipt) -> list[str]:
    """What the notice asks of this recipient: some of "ack", "attest", "relay".

    An association receiving a directive to relay is asked to relay it (and to acknowledge
    it, when asked); proof of implementation is asked of those who carry it out."""
    notice = receipt.notice
    asked = []
    if notice.requires_ack:
        asked.append("ack")
    if relay_case(receipt):
        asked.append("relay")
    elif notice.requires_attestation:
        asked.append("attest")
    return asked


def missing_of(receipt: Receipt) -> list[str]:
    """What is still missing of what the notice asks of this recipient."""
    done = {
        "ack": receipt.acknowledged_at is not None,
        "attest": receipt.attested_at is not None,
        "relay": receipt.relayed_as_id is not None,
    }
    return [kind for kind in asked_of(receipt) if not done[kind]]


def lacking_q(notice: Notice) -> Q | None:
    """Receipts of `notice` still lacking a response it asks for (None: it asks nothing)."""
    parts: list[Q] = []
    relay = Q(organization__kind=OrganizationKind.ASSOCIATION)
    if notice.requires_ack:
        parts.append(Q(acknowledged_at__isnull=True))
    if notice.asks_relay:
        parts.append(relay & Q(relayed_as__isnull=True))
        if notice.requires_attestation:
            parts.append(~relay & Q(attested_at__isnull=True))
    elif notice.requires_attestation:
        parts.append(Q(attested_at__isnull=True))
    if not parts:
        return None
    result = parts[0]
    for part in parts[1:]:
        result |= part
    return result


def _todo_q(org: Organization) -> Q:
    """Received notices awaiting something from `org`: unread, or an asked response missing."""
    awaiting = Q(read_at__isnull=True) | Q(notice__requires_ack=True, acknowledged_at__isnull=True)
    if org.is_association:
        awaiting |= Q(notice__asks_relay=True, relayed_as__isnull=True)
        awaiting |= Q(
            notice__asks_relay=False, notice__requires_attestation=True, attested_at__isnull=True
        )
    else:
        awaiting |= Q(notice__requires_attestation=True, attested_at__isnull=True)
    return awaiting & Q(notice__status=Notice.Status.PUBLISHED)


def desk_list(
    *, viewer: RoleGrant, tab: str = "all", category: str = "", search: str = ""
) -> QuerySet[Receipt]:
    """The notices the viewer's organisation received, newest first (the desk's index)."""
    org = viewer.organization
    qs = Receipt.objects.filter(organization=org, notice__status__in=DESK_STATUSES)
    if tab == "todo":
        qs = qs.filter(_todo_q(org))
    elif tab == "unread":
        qs = qs.filter(read_at__isnull=True)
    elif tab == "overdue":
        qs = qs.filter(overdue_at__isnull=False)
    if category in Category.values:
        qs = qs.filter(notice__category=category)
    if search:
        qs = qs.filter(notice__title__icontains=search)
    return qs.select_related(
        "notice", "notice__publisher", "notice__parent", "notice__parent__publisher"
    ).order_by("-delivered_at", "-id")


def desk_counts(*, viewer: RoleGrant) -> dict[str, int]:
    """How many received notices are in each desk tab, in one query."""
    org = viewer.organization
    counts = Receipt.objects.filter(organization=org, notice__status__in=DESK_STATUSES).aggregate(
        all=Count("pk"),
        todo=Count("pk", filter=_todo_q(org)),
        unread=Count("pk", filter=Q(read_at__isnull=True)),
        overdue=Count("pk", filter=Q(overdue_at__isnull=False)),
    )
    return {key: int(value or 0) for key, value in counts.items()}


def desk_unanswered_count(*, viewer: RoleGrant) -> int:
    """Received notices still awaiting the organisation (for a badge on the home page)."""
    return desk_counts(viewer=viewer)["todo"]


def receipt_get(*, viewer: RoleGrant, pk: int) -> Receipt:
    """One receipt the viewer may see (recipient or sender chain), else 404."""
    try:
        return (
            receipt_visible(viewer=viewer)
            .select_related(
                "organization",
                "sector",
                "district",
                "notice",
                "notice__publisher",
                "notice__parent",
                "notice__parent__publisher",
                "root",
                "root__publisher",
                "relayed_as",
                "acknowledged_by",
                "attested_by",
                "read_by",
            )
            .get(pk=pk)
        )
    except Receipt.DoesNotExist:
        raise Http404 from None


def is_recipient(*, viewer: RoleGrant, receipt: Receipt) -> bool:
    """Whether the viewer acts for the organisation that received this receipt."""
    return receipt.organization_id is not None and receipt.organization_id == viewer.organization_id


def evidence_list(*, receipt: Receipt) -> QuerySet[Evidence]:
    """The files attached to an attestation (the receipt was fetched through a selector)."""
    return Evidence.objects.filter(receipt=receipt).order_by("id")


def evidence_get(*, viewer: RoleGrant, pk: int) -> Evidence:
    """One evidence file: for the recipient and the sender chain, else 404."""
    try:
        return Evidence.objects.select_related("receipt").get(
            pk=pk, receipt__in=receipt_visible(viewer=viewer).values("pk")
        )
    except Evidence.DoesNotExist:
        raise Http404 from None


def sent_notice_list(*, viewer: RoleGrant) -> QuerySet[Notice]:
    """Notices whose progress the viewer may follow: sent by it or relayed from them."""
    org = viewer.organization
    return Notice.objects.filter(
        Q(publisher=org) | Q(parent__publisher=org) | Q(root__publisher=org),
        status__in=(*DESK_STATUSES, Notice.Status.SCHEDULED),
    )


def sent_notice_get(*, viewer: RoleGrant, pk: int) -> Notice:
    """A notice for its progress page (the sender chain only), else 404."""
    try:
        return (
            sent_notice_list(viewer=viewer)
            .select_related("publisher", "parent", "parent__publisher", "root")
            .get(pk=pk)
        )
    except Notice.DoesNotExist:
        raise Http404 from None


# --- progress -------------------------------------------------------------------------


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class Counts:
    """How many receipts were delivered, read, acknowledged, attested, relayed, overdue."""

    delivered: int = 0
    read: int = 0
    acknowledged: int = 0
    attested: int = 0
    relayed: int = 0
    overdue: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Counts:
        return cls(**{name: int(row.get(name) or 0) for name in _COUNT_NAMES})

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{n: getattr(self, n) + getattr(other, n) for n in _COUNT_NAMES})

    @property
    def unread(self) -> int:
        return self.delivered - self.read

    @property
    def unacknowledged(self) -> int:
        return self.delivered - self.acknowledged

    @property
    def read_pct(self) -> float:
        return _pct(self.read, self.delivered)

    @property
    def acknowledged_pct(self) -> float:
        return _pct(self.acknowledged, self.delivered)

    @property
    def attested_pct(self) -> float:
        return _pct(self.attested, self.delivered)

    @property
    def relayed_pct(self) -> float:
        return _pct(self.relayed, self.delivered)

    @property
    def overdue_pct(self) -> float:
        return _pct(self.overdue, self.delivered)

    def as_dict(self) -> dict[str, int | float]:
        data: dict[str, int | float] = {n: getattr(self, n) for n in _COUNT_NAMES}
        for name in ("read", "acknowledged", "attested", "relayed", "overdue"):
            data[f"{name}_pct"] = getattr(self, f"{name}_pct")
        return data


_COUNT_NAMES = ("delivered", "read", "acknowledged", "attested", "relayed", "overdue")


def _aggregates() -> dict[str, Count]:
    return {
        "delivered": Count("pk"),
        "read": Count("pk", filter=Q(read_at__isnull=False)),
        "acknowledged": Count("pk", filter=Q(acknowledged_at__isnull=False)),
        "attested": Count("pk", filter=Q(attested_at__isnull=False)),
        "relayed": Count("pk", filter=Q(relayed_as__isnull=False)),
        "overdue": Count("pk", filter=Q(overdue_at__isnull=False)),
    }


@dataclass(frozen=True)
class AssociationRow:
    """One association's part of a directive it was asked to relay: its own receipt, and
    what its members did with its relay (None until it relayed)."""

    receipt: Receipt
    members: Counts | None


@dataclass(frozen=True)
class SectorRow:
    sector: Sector | None
    counts: Counts


@dataclass(frozen=True)
class Progress:
    """What became of a notice: its own recipients (`direct`), and for a directive relayed
    by associations the receipts below them (`chain`), per association and per sector."""

    notice: Notice
    direct: Counts
    chain: Counts | None = None
    associations: list[AssociationRow] = field(default_factory=list)
    sectors: list[SectorRow] = field(default_factory=list)
    # The level the sector table and the default non-responder lists count.
    level: str = "direct"
    to_employees: bool = False

    @property
    def bottom(self) -> Counts:
        """The counts of those who carry the notice out (the chain when relayed)."""
        return self.chain if self.chain is not None else self.direct


def _is_root(notice: Notice) -> bool:
    return notice.parent_id is None


def _scoped(viewer: RoleGrant, qs: QuerySet[Receipt]) -> QuerySet[Receipt]:
    """People's receipts only for the enterprise that sent to its own staff."""
    if viewer.organization.is_enterprise:
        return qs.filter(Q(employee__isnull=True) | Q(employee__enterprise=viewer.organization))
    return qs.filter(employee__isnull=True)


def direct_receipts(*, viewer: RoleGrant, notice: Notice) -> QuerySet[Receipt]:
    """Receipts of the notice itself (the notice was fetched with `sent_notice_get`)."""
    return _scoped(viewer, Receipt.objects.filter(notice=notice))


def chain_receipts(*, viewer: RoleGrant, notice: Notice) -> QuerySet[Receipt]:
    """Receipts of the relays of the notice (and their relays, under a root)."""
    if _is_root(notice):
        qs = Receipt.objects.filter(root=notice).exclude(notice=notice)
    else:
        qs = Receipt.objects.filter(notice__parent=notice)
    return _scoped(viewer, qs)


def notice_progress(*, viewer: RoleGrant, notice: Notice) -> Progress:
    """Counts and percentages of a sent notice (fetched with `sent_notice_get`).

    Three aggregate queries at most (the notice's own receipts; the relays' receipts per
    relay; the bottom level per sector), plus the association and sector names."""
    direct_qs = direct_receipts(viewer=viewer, notice=notice)
    direct = Counts.from_row(direct_qs.aggregate(**_aggregates()))
    to_employees = notice.audience_kind == AudienceKind.EMPLOYEES
    if not notice.asks_relay:
        sectors = [] if to_employees else _sector_rows(direct_qs)
        return Progress(notice=notice, direct=direct, sectors=sectors, to_employees=to_employees)
    chain_qs = chain_receipts(viewer=viewer, notice=notice)
    per_relay = {
        row["notice_id"]: Counts.from_row(row)
        for row in chain_qs.order_by().values("notice_id").annotate(**_aggregates())
    }
    chain = sum(per_relay.values(), Counts())
    direct_rows = (
        direct_qs.filter(organization__isnull=False)
        .select_related("organization", "relayed_as")
        .order_by("organization__name", "pk")
    )
    associations = [
        AssociationRow(
            receipt=receipt,
            members=per_relay.get(receipt.relayed_as_id, Counts())
            if receipt.relayed_as_id is not None
            else None,
        )
        for receipt in direct_rows
    ]
    return Progress(
        notice=notice,
        direct=direct,
        chain=chain,
        associations=associations,
        sectors=_sector_rows(chain_qs),
        level="chain",
    )


def _sector_rows(qs: QuerySet[Receipt]) -> list[SectorRow]:
    rows = list(
        qs.filter(organization__isnull=False)
        .order_by()
        .values("sector_id")
        .annotate(**_aggregates())
    )
    if not rows:
        return []
    names = Sector.objects.in_bulk([r["sector_id"] for r in rows if r["sector_id"]])
    result = [SectorRow(sector=names.get(r["sector_id"]), counts=Counts.from_row(r)) for r in rows]
    return sorted(
        result, key=lambda row: (row.sector is None, -row.counts.delivered, str(row.sector))
    )


def non_responders(
    *,
    viewer: RoleGrant,
    notice: Notice,
    kind: str,
    level: str = "direct",
    relay: int | None = None,
    sector: str = "",
) -> QuerySet[Receipt]:
    """Receipts of a sent notice whose recipients have not done `kind` (or, for "overdue",
    were flagged overdue), in delivery order (the primary key: index-friendly paging).

    `level` "chain" lists the relays' recipients, filtered by one relay and/or a sector."""
    if kind not in NON_RESPONDER_KINDS:
        kind = "ack"
    if level == "chain" and notice.asks_relay:
        qs = chain_receipts(viewer=viewer, notice=notice)
        if relay is not None:
            qs = qs.filter(notice_id=relay)
    else:
        qs = direct_receipts(viewer=viewer, notice=notice)
    if sector:
        qs = qs.filter(sector_id=sector)
    condition = {
        "unread": Q(read_at__isnull=True),
        "ack": Q(acknowledged_at__isnull=True),
        "attest": Q(attested_at__isnull=True),
        "relay": Q(relayed_as__isnull=True),
        "overdue": Q(overdue_at__isnull=False),
    }[kind]
    related = ["organization", "sector", "notice__publisher"]
    if viewer.organization.is_enterprise:
        related.append("employee")
    return qs.filter(condition).select_related(*related).order_by("pk")


def relays_of(*, notice: Notice, ids: Iterable[int]) -> dict[int, Notice]:
    """Relay notices by id, with their publishers (for filter choices and labels)."""
    return Notice.objects.filter(pk__in=list(ids)).select_related("publisher").in_bulk()


def chain_of(notice: Notice, *, with_files: bool = False) -> list[Notice]:
    """The notice and the notices it relays, from the original down (publishers loaded);
    with `with_files`, each carries its attachments as `files`."""
    chain = [notice]
    current = notice
    while current.parent_id is not None and len(chain) < 5:
        parent = Notice.objects.select_related("publisher", "parent__publisher").get(
            pk=current.parent_id
        )
        chain.insert(0, parent)
        current = parent
    if with_files:
        files: dict[int, list[Attachment]] = {n.pk: [] for n in chain}
        for attachment in Attachment.objects.filter(notice__in=list(files)).order_by("pk"):
            files[attachment.notice_id].append(attachment)
        for n in chain:
            n.files = files[n.pk]  # type: ignore[attr-defined]
    return chain


def attachment_get(*, viewer: RoleGrant, pk: int) -> Attachment:
    """A file of a notice the viewer received (directly or through a relay) or sent, else
    404: a relay's recipients read the original's files too."""
    attachment = Attachment.objects.select_related("notice").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    notice_id = attachment.notice_id
    in_chain = Q(notice_id=notice_id) | Q(notice__parent_id=notice_id) | Q(root_id=notice_id)
    sent = Notice.objects.filter(pk=notice_id, publisher=viewer.organization).exists()
    if sent or receipt_visible(viewer=viewer).filter(in_chain).exists():
        return attachment
    raise Http404


def personal_attachment_get(*, employee: Employee, pk: int) -> Attachment:
    """A file of a notice the employee received, else 404."""
    try:
        return Attachment.objects.get(
            pk=pk,
            notice__in=Receipt.objects.filter(
                employee=employee, notice__status__in=DESK_STATUSES
            ).values("notice_id"),
        )
    except Attachment.DoesNotExist:
        raise Http404 from None


# --- an employee's own notices (personal link) -----------------------------------------


def personal_receipt_list(*, employee: Employee) -> QuerySet[Receipt]:
    """Notices the employee received from their enterprise, newest first."""
    return (
        Receipt.objects.filter(employee=employee, notice__status__in=DESK_STATUSES)
        .select_related("notice", "notice__publisher")
        .order_by("-delivered_at", "-id")
    )


def personal_receipt_get(*, employee: Employee, notice_pk: int) -> Receipt:
    """The employee's receipt of one notice, else 404."""
    try:
        return personal_receipt_list(employee=employee).get(notice_id=notice_pk)
    except Receipt.DoesNotExist:
        raise Http404 from None
