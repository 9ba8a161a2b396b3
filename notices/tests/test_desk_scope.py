"""Who sees which receipts: the recipient, the sender chain; nobody else (404), and a
viewer may look but not respond (403)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from notices.models import Receipt
from notices.receipt_selectors import receipt_visible, sent_notice_list
from notices.receipts import notice_relay, receipt_attest
from notices.tests.desk_helpers import World, directive, pdf, staff_notice, world


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def relayed(cast: Cast) -> tuple[World, Any, Any, Any]:
    w = world(cast)
    d = directive(cast)
    ra = notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a), added_md="补充")
    rb = notice_relay(actor=w.b_officer, receipt=w.receipt(d, w.b))
    return w, d, ra, rb


def _grant(user: Any) -> Any:
    return user.grants.get()


def test_it_keeps_a1s_receipt_from_b1(cast: Cast, relayed: Any) -> None:
    w, _d, ra, _rb = relayed
    url = reverse("desk:receipt", args=[w.receipt(ra, w.a1).pk])
    assert cast.client(cast.other_admin).get(url).status_code == 404
    assert cast.client(w.b_officer).get(url).status_code == 404
    # The recipient and the sender chain open it.
    for user in (cast.enterprise_admin, cast.enterprise_viewer, cast.association_officer):
        assert cast.client(user).get(url).status_code == 200
    assert cast.client(cast.federation_officer).get(url).status_code == 200


def test_it_lets_the_sender_look_without_marking_read(cast: Cast, relayed: Any) -> None:
    w, _d, ra, _rb = relayed
    receipt = w.receipt(ra, w.a1)
    page = cast.client(cast.association_officer).get(reverse("desk:receipt", args=[receipt.pk]))
    assert page.status_code == 200
    assert page.context["mine"] is False
    assert page.context["can_respond"] is False
    receipt.refresh_from_db()
    assert receipt.read_at is None
    # The sender may not respond for the recipient.
    client = cast.client(cast.association_officer)
    assert client.post(reverse("desk:acknowledge", args=[receipt.pk])).status_code == 403
    assert client.post(reverse("desk:attest", args=[receipt.pk]), {"note": "x"}).status_code == 403
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is None
    assert receipt.attested_at is None


def test_it_refuses_a_viewer_who_tries_to_acknowledge(cast: Cast, relayed: Any) -> None:
    w, _d, ra, _rb = relayed
    receipt = w.receipt(ra, w.a1)
    viewer = cast.client(cast.enterprise_viewer)
    page = viewer.get(reverse("desk:receipt", args=[receipt.pk]))
    assert page.status_code == 200
    assert page.context["can_respond"] is False
    assert reverse("desk:acknowledge", args=[receipt.pk]) not in page.content.decode()
    assert viewer.post(reverse("desk:acknowledge", args=[receipt.pk])).status_code == 403
    assert viewer.post(reverse("desk:attest", args=[receipt.pk]), {"note": "x"}).status_code == 403
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is None
    # Reading counts: the viewer's visit marked it read.
    assert receipt.read_at is not None
    assert receipt.read_by == cast.enterprise_viewer


def test_it_keeps_each_association_to_its_own_relay(cast: Cast, relayed: Any) -> None:
    w, d, ra, rb = relayed
    a, b = cast.client(cast.association_officer), cast.client(w.b_officer)
    assert a.get(reverse("desk:progress", args=[ra.pk])).status_code == 200
    assert a.get(reverse("desk:progress", args=[rb.pk])).status_code == 404
    assert b.get(reverse("desk:progress", args=[ra.pk])).status_code == 404
    assert a.get(reverse("desk:progress", args=[d.pk])).status_code == 404
    assert a.get(reverse("desk:progress_export", args=[rb.pk])).status_code == 404
    assert a.post(reverse("desk:remind", args=[rb.pk])).status_code == 404
    # B's members' receipts are invisible to A; A sees its own receipt and its relay's.
    visible = set(receipt_visible(viewer=_grant(cast.association_officer)))
    assert w.receipt(d, w.a) in visible
    assert w.receipt(ra, w.a1) in visible
    assert w.receipt(d, w.b) not in visible
    assert w.receipt(rb, w.b1) not in visible
    # An enterprise sees its own receipts only, and follows nothing it did not send.
    own = set(receipt_visible(viewer=_grant(cast.enterprise_admin)))
    assert own == {w.receipt(ra, w.a1)}
    assert not sent_notice_list(viewer=_grant(cast.enterprise_admin)).exists()


def test_it_lets_the_federation_follow_the_whole_chain(cast: Cast, relayed: Any) -> None:
    _w, d, ra, rb = relayed
    grant = _grant(cast.federation_officer)
    assert set(sent_notice_list(viewer=grant)) == {d, ra, rb}
    assert set(receipt_visible(viewer=grant)) == set(Receipt.objects.filter(root=d))
    fed = cast.client(cast.federation_officer)
    for notice in (d, ra, rb):
        assert fed.get(reverse("desk:progress", args=[notice.pk])).status_code == 200
    # It follows, but reminds only what it sent itself.
    assert fed.post(reverse("desk:remind", args=[ra.pk])).status_code == 403


def test_it_checks_access_to_evidence_files(cast: Cast, relayed: Any) -> None:
    w, _d, ra, _rb = relayed
    receipt = receipt_attest(
        actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1), note="已落实", files=[pdf()]
    )
    url = reverse("desk:evidence", args=[receipt.evidence.get().pk])
    allowed = (
        cast.enterprise_admin,
        cast.enterprise_viewer,
        cast.association_officer,
        cast.federation_officer,
    )
    for user in allowed:
        response = cast.client(user).get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    for user in (cast.other_admin, w.b_officer, w.admin_of(w.a2)):
        assert cast.client(user).get(url).status_code == 404
    assert cast.client(None).get(url).status_code == 302


def test_it_shows_organisations_never_people_above_the_enterprise(cast: Cast) -> None:
    """The federation and associations never see an enterprise's staff receipts."""
    from notices.tests.desk_helpers import employee

    employee(cast)
    notice = staff_notice(cast)
    assert Receipt.objects.filter(notice=notice, employee__isnull=False).count() == 1
    for user in (cast.federation_officer, cast.association_officer):
        grant = _grant(user)
        assert not receipt_visible(viewer=grant).filter(notice=notice).exists()
        assert cast.client(user).get(reverse("desk:progress", args=[notice.pk])).status_code == 404
    page = cast.client(cast.enterprise_admin).get(reverse("desk:progress", args=[notice.pk]))
    assert page.status_code == 200
    assert "张三" in page.content.decode()
