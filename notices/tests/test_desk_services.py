"""The recipient-side services: what each accepts and refuses, and what it writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from notices.models import Evidence, Notice, Receipt
from notices.receipts import (
    EVIDENCE_MAX_FILES,
    notice_relay,
    receipt_acknowledge,
    receipt_attest,
    receipt_open,
    receipts_flag_overdue,
    receipts_remind,
)
from notices.services import notice_withdraw
from notices.tests.desk_helpers import PDF, World, directive, employee, pdf, staff_notice, world
from notify.models import Delivery
from orgs.models import Sector


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def w(cast: Cast) -> World:
    return world(cast)


def _relay(w: World, d: Notice, **kwargs: Any) -> Notice:
    return notice_relay(actor=w.cast.association_officer, receipt=w.receipt(d, w.a), **kwargs)


def test_it_marks_read_once(cast: Cast, w: World) -> None:
    d = directive(cast)
    receipt = w.receipt(d, w.a)
    receipt_open(actor=cast.association_officer, receipt=receipt)
    first = receipt.read_at
    receipt_open(actor=cast.association_officer, receipt=w.receipt(d, w.a))
    receipt.refresh_from_db()
    assert receipt.read_at == first
    assert AuditEvent.objects.filter(action="notice.read").count() == 1


def test_it_acknowledges_once_and_reads_on_the_way(cast: Cast, w: World) -> None:
    ra = _relay(w, directive(cast))
    receipt = receipt_acknowledge(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1))
    assert receipt.acknowledged_at is not None
    assert receipt.read_at == receipt.acknowledged_at
    again = receipt_acknowledge(actor=cast.enterprise_viewer, receipt=w.receipt(ra, w.a1))
    assert again.acknowledged_at == receipt.acknowledged_at
    assert again.acknowledged_by == cast.enterprise_admin
    assert AuditEvent.objects.filter(action="notice.acknowledge").count() == 1
    event = AuditEvent.objects.get(action="notice.acknowledge")
    assert event.scope == w.a1
    assert event.changes["late"] is False


def test_it_refuses_responses_to_a_withdrawn_notice(cast: Cast, w: World) -> None:
    ra = _relay(w, directive(cast))
    notice_withdraw(actor=cast.association_officer, notice=ra, reason="发错了")
    with pytest.raises(ValidationError, match="withdrawn"):
        receipt_acknowledge(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1))
    with pytest.raises(ValidationError, match="withdrawn"):
        receipt_attest(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1), note="x")


def test_it_attests_with_checked_evidence(cast: Cast, w: World) -> None:
    ra = _relay(w, directive(cast))
    receipt = receipt_attest(
        actor=cast.enterprise_admin,
        receipt=w.receipt(ra, w.a1),
        note="  已张贴告示并完成消毒。 ",
        files=[pdf("告示.pdf")],
    )
    assert receipt.attestation_note == "已张贴告示并完成消毒。"
    assert receipt.acknowledged_at == receipt.attested_at  # attesting acknowledges
    item = Evidence.objects.get(receipt=receipt)
    assert (item.name, item.content_type, item.size) == ("告示.pdf", "application/pdf", len(PDF))
    assert item.sha256
    assert item.uploaded_by == cast.enterprise_admin
    with item.file.open("rb") as handle:
        assert handle.read() == PDF
    assert item.file.name.startswith("notices/evidence/")
    assert "告示" not in item.file.name
    event = AuditEvent.objects.get(action="notice.attest")
    assert event.changes == {"notice": ra.pk, "files": 1, "late": False}
    assert "消毒" not in str(event.changes)  # the note stays out of the audit row
    with pytest.raises(ValidationError, match="already attested"):
        receipt_attest(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1), note="再次")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([SimpleUploadedFile("run.pdf", b"MZ\x90\x00" + b"\x00" * 100)], "program"),
        ([SimpleUploadedFile("notes.pdf", b"just some text, not a PDF")], "accepted kinds"),
        ([SimpleUploadedFile("photo.png", PDF)], "does not match"),
        ([SimpleUploadedFile("empty.pdf", b"")], "empty"),
        ([pdf(f"{i}.pdf", PDF + bytes([i])) for i in range(EVIDENCE_MAX_FILES + 1)], "at most"),
    ],
)
def test_it_refuses_bad_evidence_and_writes_nothing(
    cast: Cast, w: World, files: list[Any], message: str
) -> None:
    ra = _relay(w, directive(cast))
    with pytest.raises(ValidationError, match=message) as caught:
        receipt_attest(
            actor=cast.enterprise_admin,
            receipt=w.receipt(ra, w.a1),
            note="已落实",
            files=[pdf("good.pdf"), *files],
        )
    assert "files" in caught.value.message_dict
    receipt = w.receipt(ra, w.a1)
    assert receipt.attested_at is None
    assert receipt.acknowledged_at is None
    assert not Evidence.objects.exists()


def test_it_asks_for_a_note(cast: Cast, w: World) -> None:
    ra = _relay(w, directive(cast))
    with pytest.raises(ValidationError) as caught:
        receipt_attest(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1), note="   ")
    assert caught.value.message_dict["note"] == ["Say what was done to carry out the notice."]


def test_it_attests_only_what_asks_for_it(cast: Cast, w: World) -> None:
    d = directive(cast, requires_attestation=False)
    ra = _relay(w, d)
    with pytest.raises(ValidationError, match="does not ask for proof"):
        receipt_attest(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1), note="x")
    # An association asked to relay relays; it does not attest.
    d2 = directive(cast, title="第二号通知")
    with pytest.raises(ValidationError, match="does not ask for proof"):
        receipt_attest(actor=cast.association_officer, receipt=w.receipt(d2, w.a), note="x")


def test_it_relays_to_chosen_sectors_only(cast: Cast, w: World) -> None:
    d = directive(cast)
    ra = _relay(w, d, sectors=[Sector.objects.get(code="tourism")])
    assert list(Receipt.objects.filter(notice=ra).values_list("organization", flat=True)) == [
        w.a2.pk
    ]
    event = AuditEvent.objects.get(action="notice.relay")
    assert event.changes["sectors"] == ["tourism"]
    assert event.changes["root"] == d.pk


def test_it_refuses_a_sector_outside_the_associations_members(cast: Cast, w: World) -> None:
    d = directive(cast)
    with pytest.raises(ValidationError) as caught:
        _relay(w, d, sectors=[Sector.objects.get(code="beauty")])
    assert "audience_sectors" in caught.value.message_dict
    assert w.receipt(d, w.a).relayed_as is None


def test_it_relays_only_what_asks_for_it_and_only_once(cast: Cast, w: World) -> None:
    d = directive(cast, asks_relay=False)
    with pytest.raises(ValidationError, match="asked to relay"):
        _relay(w, d)
    d2 = directive(cast, title="请转发")
    ra = _relay(w, d2)
    with pytest.raises(ValidationError, match="already relayed"):
        _relay(w, d2)
    # An enterprise does not relay.
    with pytest.raises(ValidationError, match="asked to relay"):
        notice_relay(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1))


def test_it_relays_after_the_deadline_and_flags_the_late_relay(cast: Cast, w: World) -> None:
    d = directive(cast)
    Notice.objects.filter(pk=d.pk).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    assert receipts_flag_overdue() == 2  # A and B have not relayed
    ra = _relay(w, Notice.objects.get(pk=d.pk))
    receipt_a = w.receipt(d, w.a)
    assert receipt_a.overdue_at is None  # relayed (late): no longer overdue
    assert AuditEvent.objects.get(action="notice.relay").changes["late"] is True
    assert Receipt.objects.filter(notice=ra).count() == 3
    # The members got the relay after the deadline: the next tick flags them.
    assert receipts_flag_overdue() == 3


def test_it_reminds_only_the_unacknowledged_once_an_hour(
    cast: Cast, w: World, django_capture_on_commit_callbacks: Any
) -> None:
    ra = _relay(w, directive(cast))
    receipt_acknowledge(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1))
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts_remind(actor=cast.association_officer, notice=ra) == 2
    with pytest.raises(ValidationError, match="next one can be sent"):
        receipts_remind(actor=cast.association_officer, notice=ra)
    # An hour later the next round goes out with new keys.
    Receipt.objects.filter(notice=ra).exclude(last_reminded_at=None).update(
        last_reminded_at=timezone.now() - dt.timedelta(hours=1, minutes=1)
    )
    receipt_acknowledge(actor=w.admin_of(w.a2), receipt=w.receipt(ra, w.a2))
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts_remind(actor=cast.association_officer, notice=ra) == 1
    keys = sorted(
        Delivery.objects.filter(key__contains=":remind:").values_list("key", flat=True).distinct()
    )
    assert keys == [
        f"notice:{ra.pk}:org:{w.a2.pk}:remind:1",
        f"notice:{ra.pk}:org:{w.a3.pk}:remind:1",
        f"notice:{ra.pk}:org:{w.a3.pk}:remind:2",
    ]
    assert w.receipt(ra, w.a3).reminder_count == 2
    assert AuditEvent.objects.filter(action="notice.remind").count() == 2


def test_it_refuses_a_reminder_when_everyone_acknowledged(cast: Cast, w: World) -> None:
    d = directive(cast)
    for association in (w.a, w.b):
        receipt_acknowledge(actor=w.admin_of(association), receipt=w.receipt(d, association))
    with pytest.raises(ValidationError, match="nobody needs a reminder"):
        receipts_remind(actor=cast.federation_officer, notice=d)


def test_it_reminds_employees_by_sms_with_their_link(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    person = employee(cast)
    notice = staff_notice(cast)
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts_remind(actor=cast.enterprise_admin, notice=notice) == 1
    sms = Delivery.objects.get(key=f"notice:{notice.pk}:emp:{person.pk}:remind:1")
    assert sms.channel == "sms"
    assert sms.address_masked == "139****5678"
    assert sms.url.startswith("/me/")
    assert sms.url.endswith(f"/notices/{notice.pk}/")


def test_it_flags_only_what_lacks_the_asked_response(cast: Cast, w: World) -> None:
    d = directive(cast, requires_attestation=False)  # ack and relay only
    ra = _relay(w, d)
    receipt_acknowledge(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1))
    past = timezone.now() - dt.timedelta(minutes=1)
    Notice.objects.filter(root=d).update(deadline=past)
    # B has not relayed; A2 and A3 have not acknowledged. A1 (acknowledged) is done.
    assert receipts_flag_overdue() == 3
    assert set(Receipt.objects.exclude(overdue_at=None).values_list("organization", flat=True)) == {
        w.b.pk,
        w.a2.pk,
        w.a3.pk,
    }
    assert receipts_flag_overdue() == 0


def test_it_leaves_old_and_open_deadlines_alone(cast: Cast, w: World) -> None:
    d = directive(cast)
    assert receipts_flag_overdue() == 0  # the deadline is ahead
    Notice.objects.filter(pk=d.pk).update(deadline=timezone.now() - dt.timedelta(days=30))
    assert receipts_flag_overdue() == 0  # long past: flagged long ago, not looked at again
    assert receipts_flag_overdue(now=timezone.now() - dt.timedelta(days=29)) == 2
