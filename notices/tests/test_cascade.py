"""The whole cascade, end to end through the pages: a federation directive relayed by two
associations, answered by their members, followed at every level, reminded, overdue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from lib.periodic import run_all
from notices.models import Evidence, Notice, Receipt
from notices.receipt_selectors import notice_progress
from notices.tests.desk_helpers import PDF, World, directive, pdf, world
from notify.models import Delivery, InboxItem


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _grant(user: Any) -> Any:
    return user.grants.get()


def test_it_runs_the_whole_cascade(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    w: World = world(cast)
    fed = cast.client(cast.federation_officer)
    a_client = cast.client(cast.association_officer)
    b_client = cast.client(w.b_officer)
    a1_client = cast.client(cast.enterprise_admin)
    b1_client = cast.client(cast.other_admin)

    # 1. The federation's directive reaches each association's desk, waiting for them.
    d = directive(cast)
    assert d.root_id == d.pk
    a_desk = a_client.get(reverse("desk:inbox"))
    assert a_desk.status_code == 200
    assert d.title in a_desk.content.decode()
    assert a_desk.context["tab"] == "todo"
    receipt_a = w.receipt(d, w.a)
    assert receipt_a.read_at is None

    # 2. A opens it (read) and relays it with its own instructions; B relays it as it is.
    page = a_client.get(reverse("desk:receipt", args=[receipt_a.pk]))
    assert page.status_code == 200
    assert reverse("desk:relay", args=[receipt_a.pk]) in page.content.decode()
    receipt_a.refresh_from_db()
    assert receipt_a.read_at is not None
    assert receipt_a.read_by == cast.association_officer
    response = a_client.post(
        reverse("desk:relay", args=[receipt_a.pk]),
        {"added_md": "本会会员请于周五前完成**自查**。"},
    )
    assert response.status_code == 302
    receipt_a.refresh_from_db()
    ra = receipt_a.relayed_as
    assert ra is not None
    assert response["Location"] == reverse("desk:progress", args=[ra.pk])
    assert (ra.parent_id, ra.root_id, ra.publisher_id) == (d.pk, d.pk, w.a.pk)
    assert ra.deadline == d.deadline
    assert ra.requires_attestation
    assert not ra.asks_relay
    assert receipt_a.acknowledged_at is not None  # relaying acknowledges

    receipt_b = w.receipt(d, w.b)
    assert b_client.post(reverse("desk:relay", args=[receipt_b.pk]), {}).status_code == 302
    receipt_b.refresh_from_db()
    rb = receipt_b.relayed_as
    assert rb is not None
    assert rb.body_md == ""
    # A second relay of the same receipt is refused.
    again = b_client.post(reverse("desk:relay", args=[receipt_b.pk]), {})
    assert again.status_code == 302
    assert Notice.objects.filter(parent=d).count() == 2

    # The relays reached the members, with the root, sector and district copied.
    assert set(Receipt.objects.filter(notice=ra).values_list("organization", flat=True)) == {
        w.a1.pk,
        w.a2.pk,
        w.a3.pk,
    }
    assert set(Receipt.objects.filter(notice=rb).values_list("organization", flat=True)) == {
        w.b1.pk,
        w.b2.pk,
    }
    assert set(Receipt.objects.filter(root=d).values_list("notice", flat=True)) == {
        d.pk,
        ra.pk,
        rb.pk,
    }
    assert w.receipt(ra, w.a2).sector_id == "tourism"
    assert w.receipt(ra, w.a2).district_id == "440304"

    # 3. A1 reads the relay: A's added instructions and the federation's original text,
    # then acknowledges and attests with a real PDF.
    ra1 = w.receipt(ra, w.a1)
    page = a1_client.get(reverse("desk:receipt", args=[ra1.pk]))
    html = page.content.decode()
    assert "本会会员请于周五前完成<strong>自查</strong>。" in html
    assert "<strong>防控主体责任</strong>" in html
    assert f"Added by {w.a.name}" in html
    assert f"The original from {cast.federation.name}" in html
    assert a1_client.post(reverse("desk:acknowledge", args=[ra1.pk])).status_code == 302
    response = a1_client.post(
        reverse("desk:attest", args=[ra1.pk]),
        {
            "note": "已完成员工健康登记和门店消毒。",
            "evidence": [pdf("消毒记录.pdf"), pdf("自查表.pdf", PDF + b"%2")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ra1.refresh_from_db()
    assert ra1.attested_at is not None
    assert ra1.attestation_note == "已完成员工健康登记和门店消毒。"
    evidence = list(Evidence.objects.filter(receipt=ra1).order_by("pk"))
    assert [e.name for e in evidence] == ["消毒记录.pdf", "自查表.pdf"]
    assert evidence[0].content_type == "application/pdf"
    assert evidence[0].size == len(PDF)

    # A2 only reads; B1 acknowledges; A3 and B2 do nothing.
    a2_client = cast.client(w.admin_of(w.a2))
    assert a2_client.get(reverse("desk:receipt", args=[w.receipt(ra, w.a2).pk])).status_code == 200
    rb1 = w.receipt(rb, w.b1)
    page = b1_client.get(reverse("desk:receipt", args=[rb1.pk]))
    assert "Relayed as it is, without added instructions." in page.content.decode()
    assert b1_client.post(reverse("desk:acknowledge", args=[rb1.pk])).status_code == 302

    # The evidence reaches up the chain: A1, A and the federation download it; B does not.
    url = reverse("desk:evidence", args=[evidence[0].pk])
    for client in (a1_client, a_client, fed):
        download = client.get(url)
        assert download.status_code == 200
        assert download.getvalue() == PDF
    assert b_client.get(url).status_code == 404
    assert b1_client.get(url).status_code == 404

    # 4. Progress at each level, counts and percentages exact.
    progress = notice_progress(viewer=_grant(cast.federation_officer), notice=d)
    assert (progress.direct.delivered, progress.direct.read, progress.direct.relayed) == (2, 2, 2)
    assert progress.direct.relayed_pct == 100.0
    chain = progress.chain
    assert chain is not None
    assert (chain.delivered, chain.read, chain.acknowledged, chain.attested, chain.overdue) == (
        5,
        3,
        2,
        1,
        0,
    )
    assert (chain.read_pct, chain.acknowledged_pct, chain.attested_pct) == (60.0, 40.0, 20.0)
    by_association = {row.receipt.organization: row.members for row in progress.associations}
    members_a, members_b = by_association[w.a], by_association[w.b]
    assert members_a is not None
    assert members_b is not None
    assert (members_a.delivered, members_a.read, members_a.acknowledged, members_a.attested) == (
        3,
        2,
        1,
        1,
    )
    assert (members_a.read_pct, members_a.acknowledged_pct) == (66.7, 33.3)
    assert (members_b.delivered, members_b.read, members_b.acknowledged) == (2, 1, 1)
    assert members_b.acknowledged_pct == 50.0
    by_sector = {row.sector.code: row.counts for row in progress.sectors if row.sector}
    assert {k: (c.delivered, c.read, c.acknowledged, c.attested) for k, c in by_sector.items()} == {
        "hotel": (2, 1, 1, 1),
        "tourism": (1, 1, 0, 0),
        "beauty": (2, 1, 1, 0),
    }

    # The federation's page shows it; the non-responders down the chain are listed.
    page = fed.get(reverse("desk:progress", args=[d.pk]), {"level": "chain", "tab": "ack"})
    assert page.status_code == 200
    listed = [r.organization for r in page.context["page_obj"].object_list]
    assert listed == sorted(
        [w.a2, w.a3, w.b2], key=lambda o: w.receipt(ra if o != w.b2 else rb, o).pk
    )
    html = page.content.decode()
    assert "Per association" in html
    assert "Per sector" in html
    assert "66.7%" in html
    # Filtered to one association's relay and one sector.
    page = fed.get(
        reverse("desk:progress", args=[d.pk]),
        {"level": "chain", "tab": "ack", "relay": ra.pk, "sector": "hotel"},
    )
    assert [r.organization for r in page.context["page_obj"].object_list] == [w.a3]

    # The association sees its relay; not the original, not the other association's relay.
    page = a_client.get(reverse("desk:progress", args=[ra.pk]))
    assert page.status_code == 200
    direct = page.context["progress"].direct
    assert (direct.delivered, direct.read, direct.acknowledged, direct.attested) == (3, 2, 1, 1)
    assert a_client.get(reverse("desk:progress", args=[d.pk])).status_code == 404
    assert a_client.get(reverse("desk:progress", args=[rb.pk])).status_code == 404
    assert b_client.get(reverse("desk:progress", args=[ra.pk])).status_code == 404

    # 5. Remind the non-responders: only those who have not acknowledged are told.
    inbox_before = set(InboxItem.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = a_client.post(reverse("desk:remind", args=[ra.pk]))
    assert response.status_code == 302
    reminders = Delivery.objects.filter(key__contains=f"notice:{ra.pk}:org:")
    assert {d_.key for d_ in reminders} == {
        f"notice:{ra.pk}:org:{w.a2.pk}:remind:1",
        f"notice:{ra.pk}:org:{w.a3.pk}:remind:1",
    }
    new_items = InboxItem.objects.exclude(pk__in=inbox_before)
    assert {item.user for item in new_items} == {w.admin_of(w.a2), w.admin_of(w.a3)}
    assert all(
        item.url == reverse("desk:receipt", args=[w.receipt(ra, item.organization).pk])
        for item in new_items
    )
    assert w.receipt(ra, w.a1).reminder_count == 0
    assert w.receipt(ra, w.a2).reminder_count == 1
    # A second reminder within the hour is refused with a clear message.
    with django_capture_on_commit_callbacks(execute=True):
        response = a_client.post(reverse("desk:remind", args=[ra.pk]), follow=True)
    assert "The next one can be sent from" in response.content.decode()
    assert w.receipt(ra, w.a2).reminder_count == 1
    assert Delivery.objects.filter(key__contains=f"notice:{ra.pk}:org:").count() == 2

    # B reminds B2 only (B1 acknowledged).
    with django_capture_on_commit_callbacks(execute=True):
        b_client.post(reverse("desk:remind", args=[rb.pk]))
    assert set(
        Delivery.objects.filter(key__contains=f"notice:{rb.pk}:org:").values_list("key", flat=True)
    ) == {f"notice:{rb.pk}:org:{w.b2.pk}:remind:1"}

    # 6. The deadline passes; the tick flags the overdue exactly once and tells the senders.
    past = timezone.now() - dt.timedelta(hours=1)
    Notice.objects.filter(root=d).update(deadline=past)
    with django_capture_on_commit_callbacks(execute=True):
        results = run_all({"notices.flag_overdue"})
    assert results == {"notices.flag_overdue": 4}
    overdue = set(
        Receipt.objects.filter(overdue_at__isnull=False).values_list("organization", flat=True)
    )
    # A2 and A3 lack everything; B1 acknowledged but has not attested; B2 did nothing.
    assert overdue == {w.a2.pk, w.a3.pk, w.b1.pk, w.b2.pk}
    told = Delivery.objects.filter(key__endswith=":overdue")
    assert {(d_.key, d_.user) for d_ in told} == {
        (f"notice:{ra.pk}:overdue", cast.association_officer),
        (f"notice:{rb.pk}:overdue", w.b_officer),
    }
    assert AuditEvent.objects.filter(action="notice.overdue").count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert run_all({"notices.flag_overdue"}) == {"notices.flag_overdue": 0}
    assert Delivery.objects.filter(key__endswith=":overdue").count() == 2
    assert AuditEvent.objects.filter(action="notice.overdue").count() == 2

    progress = notice_progress(viewer=_grant(cast.federation_officer), notice=d)
    assert progress.chain is not None
    assert progress.chain.overdue == 4
    assert progress.chain.overdue_pct == 80.0
    b1_desk = b1_client.get(reverse("desk:inbox"), {"tab": "overdue"})
    assert [r.pk for r in b1_desk.context["page_obj"].object_list] == [rb1.pk]

    # 7. B1 attests late: accepted, marked late, no longer counted overdue.
    page = b1_client.get(reverse("desk:attest", args=[rb1.pk]))
    assert "The deadline has passed" in page.content.decode()
    response = b1_client.post(
        reverse("desk:attest", args=[rb1.pk]), {"note": "已补充完成。", "evidence": [pdf()]}
    )
    assert response.status_code == 302
    rb1.refresh_from_db()
    assert rb1.attested_at is not None
    assert rb1.overdue_at is None
    page = b1_client.get(reverse("desk:receipt", args=[rb1.pk]))
    assert ">late<" in page.content.decode()
    event = AuditEvent.objects.filter(action="notice.attest", object_id=str(rb1.pk)).get()
    assert event.changes["late"] is True
    progress = notice_progress(viewer=_grant(cast.federation_officer), notice=d)
    assert progress.chain is not None
    assert (progress.chain.attested, progress.chain.overdue) == (2, 3)

    # Every step is in the audit log.
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "notice.read",
        "notice.relay",
        "notice.acknowledge",
        "notice.attest",
        "notice.remind",
        "notice.overdue",
    } <= actions
