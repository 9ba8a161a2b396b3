"""Attachments of notices: checked by content, limited in size and number, stored under a
random name, downloaded only by those who may read the notice (anyone for public news)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from conftest import Cast
from lib.tests import sample_files as samples
from notices import services
from notices.models import Attachment, AudienceKind, Category, Notice
from notices.services import NoticeInput, attachment_add, attachment_delete, notice_publish
from notices.tests.publish_factories import create, directive_input, publish, upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _draft(cast: Cast) -> Notice:
    return create(cast.federation_officer, cast.federation, directive_input())


def _add(cast: Cast, notice: Notice, name: str, content: bytes) -> Attachment:
    return attachment_add(
        actor=cast.federation_officer, notice=notice, upload=upload(name, content)
    )


@pytest.mark.parametrize(
    ("name", "make", "content_type"),
    [
        ("关于复工的通知.pdf", lambda: samples.PDF, "application/pdf"),
        ("现场照片.png", samples.png, "image/png"),
        ("自查表.docx", samples.docx, DOCX),
        ("名单.xlsx", samples.xlsx, XLSX),
        ("旧版.doc", lambda: samples.ole("WordDocument"), "application/msword"),
        ("旧表.xls", lambda: samples.ole("Workbook"), "application/vnd.ms-excel"),
    ],
)
def test_it_attaches_documents_and_images(
    cast: Cast, name: str, make: Any, content_type: str
) -> None:
    notice = _draft(cast)
    content = make()
    attachment = _add(cast, notice, name, content)
    assert attachment.name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert name not in attachment.file.name  # stored under a random name
    with default_storage.open(attachment.file.name, "rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("通知.pdf", samples.PE_EXECUTABLE, "program or a script"),
        ("通知.pdf", samples.ELF_EXECUTABLE, "program or a script"),
        ("通知.pdf", samples.plain_zip(), "not one of the accepted kinds"),
        ("通知.pdf", samples.docx(), "does not match its content"),
        ("通知.exe", samples.PE_EXECUTABLE, "program or a script"),
        ("空.pdf", b"", "is empty"),
        ("页面.pdf", samples.HTML_PAGE, "program or a script"),
    ],
)
def test_it_refuses_disguised_and_empty_files(
    cast: Cast, name: str, content: bytes, words: str
) -> None:
    notice = _draft(cast)
    with pytest.raises(ValidationError) as caught:
        _add(cast, notice, name, content)
    assert words in caught.value.messages[0]
    assert not Attachment.objects.exists()


def test_it_refuses_an_oversized_file(cast: Cast, settings: Any) -> None:
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 1024
    notice = _draft(cast)
    with pytest.raises(ValidationError) as caught:
        _add(cast, notice, "大.pdf", samples.PDF + b"%" * 2048)
    assert caught.value.code == "too_large"
    assert "1.0\xa0KB" in caught.value.messages[0]


def test_it_limits_size_to_twenty_megabytes_by_default() -> None:
    assert services.attachment_max_bytes() == 20 * 1024 * 1024


def test_it_refuses_the_same_file_twice_and_too_many_files(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice = _draft(cast)
    _add(cast, notice, "a.pdf", samples.PDF)
    with pytest.raises(ValidationError) as caught:
        _add(cast, notice, "b.pdf", samples.PDF)
    assert caught.value.code == "duplicate"
    monkeypatch.setattr(services, "MAX_ATTACHMENTS", 2)
    _add(cast, notice, "c.png", samples.png())
    with pytest.raises(ValidationError) as caught:
        _add(cast, notice, "d.png", samples.png(2, 2))
    assert caught.value.code == "too_many"


def test_it_freezes_the_files_of_a_withdrawn_notice(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    attachment = _add(cast, notice, "a.pdf", samples.PDF)
    services.notice_withdraw(actor=cast.federation_officer, notice=notice, reason="作废")
    with pytest.raises(ValidationError):
        _add(cast, notice, "b.png", samples.png())
    with pytest.raises(ValidationError):
        attachment_delete(actor=cast.federation_officer, attachment=attachment)


def test_it_deletes_the_stored_file_after_commit(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    attachment = _add(cast, _draft(cast), "a.pdf", samples.PDF)
    stored = attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachment_delete(actor=cast.federation_officer, attachment=attachment)
    assert not Attachment.objects.exists()
    assert not default_storage.exists(stored)


def test_it_lets_a_file_stand_in_for_the_text(cast: Cast) -> None:
    notice = create(
        cast.federation_officer, cast.federation, directive_input(body_md="", summary="")
    )
    _add(cast, notice, "全文.pdf", samples.PDF)
    assert notice_publish(actor=cast.federation_officer, notice=notice).status == "published"


# --- Pages ------------------------------------------------------------------------------


def test_it_uploads_through_the_page(cast: Cast) -> None:
    notice = _draft(cast)
    client = cast.client(cast.federation_officer)
    response = client.post(
        f"/notices/{notice.pk}/files/", {"file": upload("通知.pdf", samples.PDF)}
    )
    assert response.status_code == 302
    assert Attachment.objects.get(notice=notice).name == "通知.pdf"
    refused = client.post(
        f"/notices/{notice.pk}/files/", {"file": upload("报告.pdf", samples.PE_EXECUTABLE)}
    )
    assert refused.status_code == 422
    assert "is a program or a script" in refused.content.decode()
    assert Attachment.objects.filter(notice=notice).count() == 1
    empty = client.post(f"/notices/{notice.pk}/files/", {})
    assert empty.status_code == 422
    assert "Choose a file to attach." in empty.content.decode()


def test_it_lets_only_the_publishers_writers_upload_and_remove(cast: Cast) -> None:
    notice = create(cast.enterprise_admin, cast.enterprise, _staff_input())
    attachment = attachment_add(
        actor=cast.enterprise_admin, notice=notice, upload=upload("a.pdf", samples.PDF)
    )
    url = f"/notices/{notice.pk}/files/"
    viewer = cast.client(cast.enterprise_viewer)
    assert viewer.post(url, {"file": upload("b.pdf", samples.PDF + b" ")}).status_code == 403
    assert viewer.post(f"/notices/files/{attachment.pk}/delete/").status_code == 403
    for outsider in (cast.other_admin, cast.association_officer, cast.federation_officer):
        client = cast.client(outsider)
        assert client.post(url, {"file": upload("b.pdf", samples.PDF + b" ")}).status_code == 404
        assert client.post(f"/notices/files/{attachment.pk}/delete/").status_code == 404
    admin = cast.client(cast.enterprise_admin)
    assert admin.post(f"/notices/files/{attachment.pk}/delete/").status_code == 302
    assert not Attachment.objects.exists()


def _staff_input() -> NoticeInput:
    return NoticeInput(
        category=Category.INITIATIVE,
        title="员工须知",
        body_md="请阅读。",
        audience_kind=AudienceKind.EMPLOYEES,
    )


def _download(client: Any, attachment: Attachment) -> Any:
    return client.get(f"/notices/files/{attachment.pk}/")


def test_it_serves_a_download_with_safe_headers(cast: Cast) -> None:
    notice = _draft(cast)
    attachment = _add(cast, notice, "关于复工的通知.pdf", samples.PDF)
    response = _download(cast.client(cast.federation_officer), attachment)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E5%85%B3%E4%BA%8E" in disposition


def test_it_lets_only_readers_download(cast: Cast) -> None:
    draft = create(
        cast.federation_officer,
        cast.federation,
        directive_input(
            audience_kind=AudienceKind.ASSOCIATIONS, audience_associations=(cast.association,)
        ),
    )
    attachment = _add(cast, draft, "a.pdf", samples.PDF)
    everyone = {name: cast.client(user) for name, user in cast.members.items()}
    # A draft: only the federation's own people.
    assert {n: _download(c, attachment).status_code for n, c in everyone.items()} == {
        "federation": 200,
        "association": 404,
        "enterprise_admin": 404,
        "enterprise_viewer": 404,
        "other_enterprise": 404,
        "anonymous": 404,
    }
    notice_publish(actor=cast.federation_officer, notice=draft)
    # Published to association A: A's people too (and the federation oversees it).
    assert {n: _download(c, attachment).status_code for n, c in everyone.items()} == {
        "federation": 200,
        "association": 200,
        "enterprise_admin": 404,
        "enterprise_viewer": 404,
        "other_enterprise": 404,
        "anonymous": 404,
    }


def test_it_lets_anyone_download_the_files_of_public_news_while_published(cast: Cast) -> None:
    notice = create(
        cast.federation_officer,
        cast.federation,
        NoticeInput(
            category=Category.NEWS,
            title="资讯",
            body_md="正文",
            is_public=True,
            audience_kind=AudienceKind.NONE,
        ),
    )
    attachment = _add(cast, notice, "资讯.pdf", samples.PDF)
    anonymous = cast.client(None)
    assert _download(anonymous, attachment).status_code == 404  # still a draft
    notice_publish(actor=cast.federation_officer, notice=notice)
    assert _download(anonymous, attachment).status_code == 200
    assert _download(cast.client(cast.other_admin), attachment).status_code == 200
    services.notice_withdraw(actor=cast.federation_officer, notice=notice, reason="过时")
    assert _download(anonymous, attachment).status_code == 404
    assert _download(cast.client(cast.federation_officer), attachment).status_code == 200


def test_it_answers_404_for_a_missing_file_or_attachment(cast: Cast) -> None:
    attachment = _add(cast, _draft(cast), "a.pdf", samples.PDF)
    client = cast.client(cast.federation_officer)
    default_storage.delete(attachment.file.name)
    assert _download(client, attachment).status_code == 404
    assert client.get("/notices/files/999999/").status_code == 404
