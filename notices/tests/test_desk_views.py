"""The desk pages: the inbox's tabs and filters, the receipt page, the attestation and
relay forms with their errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from notices.models import Evidence, Notice, Receipt
from notices.receipts import notice_relay, receipt_acknowledge
from notices.services import attachment_add, notice_withdraw
from notices.tests.desk_helpers import PDF, World, directive, pdf, world


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def w(cast: Cast) -> World:
    return world(cast)


def test_it_opens_the_desk_on_what_awaits_a_response(cast: Cast, w: World) -> None:
    first = directive(cast, title="第一号")
    second = directive(cast, title="第二号")
    ra1 = notice_relay(actor=cast.association_officer, receipt=w.receipt(first, w.a))
    ra2 = notice_relay(actor=cast.association_officer, receipt=w.receipt(second, w.a))
    receipt_acknowledge(actor=cast.enterprise_admin, receipt=w.receipt(ra1, w.a1))
    client = cast.client(cast.enterprise_admin)
    page = client.get(reverse("desk:inbox"))
    assert page.context["tab"] == "todo"
    # Both still await: the first lacks its attestation, the second everything.
    assert [r.notice for r in page.context["page_obj"].object_list] == [ra2, ra1]
    assert page.context["counts"] == {"all": 2, "todo": 2, "unread": 1, "overdue": 0}
    html = page.content.decode()
    assert f"relayed from {cast.federation.name}" in html
    unread = client.get(reverse("desk:inbox"), {"tab": "unread"})
    assert [r.notice for r in unread.context["page_obj"].object_list] == [ra2]
    search = client.get(reverse("desk:inbox"), {"tab": "all", "q": "第一"})
    assert [r.notice for r in search.context["page_obj"].object_list] == [ra1]
    none = client.get(reverse("desk:inbox"), {"tab": "all", "category": "news"})
    assert "No received notice matches these filters." in none.content.decode()
    # Junk in the query string is ignored, not an error.
    junk = client.get(reverse("desk:inbox"), {"tab": "<script>", "category": "' OR 1=1"})
    assert junk.status_code == 200
    assert junk.context["tab"] == "todo"


def test_it_says_what_to_do_on_an_empty_desk(cast: Cast) -> None:
    page = cast.client(cast.enterprise_admin).get(reverse("desk:inbox"))
    assert page.context["tab"] == "all"
    assert "No notices received yet." in page.content.decode()
    fed = cast.client(cast.federation_officer).get(reverse("desk:inbox"))
    assert "The federation sends directives" in fed.content.decode()


def test_it_leaves_withdrawn_notices_out_of_the_to_do_list(cast: Cast, w: World) -> None:
    d = directive(cast)
    notice_withdraw(actor=cast.federation_officer, notice=d, reason="重复发送")
    client = cast.client(cast.association_officer)
    page = client.get(reverse("desk:inbox"))
    assert page.context["counts"]["todo"] == 0
    assert page.context["counts"]["all"] == 1
    receipt = client.get(reverse("desk:receipt", args=[w.receipt(d, w.a).pk]))
    html = receipt.content.decode()
    assert "The sender withdrew this notice" in html
    assert "重复发送" in html
    assert reverse("desk:relay", args=[w.receipt(d, w.a).pk]) not in html


def test_it_shows_the_receipt_with_its_files_and_forms(cast: Cast, w: World) -> None:
    from notices.models import AudienceKind, Category
    from notices.services import NoticeInput, notice_create, notice_publish

    draft = notice_create(
        actor=cast.federation_officer,
        publisher=cast.federation,
        data=NoticeInput(
            category=Category.DIRECTIVE,
            title="附件通知",
            body_md="见附件。",
            audience_kind=AudienceKind.ALL_ASSOCIATIONS,
            requires_ack=True,
            requires_attestation=True,
            asks_relay=True,
            deadline=timezone.now() + dt.timedelta(days=1),
        ),
    )
    attachment = attachment_add(
        actor=cast.federation_officer,
        notice=draft,
        upload=SimpleUploadedFile("检查表.pdf", PDF, content_type="application/pdf"),
    )
    d = notice_publish(actor=cast.federation_officer, notice=draft)
    ra = notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a), added_md="补充")
    client = cast.client(cast.enterprise_admin)
    page = client.get(reverse("desk:receipt", args=[w.receipt(ra, w.a1).pk]))
    html = page.content.decode()
    file_url = reverse("desk:attachment", args=[attachment.pk])
    assert file_url in html
    assert "检查表.pdf" in html
    assert page.context["attest_form"] is not None
    assert reverse("desk:acknowledge", args=[w.receipt(ra, w.a1).pk]) in html
    # The relay's recipients download the original's file; B's members do not.
    assert client.get(file_url).status_code == 200
    assert cast.client(cast.other_admin).get(file_url).status_code == 404


def test_it_explains_attestation_errors_on_the_form(cast: Cast, w: World) -> None:
    ra = notice_relay(actor=cast.association_officer, receipt=w.receipt(directive(cast), w.a))
    receipt = w.receipt(ra, w.a1)
    client = cast.client(cast.enterprise_admin)
    url = reverse("desk:attest", args=[receipt.pk])
    response = client.post(
        url,
        {
            "note": "已落实",
            "evidence": [pdf(), SimpleUploadedFile("病毒.pdf", b"MZ" + b"\x00" * 64)],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is a program or a script" in html
    assert "已落实" in html
    assert not Evidence.objects.exists()
    response = client.post(url, {"note": ""})
    assert "Say what was done to carry out the notice." in response.content.decode()
    receipt.refresh_from_db()
    assert receipt.attested_at is None
    # The attestation page of a done attestation reads back, with its files.
    client.post(url, {"note": "已落实", "evidence": [pdf("照片.pdf")]})
    page = client.get(url)
    assert page.context["attest_form"] is None
    assert "照片.pdf" in page.content.decode()
    again = client.post(url, {"note": "再交一次"})
    assert again.status_code == 400
    assert "already attested" in again.content.decode()


def test_it_relays_to_chosen_districts_through_the_form(cast: Cast, w: World) -> None:
    d = directive(cast)
    receipt = w.receipt(d, w.a)
    client = cast.client(cast.association_officer)
    page = client.get(reverse("desk:relay", args=[receipt.pk]))
    form = page.context["relay_form"]
    # Only the districts and sectors where A has members are offered.
    assert {s.code for s in form.fields["sectors"].queryset} == {"hotel", "tourism"}
    assert {x.code for x in form.fields["districts"].queryset} == {"440303", "440304"}
    response = client.post(
        reverse("desk:relay", args=[receipt.pk]),
        {"added_md": "福田区会员请注意。", "districts": ["440304"]},
    )
    assert response.status_code == 302
    relay = Notice.objects.get(parent=d)
    assert list(Receipt.objects.filter(notice=relay).values_list("organization", flat=True)) == [
        w.a2.pk
    ]
    # A district outside the choices is a form error, not a 500.
    d2 = directive(cast, title="第二号")
    response = client.post(
        reverse("desk:relay", args=[w.receipt(d2, w.a).pk]), {"districts": ["440307"]}
    )
    assert response.status_code == 400
    assert w.receipt(d2, w.a).relayed_as is None


def test_it_keeps_the_relay_page_to_the_receiving_association(cast: Cast, w: World) -> None:
    d = directive(cast)
    url = reverse("desk:relay", args=[w.receipt(d, w.b).pk])
    assert cast.client(cast.association_officer).get(url).status_code == 404
    assert cast.client(cast.association_officer).post(url, {}).status_code == 404
    assert w.receipt(d, w.b).relayed_as is None
