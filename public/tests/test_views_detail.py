"""A notice's page: text, source, validity, attachments, neighbours, share meta."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from notices.models import Attachment, Category, Notice
from public.tests.factories import make_notice


def _get(cast: Cast, notice: Notice) -> str:
    response = cast.client(None).get(reverse("public:notice_detail", args=[notice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_a_notice_with_its_publisher_and_date(cast: Cast) -> None:
    notice = make_notice(
        cast.association,
        "酒店复工防疫指引",
        summary="复工前的十项准备。",
        body_html="<h2>一、场所消毒</h2><p>每日两次。</p>",
    )
    page = _get(cast, notice)
    assert "<h1" in page
    assert "酒店复工防疫指引" in page
    assert cast.association.name in page
    assert reverse("public:organization_detail", args=[cast.association.pk]) in page
    assert "<h2>一、场所消毒</h2>" in page
    assert notice.published_at is not None
    local = timezone.localtime(notice.published_at)
    assert local.strftime("%Y-%m-%d %H:%M") in page
    assert "<title>酒店复工防疫指引 - Industry news - News centre - " in page


def test_it_describes_itself_for_sharing(cast: Cast) -> None:
    notice = make_notice(cast.federation, "联合倡议书", summary="同舟共济，共克时艰。")
    page = _get(cast, notice)
    assert '<meta name="description" content="同舟共济，共克时艰。">' in page
    assert '<meta property="og:title" content="联合倡议书">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:image" content="http://testserver/static/img/share.png">' in page
    url = f"http://testserver/news/{notice.pk}/"
    assert f'<link rel="canonical" href="{url}">' in page
    assert "<svg" in page  # the QR code of the page, to open it on a phone


def test_it_describes_a_notice_without_summary_by_its_text(cast: Cast) -> None:
    notice = make_notice(cast.federation, "无摘要", body_html="<p>第一段<b>重点</b>内容。</p>")
    assert '<meta name="description" content="第一段重点内容。">' in _get(cast, notice)


def test_it_cites_the_source_of_a_policy(cast: Cast) -> None:
    notice = make_notice(
        cast.federation,
        "支持企业共渡难关的若干措施",
        category=Category.POLICY,
        source_url="https://www.sz.gov.cn/post_1.html",
        source_name="深圳市人民政府",
        verified_by="联委会秘书处",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    page = _get(cast, notice)
    assert 'href="https://www.sz.gov.cn/post_1.html"' in page
    assert "深圳市人民政府" in page
    assert "联委会秘书处" in page
    assert "May be outdated" not in page


def test_it_marks_an_expired_notice_as_maybe_outdated(cast: Cast) -> None:
    notice = make_notice(
        cast.federation,
        "过期的政策",
        category=Category.GOVERNMENT,
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    page = _get(cast, notice)
    assert "May be outdated" in page
    assert "Check the official source for the current rules." in page


def test_it_never_links_a_source_that_is_not_a_web_address(cast: Cast) -> None:
    notice = make_notice(
        cast.federation,
        "来源异常",
        category=Category.POLICY,
        source_url="javascript:alert(1)",
    )
    assert "javascript:" not in _get(cast, notice)


def test_it_cleans_the_text_again_before_showing_it(cast: Cast) -> None:
    notice = make_notice(
        cast.federation,
        "正文",
        body_html='<p onclick="x()">好</p><script>alert(1)</script><a href="javascript:x()">链</a>',
    )
    page = _get(cast, notice)
    assert "<script>alert(1)" not in page
    assert "onclick" not in page
    assert "javascript:x()" not in page
    assert "<p>好</p>" in page


def test_it_links_the_newer_and_older_notice_of_its_category(cast: Cast) -> None:
    older = make_notice(cast.federation, "较早", days_ago=3)
    middle = make_notice(cast.federation, "中间", days_ago=2)
    newer = make_notice(cast.federation, "较新", days_ago=1)
    make_notice(cast.federation, "别的栏目", category=Category.PRACTICE, days_ago=1.5)
    page = _get(cast, middle)
    neighbours = page[page.index("tz-neighbours") :]
    assert f'href="/news/{newer.pk}/">较新</a>' in neighbours
    assert f'href="/news/{older.pk}/">较早</a>' in neighbours
    assert "别的栏目" not in neighbours
    assert "No more in this category" in _get(cast, newer)


def test_it_answers_404_for_a_notice_that_is_not_public(cast: Cast) -> None:
    client = cast.client(None)
    internal = make_notice(cast.federation, "内部通知", is_public=False)
    draft = make_notice(cast.federation, "草稿", status=Notice.Status.DRAFT)
    staff = make_notice(cast.enterprise, "致员工", is_public=True)
    for notice in (internal, draft, staff):
        url = reverse("public:notice_detail", args=[notice.pk])
        assert client.get(url).status_code == 404
    assert client.get(reverse("public:notice_detail", args=[999999])).status_code == 404


def test_it_answers_410_with_the_date_and_reason_for_a_withdrawn_notice(cast: Cast) -> None:
    notice = make_notice(
        cast.federation,
        "已撤回的旧通知",
        status=Notice.Status.WITHDRAWN,
        withdrawn_at=timezone.now(),
        withdrawn_reason="已被新的通知取代",
        body_html="<p>旧的正文</p>",
    )
    response = cast.client(None).get(reverse("public:notice_detail", args=[notice.pk]))
    assert response.status_code == 410
    page = response.content.decode()
    assert "This notice has been withdrawn" in page
    assert "已被新的通知取代" in page
    assert timezone.localdate().isoformat() in page
    assert "已撤回的旧通知" not in page
    assert "旧的正文" not in page
    assert '<meta name="robots" content="noindex">' in page


def test_it_answers_404_for_a_withdrawn_notice_that_was_never_public(cast: Cast) -> None:
    notice = make_notice(
        cast.federation,
        "撤回的内部通知",
        is_public=False,
        status=Notice.Status.WITHDRAWN,
        withdrawn_reason="内部原因",
    )
    response = cast.client(None).get(reverse("public:notice_detail", args=[notice.pk]))
    assert response.status_code == 404
    assert "内部原因" not in response.content.decode()


def _attach(notice: Notice, name: str = "倡议书.pdf") -> Attachment:
    return Attachment.objects.create(
        notice=notice,
        file=ContentFile(b"%PDF-1.4 tongzhou", name="x"),
        name=name,
        content_type="application/pdf",
        size=17,
        sha256="0" * 64,
    )


def test_it_offers_the_attachments_for_download(cast: Cast, settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    notice = make_notice(cast.federation, "带附件的倡议")
    file = _attach(notice)
    page = _get(cast, notice)
    url = reverse("public:attachment", args=[notice.pk, file.pk])
    assert f'href="{url}"' in page
    assert "倡议书.pdf" in page
    response = cast.client(None).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 tongzhou"  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def test_it_refuses_the_attachment_of_a_notice_that_is_not_public(
    cast: Cast, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    internal = make_notice(cast.federation, "内部通知", is_public=False)
    public = make_notice(cast.federation, "公开通知")
    secret = _attach(internal)
    client = cast.client(None)
    assert (
        client.get(reverse("public:attachment", args=[internal.pk, secret.pk])).status_code == 404
    )
    # Nor through the address of another, public notice.
    assert client.get(reverse("public:attachment", args=[public.pk, secret.pk])).status_code == 404


def test_it_answers_404_when_an_attachment_file_is_missing(
    cast: Cast, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    notice = make_notice(cast.federation, "附件丢失")
    file = _attach(notice)
    Path(file.file.path).unlink()
    response = cast.client(None).get(reverse("public:attachment", args=[notice.pk, file.pk]))
    assert response.status_code == 404
