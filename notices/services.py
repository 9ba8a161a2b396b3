"""Writes on the publishing side of notices: compose, edit (with revisions), publish now or
on a schedule, withdraw, attach files, and deliver to the audience.

Decisions:

- **Drafts have no history; published notices do.** Editing a draft or a scheduled notice
  rewrites its one revision; each edit after publication adds a numbered revision with a
  "what changed" note, shown to the publisher and the recipients with a text diff.
- **After publication the audience and what is asked are fixed** (whom it reached, and
  acknowledgement, attestation, relay): changing them would change the meaning of the
  receipts already delivered. The text, the source, the deadline and public visibility
  may change. To reach others, publish a new notice.
- **Delivery is bulk.** One INSERT … SELECT writes a receipt for every recipient that has
  none yet (the database copies sector and district), one query finds the people to tell
  and one `notify_send` call tells them all (inbox and email for the admins and staff of
  each recipient organisation, its group robots) under the key `notice:<pk>`; the message
  links to the recipients' desk, since one message cannot carry a link per receipt.
  Delivering twice delivers nothing new. Employees (an enterprise's notice to its staff)
  get an SMS each with their own personal link, so there is one `notify_send` call per
  employee (key `notice:<pk>:emp:<employee>`).
- **Scheduled notices are checked again when they fall due**; one that no longer passes
  (the deadline passed meanwhile, nobody left in the audience) goes back to draft and the
  author is told why.
- A relay (an association passing a directive to its members, `parent`) inherits the
  original's deadline and valid-until date: a late relay is still delivered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from lib import crypto
from lib.periodic import periodic
from lib.uploads import ATTACHMENT_KINDS, save_with_file, upload_check
from notices.markdown import clean_line, clean_text, plain_text, render_markdown
from notices.models import (
    SOURCED_CATEGORIES,
    Attachment,
    AudienceKind,
    Category,
    Notice,
    NoticeRevision,
    Receipt,
)
from notices.selectors import (
    audience_employees,
    audience_organizations,
    audience_scope,
    audience_size,
)
from notify.models import Channel, ChannelConfig
from notify.services import Message, Recipient, notify_send
from orgs.models import Division, Organization, Sector
from workforce.links import link_token

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from workforce.models import Employee


__all__ = [
    "NoticeInput",
    "attachment_add",
    "attachment_delete",
    "audience_organizations",
    "notice_create",
    "notice_deliver",
    "notice_input_from",
    "notice_notify",
    "notice_publish",
    "notice_unschedule",
    "notice_update",
    "notice_withdraw",
    "publish_due",
]

BODY_MAX = 100_000
MAX_ATTACHMENTS = 20
RECEIPT_BATCH = 1000
# Up to this many new recipient organisations are told at once; more, by the worker.
NOTIFY_INLINE_MAX = 2000
_WRITER_ROLES = (Role.ADMIN, Role.STAFF)
_ORG_CHANNELS = (Channel.INBOX, Channel.EMAIL, Channel.WECOM, Channel.DINGTALK)
# Fixed once published: they decide who was asked what.
_LOCKED_AFTER_PUBLISH = (
    "audience_kind",
    "audience_associations",
    "audience_sectors",
    "audience_districts",
    "requires_ack",
    "requires_attestation",
    "asks_relay",
)
_TEXT_FIELDS = ("title", "summary", "body_md")
_OTHER_FIELDS = (
    "category",
    "is_public",
    "source_url",
    "source_name",
    "verified_by",
    "valid_until",
    "audience_kind",
    "requires_ack",
    "requires_attestation",
    "asks_relay",
    "deadline",
)


def attachment_max_bytes() -> int:
    """The size limit of one attachment (setting NOTICE_ATTACHMENT_MAX_BYTES, 20 MB)."""
    return int(getattr(settings, "NOTICE_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))


@dataclass(frozen=True)
class NoticeInput:
    """What a publisher fills in for a notice, before validation."""

    category: str
    title: str
    summary: str = ""
    body_md: str = ""
    is_public: bool = False
    source_url: str = ""
    source_name: str = ""
    verified_by: str = ""
    valid_until: dt.date | None = None
    audience_kind: str = AudienceKind.NONE
    audience_associations: Sequence[Organization] = ()
    audience_sectors: Sequence[Sector] = ()
    audience_districts: Sequence[Division] = ()
    requires_ack: bool = False
    requires_attestation: bool = False
    asks_relay: bool = False
    deadline: dt.datetime | None = None


def notice_input_from(notice: Notice) -> NoticeInput:
    """A notice's current values as input (to pre-fill a form or re-check it)."""
    return NoticeInput(
        category=notice.category,
        title=notice.title,
        summary=notice.summary,
        body_md=notice.body_md,
        is_public=notice.is_public,
        source_url=notice.source_url,
        source_name=notice.source_name,
        verified_by=notice.verified_by,
        valid_until=notice.valid_until,
        audience_kind=notice.audience_kind,
        audience_associations=tuple(notice.audience_associations.all()),
        audience_sectors=tuple(notice.audience_sectors.all()),
        audience_districts=tuple(notice.audience_districts.all()),
        requires_ack=notice.requires_ack,
        requires_attestation=notice.requires_attestation,
        asks_relay=notice.asks_relay,
        deadline=notice.deadline,
    )


# --- Validation -------------------------------------------------------------------------


@dataclass
class _Cleaned:
    fields: dict[str, Any]
    associations: list[Organization]
    sectors: list[Sector]
    districts: list[Division]


def _require_writer(actor: User, publisher: Organization) -> None:
    """Only the publisher's administrators and staff write its notices."""
    if not RoleGrant.objects.filter(
        user=actor, organization=publisher, role__in=_WRITER_ROLES
    ).exists():
        raise PermissionDenied


def _unique(values: Sequence[Any]) -> list[Any]:
    return list({value.pk: value for value in values}.values())


def _inherited_deadline(deadline: dt.datetime | None, parent: Notice | None) -> bool:
    return parent is not None and deadline is not None and deadline == parent.deadline


def _same_minute(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    """Forms send times to the minute: an unchanged deadline comes back without seconds."""
    return a is not None and b is not None and abs((a - b).total_seconds()) < 60


def _clean(
    *,
    publisher: Organization,
    data: NoticeInput,
    parent: Notice | None,
    current_deadline: dt.datetime | None = None,
) -> _Cleaned:
    """Validate the input against the publisher's scope; every problem at once."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if data.category not in Category.values:
        error("category", _("Choose a category."))
    title = clean_line(data.title, max_length=10_000)
    if not title:
        error("title", _("Give the notice a title."))
    elif len(title) > 200:
        error("title", _("Keep the title under 200 characters."))
    summary = clean_line(data.summary, max_length=10_000)
    if len(summary) > 300:
        error("summary", _("Keep the summary under 300 characters."))
    body = clean_text(data.body_md, multiline=True)
    if len(body) > BODY_MAX:
        error("body_md", _("The text is too long (at most 100,000 characters)."))

    source_url = (data.source_url or "").strip()
    if source_url:
        try:
            URLValidator(schemes=["http", "https"])(source_url)
            if len(source_url) > 500:
                raise ValidationError("too long")
        except ValidationError:
            error("source_url", _("Enter the official link, starting with https:// or http://."))
    source_name = clean_line(data.source_name, max_length=10_000)
    if len(source_name) > 120:
        error("source_name", _("Keep the source's name under 120 characters."))
    verified_by = clean_line(data.verified_by, max_length=10_000)
    if len(verified_by) > 60:
        error("verified_by", _("Keep the verifier's name under 60 characters."))

    scope = audience_scope(publisher=publisher, relay=parent is not None)
    kind = data.audience_kind
    if kind not in scope.kinds:
        error("audience_kind", _("Your organisation cannot address this audience."))
    associations = _unique(data.audience_associations)
    sectors = _unique(data.audience_sectors)
    districts = _unique(data.audience_districts)
    takes_associations = kind == AudienceKind.ASSOCIATIONS or (
        kind == AudienceKind.MEMBERS and publisher.is_federation
    )
    if not takes_associations:
        associations = []
    if kind != AudienceKind.MEMBERS:
        sectors, districts = [], []
    if kind == AudienceKind.ASSOCIATIONS and not associations:
        error("audience_associations", _("Choose at least one association."))
    if associations and scope.associations.filter(
        pk__in=[a.pk for a in associations]
    ).count() != len(associations):
        error(
            "audience_associations",
            _("You can only address associations within your reach."),
        )
    if sectors and scope.sectors.filter(pk__in=[s.pk for s in sectors]).count() != len(sectors):
        error("audience_sectors", _("Choose sectors among those of the enterprises you reach."))
    if districts and scope.districts.filter(pk__in=[d.pk for d in districts]).count() != len(
        districts
    ):
        error("audience_districts", _("Choose districts among those of the enterprises you reach."))
    if data.is_public and not scope.may_publish_publicly:
        error("is_public", _("Only the federation and associations publish to the news centre."))
    asks_relay = bool(data.asks_relay)
    if asks_relay and not (
        scope.may_ask_relay and kind in {AudienceKind.ALL_ASSOCIATIONS, AudienceKind.ASSOCIATIONS}
    ):
        error("asks_relay", _("Only a notice to associations can ask them to relay it."))
    if data.requires_attestation and kind == AudienceKind.EMPLOYEES:
        error(
            "requires_attestation",
            _("Proof of implementation is asked of organisations; employees acknowledge."),
        )
    deadline = data.deadline
    if _same_minute(deadline, current_deadline):
        deadline = current_deadline  # kept as it was, even when it has passed
    elif (
        deadline is not None
        and deadline <= timezone.now()
        and not _inherited_deadline(deadline, parent)
    ):
        error("deadline", _("The deadline has passed; choose a later one."))
    if errors:
        raise ValidationError(errors)
    return _Cleaned(
        fields={
            "category": data.category,
            "title": title,
            "summary": summary,
            "body_md": body,
            "is_public": bool(data.is_public),
            "source_url": source_url,
            "source_name": source_name,
            "verified_by": verified_by,
            "valid_until": data.valid_until,
            "audience_kind": kind,
            "requires_ack": bool(data.requires_ack),
            "requires_attestation": bool(data.requires_attestation),
            "asks_relay": asks_relay,
            "deadline": deadline,
        },
        associations=associations,
        sectors=sectors,
        districts=districts,
    )


def _publish_errors(notice: Notice, *, at: dt.datetime) -> dict[str, list[str]]:
    """What keeps a saved notice from going out at `at` (empty when it may)."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    try:
        _clean(publisher=notice.publisher, data=notice_input_from(notice), parent=notice.parent)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                error(field, message)
    relay = notice.parent
    if relay is not None and relay.status != Notice.Status.PUBLISHED:
        error("__all__", _("The notice this relays is no longer published."))
    if notice.category in SOURCED_CATEGORIES:
        if not notice.source_url:
            error("source_url", _("Policy and government information need the official link."))
        if not notice.source_name:
            error("source_name", _("Name the source (e.g. the issuing authority)."))
        if not notice.verified_by:
            error("verified_by", _("Say who checked the source."))
        if notice.valid_until is None:
            error("valid_until", _("Say until when this information is valid."))
        elif notice.valid_until < timezone.localdate(at) and not (
            relay is not None and notice.valid_until == relay.valid_until
        ):
            error("valid_until", _("The valid-until date has passed."))
    if (
        relay is None
        and not notice.body_md.strip()
        and not notice.summary
        and not notice.attachments.exists()
    ):
        error("body_md", _("Write the text of the notice or attach a file."))
    if (
        notice.deadline is not None
        and notice.deadline <= at
        and not _inherited_deadline(notice.deadline, relay)
    ):
        error("deadline", _("The deadline must be after the time of publication."))
    if notice.audience_kind == AudienceKind.NONE:
        if not notice.is_public:
            error(
                "audience_kind",
                _(
                    "The audience is empty: choose who receives the notice, or show it in the "
                    "public news centre."
                ),
            )
    elif "audience_kind" not in errors and audience_size(notice=notice) == 0:
        error(
            "audience_kind",
            _("The audience is empty: nobody matches these choices. Widen the audience."),
        )
    return errors


# --- Compose, edit, publish, withdraw ---------------------------------------------------


def _lock(notice: Notice) -> Notice:
    return (
        Notice.objects.select_for_update(of=("self",))
        .select_related("publisher", "parent")
        .get(pk=notice.pk)
    )


def _set_audience(notice: Notice, cleaned: _Cleaned) -> None:
    notice.audience_associations.set(cleaned.associations)
    notice.audience_sectors.set(cleaned.sectors)
    notice.audience_districts.set(cleaned.districts)


@transaction.atomic
def notice_create(
    *, actor: User, publisher: Organization, data: NoticeInput, parent: Notice | None = None
) -> Notice:
    """Save a draft. With `parent`, the draft relays that notice to the association's
    members (its root is the parent's root)."""
    _require_writer(actor, publisher)
    if parent is not None and not (
        publisher.is_association
        and parent.status == Notice.Status.PUBLISHED
        and parent.asks_relay
        and Receipt.objects.filter(notice=parent, organization=publisher).exists()
    ):
        raise ValidationError(
            _("Only an association asked to relay this notice can relay it."),
            code="not_asked",
        )
    cleaned = _clean(publisher=publisher, data=data, parent=parent)
    notice = Notice(publisher=publisher, author=actor, parent=parent, **cleaned.fields)
    notice.body_html = render_markdown(notice.body_md)
    if parent is not None:
        notice.emergency_id = parent.emergency_id
    else:
        from emergencies.selectors import emergency_current

        notice.emergency = emergency_current()
    notice.save()
    notice.root_id = (parent.root_id or parent.pk) if parent is not None else notice.pk
    notice.save(update_fields=["root"])
    _set_audience(notice, cleaned)
    NoticeRevision.objects.create(
        notice=notice,
        number=1,
        title=notice.title,
        summary=notice.summary,
        body_md=notice.body_md,
        edited_by=actor,
    )
    audit_record(
        actor=actor,
        action="notice.create",
        scope=publisher,
        obj=notice,
        changes={
            "category": notice.category,
            "audience_kind": notice.audience_kind,
            "parent": parent.pk if parent is not None else None,
        },
    )
    return notice


@transaction.atomic
def notice_update(
    *, actor: User, notice: Notice, data: NoticeInput, version: int, note: str = ""
) -> Notice:
    """Edit a notice. A stale `version` (someone saved in between) is refused. After
    publication each edit is a new revision with its note."""
    current = _lock(notice)
    _require_writer(actor, current.publisher)
    if current.version != version:
        raise ValidationError(
            _("Someone else changed this notice while you were editing. Reload and try again."),
            code="stale",
        )
    if current.status == Notice.Status.WITHDRAWN:
        raise ValidationError(_("A withdrawn notice cannot be edited."), code="withdrawn")
    cleaned = _clean(
        publisher=current.publisher,
        data=data,
        parent=current.parent,
        current_deadline=current.deadline if current.status == Notice.Status.PUBLISHED else None,
    )
    note = clean_line(note, max_length=300)
    published = current.status == Notice.Status.PUBLISHED
    if published:
        before_audience = {
            "audience_associations": {o.pk for o in current.audience_associations.all()},
            "audience_sectors": {s.pk for s in current.audience_sectors.all()},
            "audience_districts": {d.pk for d in current.audience_districts.all()},
        }
        after_audience = {
            "audience_associations": {o.pk for o in cleaned.associations},
            "audience_sectors": {s.pk for s in cleaned.sectors},
            "audience_districts": {d.pk for d in cleaned.districts},
        }
        locked = [
            name
            for name in _LOCKED_AFTER_PUBLISH
            if (
                before_audience[name] != after_audience[name]
                if name in before_audience
                else getattr(current, name) != cleaned.fields[name]
            )
        ]
        if locked:
            message = _(
                "This cannot change after publication; withdraw the notice and publish a new one."
            )
            raise ValidationError(
                {name: ValidationError(message, code="locked") for name in locked}
            )
    changed = [
        name
        for name in (*_TEXT_FIELDS, *_OTHER_FIELDS)
        if getattr(current, name) != cleaned.fields[name]
    ]
    for name, value in cleaned.fields.items():
        setattr(current, name, value)
    current.body_html = render_markdown(current.body_md)
    current.version += 1
    now = timezone.now()
    if published and (changed or note):
        current.revision += 1
        NoticeRevision.objects.create(
            notice=current,
            number=current.revision,
            title=current.title,
            summary=current.summary,
            body_md=current.body_md,
            note=note,
            edited_by=actor,
        )
    elif not published:
        NoticeRevision.objects.filter(notice=current, number=current.revision).update(
            title=current.title,
            summary=current.summary,
            body_md=current.body_md,
            note=note,
            edited_by=actor,
            edited_at=now,
        )
    current.save()
    if not published:
        _set_audience(current, cleaned)
    audit_record(
        actor=actor,
        action="notice.update",
        scope=current.publisher,
        obj=current,
        changes={"fields": changed, "revision": current.revision, "note": note},
    )
    return current


def _go_live(notice: Notice, *, actor: User | None, now: dt.datetime) -> None:
    notice.status = Notice.Status.PUBLISHED
    notice.published_at = now
    notice.version += 1
    notice.save(update_fields=["status", "published_at", "publish_at", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="notice.publish",
        scope=notice.publisher,
        obj=notice,
        changes={"scheduled_for": notice.publish_at.isoformat() if notice.publish_at else None},
    )


@transaction.atomic
def notice_publish(*, actor: User, notice: Notice, publish_at: dt.datetime | None = None) -> Notice:
    """Publish a draft now (and deliver it), or schedule it for `publish_at`."""
    current = _lock(notice)
    _require_writer(actor, current.publisher)
    if current.status not in {Notice.Status.DRAFT, Notice.Status.SCHEDULED}:
        raise ValidationError(
            _("Only a draft or a scheduled notice can be published."), code="status"
        )
    now = timezone.now()
    if publish_at is not None and publish_at <= now:
        raise ValidationError(
            {"publish_at": _("Choose a time in the future, or publish now.")}, code="past"
        )
    errors = _publish_errors(current, at=publish_at or now)
    if errors:
        raise ValidationError(errors, code="incomplete")
    if publish_at is not None:
        current.status = Notice.Status.SCHEDULED
        current.publish_at = publish_at
        current.version += 1
        current.save(update_fields=["status", "publish_at", "version", "updated_at"])
        audit_record(
            actor=actor,
            action="notice.schedule",
            scope=current.publisher,
            obj=current,
            changes={"publish_at": publish_at.isoformat()},
        )
        return current
    _go_live(current, actor=actor, now=now)
    notice_deliver(notice=current)
    current.refresh_from_db()
    return current


@transaction.atomic
def notice_unschedule(*, actor: User, notice: Notice) -> Notice:
    """Take a scheduled notice back to draft."""
    current = _lock(notice)
    _require_writer(actor, current.publisher)
    if current.status != Notice.Status.SCHEDULED:
        raise ValidationError(_("This notice is not scheduled."), code="status")
    current.status = Notice.Status.DRAFT
    current.publish_at = None
    current.version += 1
    current.save(update_fields=["status", "publish_at", "version", "updated_at"])
    audit_record(actor=actor, action="notice.unschedule", scope=current.publisher, obj=current)
    return current


@transaction.atomic
def notice_withdraw(*, actor: User, notice: Notice, reason: str) -> Notice:
    """Withdraw a published (or scheduled) notice. Receipts stay; recipients see that it
    was withdrawn and why, and the organisations are told in their inbox."""
    current = _lock(notice)
    _require_writer(actor, current.publisher)
    if current.status not in {Notice.Status.PUBLISHED, Notice.Status.SCHEDULED}:
        raise ValidationError(
            _("Only a published or scheduled notice can be withdrawn."), code="status"
        )
    reason = clean_line(reason, max_length=10_000)
    if not reason:
        raise ValidationError({"reason": _("Say why the notice is withdrawn.")}, code="required")
    if len(reason) > 300:
        raise ValidationError({"reason": _("Keep the reason under 300 characters.")})
    was_published = current.status == Notice.Status.PUBLISHED
    current.status = Notice.Status.WITHDRAWN
    current.withdrawn_at = timezone.now()
    current.withdrawn_reason = reason
    current.version += 1
    current.save(
        update_fields=["status", "withdrawn_at", "withdrawn_reason", "version", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="notice.withdraw",
        scope=current.publisher,
        obj=current,
        changes={"reason": reason},
    )
    if was_published and current.audience_kind != AudienceKind.EMPLOYEES:
        receipts = Receipt.objects.filter(notice=current, organization__isnull=False)
        with translation.override(settings.LANGUAGE_CODE):
            message = Message(
                subject=_("Withdrawn: %(title)s") % {"title": current.title},
                body=reason,
                url=_desk_url(current),
            )
        notify_send(
            key=f"notice:{current.pk}:withdrawn",
            message=message,
            recipients=_organization_recipients(receipts, robots=False),
            channels=(Channel.INBOX,),
            scope=current.publisher,
        )
    return current


# --- Delivery ---------------------------------------------------------------------------


def _desk_url(notice: Notice) -> str:
    """Where a recipient organisation reads the notice: its desk."""
    return reverse("desk:inbox")


def _organization_recipients(receipts: Any, *, robots: bool = True) -> list[Recipient]:
    """The admins and staff of the organisations holding `receipts` (a queryset), and
    those of them with group robots; two queries whatever the number of receipts."""
    org_ids = receipts.values("organization_id")
    grants = (
        RoleGrant.objects.filter(
            organization_id__in=org_ids, role__in=_WRITER_ROLES, user__is_active=True
        )
        .select_related("user", "organization")
        # Only what notify_send reads: 50,000 full users and organisations cost seconds.
        .only(
            "organization_id",
            "organization__id",
            "organization__name",
            "user__id",
            "user__mobile",
            "user__email",
            "user__name",
            "user__is_active",
        )
        .order_by("organization_id", "pk")
    )
    recipients = [Recipient(user=g.user, on_behalf_of=g.organization) for g in grants]
    if robots:
        # Only organisations that have a robot: notify_send looks their robots up by id.
        with_robots = Organization.objects.filter(
            Exists(ChannelConfig.objects.filter(organization=OuterRef("pk"), enabled=True)),
            pk__in=org_ids,
        ).order_by("pk")
        recipients += [Recipient(organization=org) for org in with_robots]
    return recipients


def _message(notice: Notice, *, url: str) -> Message:
    category = Category(notice.category).label
    subject = _("[%(category)s] %(title)s") % {"category": category, "title": notice.title}
    body = notice.summary or plain_text(notice.body_md, max_length=140)
    parts = [_("From %(publisher)s.") % {"publisher": notice.publisher.name}, body]
    if notice.deadline is not None:
        parts.append(
            _("Deadline: %(deadline)s.")
            % {
                "deadline": formats.date_format(
                    timezone.localtime(notice.deadline), "SHORT_DATETIME_FORMAT"
                )
            }
        )
    return Message(subject=subject, body=" ".join(p for p in parts if p), url=url)


def notice_deliver(*, notice: Notice) -> int:
    """Deliver a published notice to every recipient that has no receipt yet and tell
    them; returns how many receipts were created (0 when run again)."""
    with transaction.atomic():
        current = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("publisher")
            .filter(pk=notice.pk)
            .first()
        )
        if current is None or current.status != Notice.Status.PUBLISHED:
            return 0
        now = timezone.now()
        if current.audience_kind == AudienceKind.EMPLOYEES:
            count = _deliver_to_employees(current, now)
        else:
            count = _deliver_to_organizations(current, now)
        if count:
            audit_record(
                actor=None,
                action="notice.deliver",
                scope=current.publisher,
                obj=current,
                changes={"receipts": count},
            )
        return count


# Receipt columns written when delivering to organisations (the rest are NULL).
_RECEIPT_COLUMNS = (
    "notice_id",
    "root_id",
    "organization_id",
    "sector_id",
    "district_id",
    "delivered_at",
    "attestation_note",
    "reminder_count",
)


def _insert_receipts(notice: Notice, recipients: QuerySet[Organization], now: dt.datetime) -> int:
    """One INSERT … SELECT: the database copies each recipient's id, sector and district
    into a new receipt, so 50,000 receipts cost one statement and no Python objects."""
    # In recipient order, so receipt ids follow the organisations (lists sort by them).
    source = recipients.order_by("pk").values_list("pk", "sector_id", "district_id")
    try:
        select_sql, select_params = source.query.sql_with_params()
    except EmptyResultSet:  # an audience that is nobody by construction
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in _RECEIPT_COLUMNS)
    # Identifiers are quoted constants and the source is Django's own SQL; values are params.
    sql = (
        f"INSERT INTO {quote(Receipt._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT %s, %s, src.*, %s, %s, %s FROM ({select_sql}) src"
    )
    delivered_at = connection.ops.adapt_datetimefield_value(now)
    params = (notice.pk, notice.root_id or notice.pk, delivered_at, "", 0, *select_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _deliver_to_organizations(notice: Notice, now: dt.datetime) -> int:
    delivered = Receipt.objects.filter(notice=notice, organization=OuterRef("pk"))
    recipients = audience_organizations(notice=notice).filter(~Exists(delivered))
    created = _insert_receipts(notice, recipients, now)
    if not created:
        return 0
    if created <= NOTIFY_INLINE_MAX:
        notice_notify(notice=notice, delivered_at=now)
    else:
        # Telling tens of thousands takes minutes: the background worker does it, after
        # the receipts are committed, so the publisher's page answers at once.
        from notices.publish_tasks import notify_delivery

        at = now.isoformat()
        transaction.on_commit(lambda: notify_delivery.enqueue(notice.pk, at))
    return created


def notice_notify(*, notice: Notice, delivered_at: dt.datetime) -> int:
    """Tell the organisations whose receipts were delivered at `delivered_at`: their admins
    and staff (inbox, email) and their group robots. Safe to run twice (notify's key);
    nothing is sent once the notice is withdrawn. Returns the deliveries queued."""
    if notice.status != Notice.Status.PUBLISHED:
        return 0
    fresh = Receipt.objects.filter(
        notice=notice, delivered_at=delivered_at, organization__isnull=False
    )
    with translation.override(settings.LANGUAGE_CODE):
        message = _message(notice, url=_desk_url(notice))
    return notify_send(
        key=f"notice:{notice.pk}",
        message=message,
        recipients=_organization_recipients(fresh),
        channels=_ORG_CHANNELS,
        scope=notice.publisher,
    )


def _deliver_to_employees(notice: Notice, now: dt.datetime) -> int:
    delivered = Receipt.objects.filter(notice=notice, employee=OuterRef("pk"))
    employees: list[Employee] = list(
        audience_employees(notice=notice)
        .filter(~Exists(delivered))
        .only("pk", "mobile_enc", "link_generation", "language")
        .order_by("pk")
    )
    if not employees:
        return 0
    publisher = notice.publisher
    Receipt.objects.bulk_create(
        [
            Receipt(
                notice=notice,
                root_id=notice.root_id or notice.pk,
                employee_id=employee.pk,
                sector_id=publisher.sector_id,
                district_id=publisher.district_id,
                delivered_at=now,
            )
            for employee in employees
        ],
        batch_size=RECEIPT_BATCH,
        ignore_conflicts=True,
    )
    for employee in employees:
        url = reverse("mynotices:detail", kwargs={"token": link_token(employee), "pk": notice.pk})
        with translation.override(employee.language or settings.LANGUAGE_CODE):
            message = _message(notice, url=url)
        # Decrypted only to hand to the SMS gateway; never logged or stored in clear.
        mobile = crypto.decrypt(employee.mobile_enc)
        notify_send(
            key=f"notice:{notice.pk}:emp:{employee.pk}",
            message=message,
            recipients=[Recipient(mobile=mobile)],
            channels=(Channel.SMS,),
            scope=publisher,
        )
    return len(employees)


# --- Scheduled publication ----------------------------------------------------------------

_DUE_BATCH = 50


@periodic("notices.publish_due")
def publish_due() -> int:
    """Publish the scheduled notices whose time has come; returns how many went out."""
    now = timezone.now()
    due = list(
        Notice.objects.filter(status=Notice.Status.SCHEDULED, publish_at__lte=now)
        .order_by("publish_at", "pk")
        .values_list("pk", flat=True)[:_DUE_BATCH]
    )
    published = 0
    for pk in due:
        with transaction.atomic():
            notice = (
                Notice.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("publisher", "parent", "author")
                .filter(pk=pk, status=Notice.Status.SCHEDULED)
                .first()
            )
            if notice is None:
                continue  # another tick took it
            errors = _publish_errors(notice, at=now)
            if errors:
                _schedule_failed(notice, errors)
                continue
            _go_live(notice, actor=None, now=now)
            notice_deliver(notice=notice)
            published += 1
    return published


def _schedule_failed(notice: Notice, errors: dict[str, list[str]]) -> None:
    notice.status = Notice.Status.DRAFT
    notice.version += 1
    notice.save(update_fields=["status", "version", "updated_at"])
    reasons = " ".join(message for messages in errors.values() for message in messages)
    audit_record(
        actor=None,
        action="notice.schedule_failed",
        scope=notice.publisher,
        obj=notice,
        changes={"fields": sorted(errors)},
    )
    if notice.author is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Not published: %(title)s") % {"title": notice.title},
            body=_("The scheduled notice went back to draft: %(reasons)s") % {"reasons": reasons},
            url=reverse("notices:detail", kwargs={"pk": notice.pk}),
        )
    notify_send(
        key=f"notice:{notice.pk}:schedule_failed:{notice.version}",
        message=message,
        recipients=[Recipient(user=notice.author, on_behalf_of=notice.publisher)],
        channels=(Channel.INBOX, Channel.EMAIL),
        scope=notice.publisher,
    )


# --- Attachments --------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, actor: User, notice: Notice, upload: UploadedFile) -> Attachment:
    """Attach a file, checked by content (PDF, Word, Excel, images), within the size limit."""
    current = _lock(notice)
    _require_writer(actor, current.publisher)
    if current.status == Notice.Status.WITHDRAWN:
        raise ValidationError(_("A withdrawn notice cannot be changed."), code="withdrawn")
    if Attachment.objects.filter(notice=current).count() >= MAX_ATTACHMENTS:
        raise ValidationError(
            _("A notice carries at most %(count)d files.") % {"count": MAX_ATTACHMENTS},
            code="too_many",
        )
    checked = upload_check(upload, allowed=ATTACHMENT_KINDS, max_bytes=attachment_max_bytes())
    if Attachment.objects.filter(notice=current, sha256=checked.sha256).exists():
        raise ValidationError(
            _("This file is already attached (“%(name)s”).") % {"name": checked.name},
            code="duplicate",
        )
    attachment = Attachment(
        notice=current,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    save_with_file(
        attachment,
        field="file",
        upload=upload,
        name=checked.name,
        then=lambda: audit_record(
            actor=actor,
            action="notice.attachment_add",
            scope=current.publisher,
            obj=current,
            changes={"attachment": attachment.pk, "name": checked.name, "size": checked.size},
        ),
    )
    return attachment


@transaction.atomic
def attachment_delete(*, actor: User, attachment: Attachment) -> None:
    """Remove an attached file (the stored file goes once the change is committed)."""
    current = _lock(attachment.notice)
    _require_writer(actor, current.publisher)
    if current.status == Notice.Status.WITHDRAWN:
        raise ValidationError(_("A withdrawn notice cannot be changed."), code="withdrawn")
    stored = attachment.file.name
    audit_record(
        actor=actor,
        action="notice.attachment_delete",
        scope=current.publisher,
        obj=current,
        changes={"attachment": attachment.pk, "name": attachment.name},
    )
    attachment.delete()
    transaction.on_commit(lambda: default_storage.delete(stored))
