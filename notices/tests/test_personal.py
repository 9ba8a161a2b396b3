"""An employee reads and acknowledges their enterprise's notice through their personal
link; a bad link gets a friendly page, never someone else's notices."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from notices.models import Receipt
from notices.receipt_selectors import notice_progress
from notices.services import attachment_add, notice_withdraw
from notices.tests.desk_helpers import PDF, employee, staff_notice
from workforce.links import link_revoke, link_token


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_it_lets_an_employee_read_and_acknowledge(cast: Cast) -> None:
    person = employee(cast)
    other = employee(cast, "李四", "13712345678", "360426199101010071")
    notice = staff_notice(cast)
    token = link_token(person)
    client = Client()
    listing = client.get(reverse("mynotices:list", kwargs={"token": token}))
    assert listing.status_code == 200
    assert notice.title in listing.content.decode()
    assert "Please confirm" in listing.content.decode()

    url = reverse("mynotices:detail", kwargs={"token": token, "pk": notice.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert "全程佩戴口罩" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")
    receipt = Receipt.objects.get(notice=notice, employee=person)
    assert receipt.read_at is not None
    assert receipt.read_by is None
    assert receipt.acknowledged_at is None

    response = client.post(url, follow=True)
    assert "your employer can see that you have read it" in response.content.decode()
    receipt.refresh_from_db()
    assert receipt.acknowledged_at is not None
    event = AuditEvent.objects.get(action="notice.acknowledge")
    assert event.actor is None
    assert event.scope == cast.enterprise
    assert "张三" not in str(event.changes)
    assert "张三" not in event.object_repr
    # The other employee's receipt is untouched.
    assert Receipt.objects.get(notice=notice, employee=other).read_at is None

    # The enterprise sees who has not confirmed, by name.
    progress = notice_progress(viewer=cast.enterprise_admin.grants.get(), notice=notice)
    assert (progress.direct.delivered, progress.direct.read, progress.direct.acknowledged) == (
        2,
        1,
        1,
    )
    assert progress.to_employees
    assert progress.sectors == []
    page = cast.client(cast.enterprise_admin).get(reverse("desk:progress", args=[notice.pk]))
    names = [r.employee.name for r in page.context["page_obj"].object_list]
    assert names == ["李四"]


@pytest.mark.parametrize("reason", ["bad_signature", "revoked", "unknown_notice"])
def test_it_answers_a_bad_link_with_a_friendly_page(cast: Cast, reason: str) -> None:
    person = employee(cast)
    notice = staff_notice(cast)
    token = link_token(person)
    if reason == "bad_signature":
        token = token[:-3] + "xyz"
        pk = notice.pk
    elif reason == "revoked":
        link_revoke(actor=cast.enterprise_admin, employee=person)
        pk = notice.pk
    else:
        pk = notice.pk + 1000
    response = Client().get(reverse("mynotices:detail", kwargs={"token": token, "pk": pk}))
    assert response.status_code == 404
    html = response.content.decode()
    assert "This link is not valid" in html
    assert notice.title not in html
    assert Receipt.objects.get(notice=notice).read_at is None


def test_it_shows_an_employee_only_their_own_notices(cast: Cast) -> None:
    first = employee(cast)
    sent = staff_notice(cast)
    # Hired after the notice went out: nothing was delivered to them.
    late = employee(cast, "王五", "13612345678", "440301199001011234")
    token = link_token(late)
    assert (
        "No notices for you yet"
        in Client().get(reverse("mynotices:list", kwargs={"token": token})).content.decode()
    )
    response = Client().get(reverse("mynotices:detail", kwargs={"token": token, "pk": sent.pk}))
    assert response.status_code == 404
    assert Receipt.objects.filter(notice=sent).get().employee == first


def test_it_serves_the_notice_file_to_its_recipient_only(cast: Cast) -> None:
    person = employee(cast)
    late = employee(cast, "王五", "13612345678", "440301199001011234")
    notice = staff_notice(cast)
    Receipt.objects.filter(employee=late).delete()
    attachment = attachment_add(
        actor=cast.enterprise_admin,
        notice=notice,
        upload=SimpleUploadedFile("须知.pdf", PDF, content_type="application/pdf"),
    )
    page = Client().get(
        reverse("mynotices:detail", kwargs={"token": link_token(person), "pk": notice.pk})
    )
    url = reverse("mynotices:attachment", kwargs={"token": link_token(person), "pk": attachment.pk})
    assert url in page.content.decode()
    download = Client().get(url)
    assert download.status_code == 200
    assert download.getvalue() == PDF
    other = reverse("mynotices:attachment", kwargs={"token": link_token(late), "pk": attachment.pk})
    assert Client().get(other).status_code == 404


def test_it_does_not_take_an_acknowledgement_of_a_withdrawn_notice(cast: Cast) -> None:
    person = employee(cast)
    notice = staff_notice(cast)
    notice_withdraw(actor=cast.enterprise_admin, notice=notice, reason="内容有误")
    url = reverse("mynotices:detail", kwargs={"token": link_token(person), "pk": notice.pk})
    page = Client().get(url)
    assert "Your employer withdrew this notice." in page.content.decode()
    assert "I have read it" not in page.content.decode()
    response = Client().post(url, follow=True)
    assert "withdrawn" in response.content.decode()
    assert Receipt.objects.get(notice=notice).acknowledged_at is None
