"""Writes on receipts: reading, acknowledging, attesting with evidence, relaying a directive
down the cascade, reminding those who have not acknowledged, and flagging the overdue.

Decisions:

- **Late responses are accepted and marked late.** After the deadline a recipient may still
  acknowledge, attest or relay: the point of a directive is that it is carried out, and a
  refusal would only hide that it was. The receipt keeps its timestamps, so "late" is
  `acknowledged_at`/`attested_at`/relay after `notice.deadline`; the periodic job flags
  `overdue_at` on receipts that lack an asked-for response after the deadline, and the flag
  is cleared once everything asked has arrived (the progress page then counts it as done,
  the receipt shows "late").
- Relaying a directive acknowledges it for the association (it cannot relay what it has
  not taken in); attesting acknowledges it too.
- A receipt is attested once; the attestation (note and files) is the record.
- "Remind the non-responders" notifies only receipts without an acknowledgement, with a
  new notification key per reminder (`notice:<pk>:org:<org>:remind:<n>`), at most once an
  hour per notice. The notifications go out from a background task.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Prefetch, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from lib import crypto
from lib.periodic import periodic
from lib.uploads import ATTACHMENT_KINDS, CheckedUpload, upload_check
from notices.models import AudienceKind, Evidence, Notice, Receipt
from notices.receipt_selectors import asked_of, lacking_q, missing_of, relay_case
from notices.services import NoticeInput, notice_create, notice_publish
from notify.models import Channel
from notify.services import Message, Recipient, notify_send
from workforce.links import link_token

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from orgs.models import Division, Organization, Sector

# Evidence: documents and photos (a PDF of the checklist, a photo of the posted notice).
EVIDENCE_KINDS: frozenset[str] = ATTACHMENT_KINDS
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_MAX_FILES = 10
NOTE_MAX_LENGTH = 5000
ADDED_MAX_LENGTH = 20_000
# Reminders of one notice are at least this far apart, so recipients are not flooded.
REMIND_GAP = dt.timedelta(hours=1)
# The overdue job looks at notices whose deadline passed at most this long ago; it runs
# every minute, so anything older was flagged long since (and the job stays cheap).
OVERDUE_LOOKBACK = dt.timedelta(days=14)
# Who is notified for an organisation: those who can respond for it.
RESPONDING_ROLES = (Role.ADMIN, Role.STAFF)


def _lock(receipt: Receipt) -> Receipt:
    """The receipt again, locked for this transaction (two clicks do one thing)."""
    return (
        Receipt.objects.select_for_update(of=("self",))
        .select_related("notice", "notice__publisher", "organization", "employee")
        .get(pk=receipt.pk)
    )


def _scope(receipt: Receipt) -> Organization:
    """The organisation whose audit log shows a response: the recipient, or for an
    employee the enterprise that sent to its staff."""
    return receipt.organization or receipt.notice.publisher


def _require_published(receipt: Receipt) -> None:
    if receipt.notice.status != Notice.Status.PUBLISHED:
        raise ValidationError(
            _("This notice was withdrawn; it asks nothing more of you."), code="withdrawn"
        )


def is_late(receipt: Receipt, at: dt.datetime | None) -> bool:
    """Whether a response at `at` came after the notice's deadline."""
    deadline = receipt.notice.deadline
    return bool(deadline is not None and at is not None and at > deadline)


def _settle_overdue(receipt: Receipt) -> None:
    """Clear the overdue flag once everything asked has arrived (late)."""
    if receipt.overdue_at is not None and not missing_of(receipt):
        receipt.overdue_at = None


@transaction.atomic
def receipt_open(*, actor: User | None, receipt: Receipt) -> Receipt:
    """Mark a received notice read, the first time it is opened by its recipient.

    The caller checked that the actor acts for the recipient (or, with `actor` None, that
    the employee holding the personal link is the recipient)."""
    if receipt.read_at is not None:
        return receipt
    now = timezone.now()
    updated = Receipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(
        read_at=now, read_by=actor
    )
    if updated:
        receipt.read_at, receipt.read_by = now, actor
        audit_record(
            actor=actor,
            action="notice.read",
            scope=_scope(receipt),
            obj=receipt,
            changes={"notice": receipt.notice_id},
        )
    else:
        receipt.refresh_from_db(fields=["read_at", "read_by"])
    return receipt


@transaction.atomic
def receipt_acknowledge(*, actor: User | None, receipt: Receipt) -> Receipt:
    """Acknowledge receipt of a notice (once; a second call changes nothing).

    The caller checked that the actor may respond for the recipient."""
    receipt = _lock(receipt)
    _require_published(receipt)
    if receipt.acknowledged_at is not None:
        return receipt
    now = timezone.now()
    receipt.acknowledged_at, receipt.acknowledged_by = now, actor
    if receipt.read_at is None:
        receipt.read_at, receipt.read_by = now, actor
    _settle_overdue(receipt)
    receipt.save(
        update_fields=["acknowledged_at", "acknowledged_by", "read_at", "read_by", "overdue_at"]
    )
    audit_record(
        actor=actor,
        action="notice.acknowledge",
        scope=_scope(receipt),
        obj=receipt,
        changes={"notice": receipt.notice_id, "late": is_late(receipt, now)},
    )
    return receipt


def _check_evidence(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, CheckedUpload]]:
    if len(files) > EVIDENCE_MAX_FILES:
        raise ValidationError(
            {
                "files": _("Attach at most %(count)d files; put several pages into one PDF.")
                % {"count": EVIDENCE_MAX_FILES}
            }
        )
    checked: list[tuple[UploadedFile, CheckedUpload]] = []
    problems: list[str] = []
    for upload in files:
        try:
            checked.append(
                (
                    upload,
                    upload_check(upload, allowed=EVIDENCE_KINDS, max_bytes=EVIDENCE_MAX_BYTES),
                )
            )
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError({"files": problems})
    return checked


@transaction.atomic
def receipt_attest(
    *,
    actor: User | None,
    receipt: Receipt,
    note: str,
    files: Sequence[UploadedFile] = (),
) -> Receipt:
    """Attest that a directive was carried out: what was done, and evidence files.

    Every file is checked by its content before anything is written; after the deadline
    the attestation is accepted and shows as late."""
    receipt = _lock(receipt)
    _require_published(receipt)
    if "attest" not in asked_of(receipt):
        raise ValidationError(
            _("This notice does not ask for proof of implementation."), code="not_asked"
        )
    if receipt.attested_at is not None:
        when = formats.date_format(timezone.localtime(receipt.attested_at), "DATETIME_FORMAT")
        raise ValidationError(
            _("Implementation was already attested on %(when)s.") % {"when": when},
            code="attested",
        )
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = [_("Say what was done to carry out the notice.")]
    elif len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [
            _("Keep the note under %(limit)d characters; attach a document for more.")
            % {"limit": NOTE_MAX_LENGTH}
        ]
    try:
        checked = _check_evidence(files)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        checked = []
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    receipt.attested_at, receipt.attested_by, receipt.attestation_note = now, actor, note
    if receipt.acknowledged_at is None:
        receipt.acknowledged_at, receipt.acknowledged_by = now, actor
    if receipt.read_at is None:
        receipt.read_at, receipt.read_by = now, actor
    _settle_overdue(receipt)
    receipt.save(
        update_fields=[
            "attested_at",
            "attested_by",
            "attestation_note",
            "acknowledged_at",
            "acknowledged_by",
            "read_at",
            "read_by",
            "overdue_at",
        ]
    )
    for upload, info in checked:
        evidence = Evidence(
            receipt=receipt,
            name=info.name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            uploaded_by=actor,
        )
        evidence.file.save(info.name, upload, save=False)
        evidence.save()
    audit_record(
        actor=actor,
        action="notice.attest",
        scope=_scope(receipt),
        obj=receipt,
        changes={
            "notice": receipt.notice_id,
            "files": len(checked),
            "late": is_late(receipt, now),
        },
    )
    return receipt


@transaction.atomic
def notice_relay(
    *,
    actor: User,
    receipt: Receipt,
    added_md: str = "",
    sectors: Sequence[Sector] = (),
    districts: Sequence[Division] = (),
) -> Notice:
    """Relay a received directive to the association's members, as it is or with added
    instructions, optionally only to some sectors or districts.

    The relay is a child notice (`parent` = what it relays, `root` = the original) carrying
    the association's added instructions as its text; pages show the original's text with
    it. It asks the members what the original asks (acknowledgement, attestation) by the
    same deadline, and is published (delivered) at once."""
    receipt = _lock(receipt)
    _require_published(receipt)
    if not relay_case(receipt):
        raise ValidationError(
            _("Only an association asked to relay this notice can relay it."), code="not_asked"
        )
    if receipt.relayed_as_id is not None:
        raise ValidationError(
            _("Your association has already relayed this notice."), code="relayed"
        )
    added_md = (added_md or "").strip()
    if len(added_md) > ADDED_MAX_LENGTH:
        raise ValidationError(
            {
                "added_md": _("Keep the added instructions under %(limit)d characters.")
                % {"limit": ADDED_MAX_LENGTH}
            }
        )
    parent = receipt.notice
    association = receipt.organization
    assert association is not None  # relay_case
    data = NoticeInput(
        category=parent.category,
        title=parent.title,
        summary=parent.summary,
        body_md=added_md,
        is_public=False,
        source_url=parent.source_url,
        source_name=parent.source_name,
        verified_by=parent.verified_by,
        valid_until=parent.valid_until,
        audience_kind=AudienceKind.MEMBERS,
        audience_sectors=tuple(sectors),
        audience_districts=tuple(districts),
        requires_ack=parent.requires_ack,
        requires_attestation=parent.requires_attestation,
        asks_relay=False,
        deadline=parent.deadline,
    )
    child = notice_create(actor=actor, publisher=association, data=data, parent=parent)
    child = notice_publish(actor=actor, notice=child)
    now = timezone.now()
    receipt.relayed_as = child
    if receipt.acknowledged_at is None:
        receipt.acknowledged_at, receipt.acknowledged_by = now, actor
    if receipt.read_at is None:
        receipt.read_at, receipt.read_by = now, actor
    _settle_overdue(receipt)
    receipt.save(
        update_fields=[
            "relayed_as",
            "acknowledged_at",
            "acknowledged_by",
            "read_at",
            "read_by",
            "overdue_at",
        ]
    )
    audit_record(
        actor=actor,
        action="notice.relay",
        scope=association,
        obj=child,
        changes={
            "parent": parent.pk,
            "root": receipt.root_id,
            "added_instructions": bool(added_md),
            "sectors": sorted(s.pk for s in sectors),
            "districts": sorted(d.pk for d in districts),
            "late": is_late(receipt, now),
        },
    )
    return child


@transaction.atomic
def receipts_remind(*, actor: User, notice: Notice) -> int:
    """Notify again the recipients of `notice` that have not acknowledged it; returns how
    many receipts are reminded. Refused within an hour of the previous reminder."""
    notice = (
        Notice.objects.select_for_update(of=("self",)).select_related("publisher").get(pk=notice.pk)
    )
    if notice.status != Notice.Status.PUBLISHED:
        raise ValidationError(_("Only a published notice can be reminded of."), code="status")
    receipts = Receipt.objects.filter(notice=notice)
    now = timezone.now()
    last = receipts.aggregate(last=Max("last_reminded_at"))["last"]
    if last is not None and now - last < REMIND_GAP:
        raise ValidationError(
            _(
                "A reminder went out at %(last)s. The next one can be sent from %(next)s, "
                "so that recipients are not flooded."
            )
            % {
                "last": formats.time_format(timezone.localtime(last), "H:i"),
                "next": formats.time_format(timezone.localtime(last + REMIND_GAP), "H:i"),
            },
            code="too_soon",
        )
    targets = receipts.filter(acknowledged_at__isnull=True)
    if not targets.exists():
        raise ValidationError(
            _("Every recipient has acknowledged; nobody needs a reminder."), code="nobody"
        )
    count = targets.update(reminder_count=F("reminder_count") + 1, last_reminded_at=now)
    audit_record(
        actor=actor,
        action="notice.remind",
        scope=notice.publisher,
        obj=notice,
        changes={"reminded": count},
    )
    notice_pk, at = notice.pk, now.isoformat()

    def enqueue() -> None:
        from notices.receipt_tasks import send_reminders

        send_reminders.enqueue(notice_pk, at)

    transaction.on_commit(enqueue)
    return count


def _org_people(org: Organization) -> list[User]:
    return [
        grant.user
        for grant in org.grants.all()  # prefetched
        if grant.role in RESPONDING_ROLES and grant.user.is_active
    ]


def reminders_send(*, notice_pk: int, reminded_at: dt.datetime) -> int:
    """Send the reminders of one round (the receipts stamped `reminded_at` that are still
    unacknowledged); safe to run twice, the keys make a repeat a no-op."""
    notice = Notice.objects.select_related("publisher").get(pk=notice_pk)
    receipts: QuerySet[Receipt] = (
        Receipt.objects.filter(
            notice=notice, last_reminded_at=reminded_at, acknowledged_at__isnull=True
        )
        .select_related("organization", "employee")
        .prefetch_related(
            "organization__channel_configs",
            Prefetch(
                "organization__grants",
                queryset=RoleGrant.objects.select_related("user"),
            ),
        )
        .order_by("pk")
    )
    # Messages are composed in the site's language (as the deliveries were).
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Reminder: %(title)s") % {"title": notice.title}
        body = _("%(sender)s is waiting for your response to this notice.") % {
            "sender": notice.publisher.name
        }
        if notice.deadline is not None:
            deadline = timezone.localtime(notice.deadline)
            body += " " + _("Deadline: %(deadline)s.") % {
                "deadline": formats.date_format(deadline, "SHORT_DATETIME_FORMAT")
            }
    sent = 0
    for receipt in receipts.iterator(chunk_size=500):
        n = receipt.reminder_count
        if receipt.organization is not None:
            org = receipt.organization
            people: list[Recipient] = [
                Recipient(user=user, on_behalf_of=org) for user in _org_people(org)
            ]
            people.append(Recipient(organization=org))
            sent += notify_send(
                key=f"notice:{notice.pk}:org:{org.pk}:remind:{n}",
                message=Message(
                    subject=subject,
                    body=body,
                    url=reverse("desk:receipt", kwargs={"pk": receipt.pk}),
                ),
                recipients=people,
                scope=notice.publisher,
            )
        elif receipt.employee is not None:
            employee = receipt.employee
            url = reverse(
                "mynotices:detail", kwargs={"token": link_token(employee), "pk": notice.pk}
            )
            sent += notify_send(
                key=f"notice:{notice.pk}:emp:{employee.pk}:remind:{n}",
                message=Message(subject=subject, body=body, url=url),
                recipients=[Recipient(mobile=crypto.decrypt(employee.mobile_enc))],
                channels=(Channel.SMS,),
                scope=notice.publisher,
            )
    return sent


def receipts_flag_overdue(*, now: dt.datetime | None = None) -> int:
    """Flag receipts whose notice's deadline passed without the response it asks for, and
    tell each notice's sender once; returns how many receipts were flagged. Idempotent."""
    now = now or timezone.now()
    due = (
        Notice.objects.filter(
            status=Notice.Status.PUBLISHED,
            deadline__lt=now,
            deadline__gte=now - OVERDUE_LOOKBACK,
        )
        .select_related("publisher")
        .order_by("deadline", "pk")
    )
    flagged = 0
    for notice in due:
        lacking = lacking_q(notice)
        if lacking is None:
            continue
        with transaction.atomic():
            count = (
                Receipt.objects.filter(notice=notice, overdue_at__isnull=True)
                .filter(lacking)
                .update(overdue_at=now)
            )
            if not count:
                continue
            audit_record(
                actor=None,
                action="notice.overdue",
                scope=notice.publisher,
                obj=notice,
                changes={"flagged": count},
            )
            transaction.on_commit(lambda n=notice, c=count: _tell_sender_overdue(n, c))  # type: ignore[misc]
        flagged += count
    return flagged


def _tell_sender_overdue(notice: Notice, count: int) -> None:
    """One message per notice to its sender's administrators and staff (the key makes a
    later run send nothing more)."""
    grants = RoleGrant.objects.filter(
        organization=notice.publisher, role__in=RESPONDING_ROLES, user__is_active=True
    ).select_related("user")
    url = reverse("desk:progress", kwargs={"pk": notice.pk}) + "?tab=overdue"
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Overdue: %(title)s") % {"title": notice.title},
            body=_("%(count)d recipients did not respond by the deadline.") % {"count": count},
            url=url,
        )
    notify_send(
        key=f"notice:{notice.pk}:overdue",
        message=message,
        recipients=[Recipient(user=g.user, on_behalf_of=notice.publisher) for g in grants],
        scope=notice.publisher,
    )


@periodic("notices.flag_overdue")
def flag_overdue() -> int:
    """The periodic job (`manage.py tick`): flag what is overdue now."""
    return receipts_flag_overdue()


@transaction.atomic
def non_responders_exported(
    *, actor: User, scope: Organization, notice: Notice, kind: str, rows: int, personal: bool
) -> None:
    """Record an export of a non-responder list (people's names when `personal`)."""
    audit_record(
        actor=actor,
        action="notice.non_responders_export",
        scope=scope,
        obj=notice,
        changes={"kind": kind, "rows": rows},
        personal_data=personal,
    )
