"""Objects of enterprise A1 behind the notices app's parameterised URLs, for the
cross-cutting access probes (tongzhou/tests/test_url_access.py).

Each part of the app keeps its entries in its own function; `objects` asks them in turn.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conftest import Cast

# Pages that show personal data: only A1's own people may open them. The progress of
# A1's notice to its staff lists employees by name.
DESK_PERSONAL = {"desk:progress", "desk:remind", "desk:progress_export"}
PERSONAL: set[str] = set(DESK_PERSONAL)

_PROBE = "ACCESS PROBE"


def objects(name: str, cast: Cast) -> dict[str, Any] | None:
    for part in (desk_objects, publish_objects):
        found = part(name, cast)
        if found is not None:
            return found
    return None


def desk_objects(name: str, cast: Cast) -> dict[str, Any] | None:
    """The desk (received notices, progress) and an employee's notices."""
    if not name.startswith(("desk:", "mynotices:")):
        return None
    from notices.models import Attachment, Evidence, Receipt
    from workforce.links import link_token

    probe = _desk_cascade(cast)
    a1_receipt = Receipt.objects.get(notice=probe["relay"], organization=cast.enterprise)
    employee = probe["employee"]
    by_name: dict[str, Any] = {
        # A1's receipt of association A's relay of a federation directive.
        "desk:receipt": lambda: {"pk": a1_receipt.pk},
        "desk:acknowledge": lambda: {"pk": a1_receipt.pk},
        "desk:attest": lambda: {"pk": a1_receipt.pk},
        "desk:evidence": lambda: {"pk": Evidence.objects.get(receipt=a1_receipt).pk},
        # A file of the directive A1 received through the relay.
        "desk:attachment": lambda: {
            "pk": Attachment.objects.filter(notice=probe["directive"]).get().pk
        },
        # Association A's receipt of a second directive, not relayed yet.
        "desk:relay": lambda: {
            "pk": Receipt.objects.get(notice=probe["unrelayed"], organization=cast.association).pk
        },
        # A1's notice to its own staff (personal: employees' names).
        "desk:progress": lambda: {"pk": probe["staff"].pk},
        "desk:remind": lambda: {"pk": probe["staff"].pk},
        "desk:progress_export": lambda: {"pk": probe["staff"].pk},
        "mynotices:list": lambda: {"token": link_token(employee)},
        "mynotices:detail": lambda: {"token": link_token(employee), "pk": probe["staff"].pk},
        "mynotices:attachment": lambda: {
            "token": link_token(employee),
            "pk": Attachment.objects.filter(notice=probe["staff"]).get().pk,
        },
    }
    factory = by_name.get(name)
    return factory() if factory is not None else None


def _desk_cascade(cast: Cast) -> dict[str, Any]:
    """Built once per test database: a directive relayed by A to A1 (with an evidence
    file on A1's receipt and a file attached), a second directive A has not relayed, and
    A1's notice to its staff with an employee who received it."""
    from django.utils import timezone

    from notices.models import Attachment, AudienceKind, Category, Evidence, Notice, Receipt
    from notices.receipts import notice_relay
    from notices.services import NoticeInput, notice_create, notice_publish
    from workforce.models import Employee

    existing = Notice.objects.filter(title=f"{_PROBE} directive", publisher=cast.federation)
    if not existing.exists():
        deadline = timezone.now() + dt.timedelta(days=3)

        def send(title: str) -> Notice:
            notice = notice_create(
                actor=cast.federation_officer,
                publisher=cast.federation,
                data=NoticeInput(
                    category=Category.DIRECTIVE,
                    title=title,
                    body_md="请转发会员企业。",
                    audience_kind=AudienceKind.ASSOCIATIONS,
                    audience_associations=(cast.association,),
                    requires_ack=True,
                    requires_attestation=True,
                    asks_relay=True,
                    deadline=deadline,
                ),
            )
            if title.endswith("directive"):
                _stored_file(Attachment(notice=notice, name="通知.pdf"), "desk-directive")
            return notice_publish(actor=cast.federation_officer, notice=notice)

        directive = send(f"{_PROBE} directive")
        send(f"{_PROBE} second directive")
        relay = notice_relay(
            actor=cast.association_officer,
            receipt=Receipt.objects.get(notice=directive, organization=cast.association),
            added_md="本会补充要求。",
        )
        a1_receipt = Receipt.objects.get(notice=relay, organization=cast.enterprise)
        _stored_file(Evidence(receipt=a1_receipt, name="照片.pdf"), "desk-evidence")
        if not Employee.objects.filter(enterprise=cast.enterprise).exists():
            from tongzhou.tests.test_url_access import _employee

            _employee(cast)
        staff = notice_create(
            actor=cast.enterprise_admin,
            publisher=cast.enterprise,
            data=NoticeInput(
                category=Category.INITIATIVE,
                title=f"{_PROBE} staff",
                body_md="请阅读。",
                audience_kind=AudienceKind.EMPLOYEES,
                requires_ack=True,
            ),
        )
        _stored_file(Attachment(notice=staff, name="须知.pdf"), "desk-staff")
        notice_publish(actor=cast.enterprise_admin, notice=staff)
    directive = Notice.objects.get(title=f"{_PROBE} directive", publisher=cast.federation)
    staff = Notice.objects.get(title=f"{_PROBE} staff", publisher=cast.enterprise)
    return {
        "directive": directive,
        "relay": Notice.objects.get(parent=directive),
        "unrelayed": Notice.objects.get(
            title=f"{_PROBE} second directive", publisher=cast.federation
        ),
        "staff": staff,
        "employee": Receipt.objects.filter(notice=staff).select_related("employee")[0].employee,
    }


def _stored_file(row: Any, stem: str) -> Any:
    """Save an attachment or evidence row on a PDF stored once under a fixed name (so
    repeated probe runs do not pile up files in the media directory)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from notices.tests.desk_helpers import PDF

    stored = f"notices/{row._meta.model_name}/access-probe-{stem}.pdf"
    if not default_storage.exists(stored):
        default_storage.save(stored, ContentFile(PDF))
    row.file = stored
    row.content_type = "application/pdf"
    row.size = len(PDF)
    row.sha256 = "0" * 64
    row.save()
    return row


# --- Publishing pages (notices:*) -----------------------------------------------------

# Pages about a notice that A1 received: association A's relay of a federation directive
# (the federation oversees it, A published it, A1 received it; B1 has nothing to do with
# it). The write actions are POST-only, so the stewards' probe GET answers 405.
_PUBLISH_RECEIVED = {
    "notices:detail",
    "notices:revisions",
    "notices:publish",
    "notices:unschedule",
    "notices:withdraw",
    "notices:attachment_add",
}
# `notices:edit` is left out: it is a GET form for the publisher's own people only, so no
# object fits the probe's "A1's org-level data" expectation; notices/tests/
# test_publish_views.py probes it with the whole cast.


def publish_objects(name: str, cast: Cast) -> dict[str, Any] | None:
    """The publishing pages (notices:*)."""
    if name in _PUBLISH_RECEIVED:
        return {"pk": _desk_cascade(cast)["relay"].pk}
    if name == "notices:attachment_delete":
        from notices.models import Attachment

        return {"pk": Attachment.objects.filter(notice=_desk_cascade(cast)["directive"])[0].pk}
    if name == "notices:attachment_download":
        # A file of a public notice: anyone may download it.
        return {"pk": _public_attachment(cast).pk}
    return None


def _public_attachment(cast: Cast) -> Any:
    """A federation news item in the public news centre with one PDF (stored once, under a
    fixed name, so repeated runs do not pile up files)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from notices.models import Attachment, AudienceKind, Category, Notice
    from notices.services import NoticeInput, notice_create, notice_publish
    from notices.tests.desk_helpers import PDF

    notice = Notice.objects.filter(title=f"{_PROBE} public", publisher=cast.federation).first()
    if notice is None:
        notice = notice_create(
            actor=cast.federation_officer,
            publisher=cast.federation,
            data=NoticeInput(
                category=Category.NEWS,
                title=f"{_PROBE} public",
                body_md="行业资讯。",
                is_public=True,
                audience_kind=AudienceKind.NONE,
            ),
        )
        notice = notice_publish(actor=cast.federation_officer, notice=notice)
    stored = "notices/attachment/access-probe.pdf"
    if not default_storage.exists(stored):
        default_storage.save(stored, ContentFile(PDF))
    attachment, _ = Attachment.objects.get_or_create(
        notice=notice,
        name="资讯.pdf",
        defaults={
            "file": stored,
            "content_type": "application/pdf",
            "size": len(PDF),
            "sha256": "0" * 64,
        },
    )
    return attachment
