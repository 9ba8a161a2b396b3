"""Publishing pages with the cast: outbox, compose, detail, edit, publish or schedule,
withdraw, preview and the revision history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from conftest import Cast
from notices.models import AudienceKind, Category, Notice, NoticeRevision, Receipt
from notices.services import NoticeInput, notice_update
from notices.tests.publish_factories import (
    create,
    directive_input,
    later,
    policy_input,
    publish,
)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _to_a(**overrides: Any) -> NoticeInput:
    """A federation directive to association A only."""
    return directive_input(
        audience_kind=AudienceKind.ASSOCIATIONS,
        audience_associations=overrides.pop("audience_associations", None) or (),
        **overrides,
    )


def _a_directive(cast: Cast, **overrides: Any) -> Notice:
    return publish(
        cast.federation_officer,
        cast.federation,
        _to_a(audience_associations=(cast.association,), **overrides),
    )


# --- Outbox -----------------------------------------------------------------------------


def test_it_lists_only_the_organisations_own_notices(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        create(cast.federation_officer, cast.federation, directive_input(title=f"联委会通知{i}"))
    create(cast.association_officer, cast.association, policy_input(title="商会通知"))
    client = cast.client(cast.federation_officer)
    with django_assert_max_num_queries(12):
        page = client.get("/notices/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "联委会通知29" in text
    assert "商会通知" not in text
    assert "Write a notice" in text
    association = cast.client(cast.association_officer).get("/notices/").content.decode()
    assert "商会通知" in association
    assert "联委会通知" not in association


def test_it_filters_the_outbox(cast: Cast) -> None:
    create(cast.federation_officer, cast.federation, directive_input(title="草稿一则"))
    publish(cast.federation_officer, cast.federation, directive_input(title="已发一则"))
    client = cast.client(cast.federation_officer)
    drafts = client.get("/notices/", {"status": "draft"}).content.decode()
    assert "草稿一则" in drafts
    assert "已发一则" not in drafts
    news = client.get("/notices/", {"category": Category.NEWS}).content.decode()
    assert "No notice matches these filters." in news
    searched = client.get("/notices/", {"q": "已发"}).content.decode()
    assert "已发一则" in searched
    assert "草稿一则" not in searched
    junk = client.get("/notices/", {"status": "x" * 50, "category": "<script>", "page": "-1"})
    assert junk.status_code == 200


def test_it_shows_an_empty_outbox_with_what_to_do(cast: Cast) -> None:
    text = cast.client(cast.enterprise_viewer).get("/notices/").content.decode()
    assert "Your organisation has not written any notice yet." in text
    assert "An administrator or staff member of your organisation can write one." in text
    assert 'href="/notices/new/"' not in text


# --- Compose and edit -------------------------------------------------------------------


def test_it_saves_a_draft_from_the_form(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    assert client.get("/notices/new/").status_code == 200
    response = client.post(
        "/notices/new/",
        {
            "category": Category.INITIATIVE,
            "title": "  员工返岗须知 ",
            "summary": "请所有员工阅读",
            "body_md": "1. 测温\n2. 戴口罩",
            "audience_kind": AudienceKind.EMPLOYEES,
            "requires_ack": "on",
            "deadline": later().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    notice = Notice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/notices/{notice.pk}/"
    assert notice.title == "员工返岗须知"
    assert notice.publisher == cast.enterprise
    assert notice.requires_ack
    assert notice.status == Notice.Status.DRAFT


def test_it_shows_form_errors_for_bad_input(cast: Cast) -> None:
    client = cast.client(cast.association_officer)
    response = client.post(
        "/notices/new/",
        {
            "category": Category.POLICY,
            "title": "",
            "source_url": "javascript:alert(1)",
            "audience_kind": "members",
            "deadline": (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "valid_until": "not a date",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in text
    assert "The deadline has passed; choose a later one." in text
    assert "Enter a date, e.g. 2020-03-31." in text
    assert not Notice.objects.exists()
    response = client.post(
        "/notices/new/",
        {
            "category": Category.POLICY,
            "title": "链接",
            "source_url": "javascript:alert(1)",
            "audience_kind": "members",
        },
    )
    assert (
        "Enter the official link, starting with https:// or http://." in response.content.decode()
    )
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("member", "status"),
    [
        ("enterprise_admin", 200),
        ("enterprise_viewer", 403),
        ("federation", 404),
        ("association", 404),
        ("other_enterprise", 404),
        ("anonymous", 302),
    ],
)
def test_it_lets_only_the_publishers_writers_edit(cast: Cast, member: str, status: int) -> None:
    notice = create(
        cast.enterprise_admin,
        cast.enterprise,
        NoticeInput(
            category=Category.INITIATIVE,
            title="员工须知",
            body_md="x",
            audience_kind=AudienceKind.EMPLOYEES,
        ),
    )
    client = cast.client(cast.members[member])
    assert client.get(f"/notices/{notice.pk}/edit/").status_code == status
    posted = client.post(
        f"/notices/{notice.pk}/edit/",
        {"category": "initiative", "title": "改", "audience_kind": "employees", "version": 1},
    )
    assert posted.status_code == (302 if status == 200 else status)
    notice.refresh_from_db()
    assert notice.title == ("改" if status == 200 else "员工须知")


def test_it_refuses_a_stale_edit_on_the_page(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    notice_update(actor=cast.federation_officer, notice=notice, data=directive_input(), version=1)
    response = cast.client(cast.federation_officer).post(
        f"/notices/{notice.pk}/edit/",
        {
            "category": "directive",
            "title": "我的改动",
            "audience_kind": "all_associations",
            "version": 1,
        },
    )
    assert response.status_code == 200
    assert "Someone else changed this notice while you were editing." in response.content.decode()


def test_it_edits_a_published_notice_into_a_revision_everyone_can_compare(cast: Cast) -> None:
    notice = _a_directive(cast, body_md="第一条：测温。\n\n第二条：戴口罩。")
    client = cast.client(cast.federation_officer)
    form = client.get(f"/notices/{notice.pk}/edit/").content.decode()
    assert 'name="note"' in form
    assert 'name="audience_kind"' not in form
    response = client.post(
        f"/notices/{notice.pk}/edit/",
        {
            "category": "directive",
            "title": notice.title,
            "summary": notice.summary,
            "body_md": "第一条：每日两次测温。\n\n第二条：戴口罩。",
            "deadline": timezone.localtime(notice.deadline).strftime("%Y-%m-%dT%H:%M"),
            "note": "测温频次调整",
            "version": notice.version,
        },
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.revision == 2
    assert notice.audience_kind == AudienceKind.ASSOCIATIONS
    assert NoticeRevision.objects.filter(notice=notice).count() == 2
    for user in (cast.federation_officer, cast.association_officer):
        history = cast.client(user).get(f"/notices/{notice.pk}/revisions/")
        text = history.content.decode()
        assert history.status_code == 200
        assert "测温频次调整" in text
        assert '<ins class="tz-diff-line tz-diff-ins">第一条：每日两次测温。</ins>' in text
        assert '<del class="tz-diff-line tz-diff-del">第一条：测温。</del>' in text
    assert cast.client(cast.other_admin).get(f"/notices/{notice.pk}/revisions/").status_code == 404


# --- Detail -----------------------------------------------------------------------------


def test_it_shows_the_publisher_the_actions_and_recipients_the_notice(cast: Cast) -> None:
    draft = create(
        cast.federation_officer,
        cast.federation,
        _to_a(audience_associations=(cast.association,)),
    )
    page = cast.client(cast.federation_officer).get(f"/notices/{draft.pk}/").content.decode()
    for words in ("Publish now / schedule", "Attach a file", "It would reach 1 recipient now."):
        assert words in page
    assert cast.client(cast.association_officer).get(f"/notices/{draft.pk}/").status_code == 404
    notice = publish(
        cast.federation_officer, cast.federation, _to_a(audience_associations=(cast.association,))
    )
    recipient = cast.client(cast.association_officer).get(f"/notices/{notice.pk}/")
    assert recipient.status_code == 200
    text = recipient.content.decode()
    assert "防控主体责任" in text
    assert "Publish now" not in text
    assert "Withdraw" not in text
    publisher = cast.client(cast.federation_officer).get(f"/notices/{notice.pk}/").content
    assert f'href="/desk/sent/{notice.pk}/"'.encode() in publisher
    assert b"Delivered to 1, opened by 0." in publisher
    for outsider in (cast.other_admin, cast.enterprise_admin):
        assert cast.client(outsider).get(f"/notices/{notice.pk}/").status_code == 404


def test_it_marks_outdated_sourced_information(cast: Cast) -> None:
    notice = publish(cast.association_officer, cast.association, policy_input())
    client = cast.client(cast.enterprise_admin)
    assert "May be outdated" not in client.get(f"/notices/{notice.pk}/").content.decode()
    Notice.objects.filter(pk=notice.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert "May be outdated: this information was valid until" in page
    assert 'href="https://www.sz.gov.cn/zwgk/" rel="noopener noreferrer nofollow"' in page
    assert (
        "may be outdated" in cast.client(cast.association_officer).get("/notices/").content.decode()
    )


# --- Publish, schedule, withdraw ----------------------------------------------------------


def test_it_publishes_from_the_page(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    client = cast.client(cast.federation_officer)
    response = client.post(f"/notices/{notice.pk}/publish/", {"version": notice.version})
    assert response.status_code == 302
    assert Receipt.objects.filter(notice=notice).count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Published and delivered to 2 recipients." in page


def test_it_schedules_from_the_page_and_cancels_the_schedule(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input(deadline=later(5)))
    client = cast.client(cast.federation_officer)
    at = timezone.localtime(later(1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/notices/{notice.pk}/publish/", {"publish_at": at, "version": notice.version}
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SCHEDULED
    assert not Receipt.objects.filter(notice=notice).exists()
    assert client.post(f"/notices/{notice.pk}/unschedule/").status_code == 302
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT


def test_it_explains_why_a_notice_cannot_go_out(cast: Cast) -> None:
    notice = create(
        cast.association_officer,
        cast.association,
        policy_input(source_name="", verified_by="", valid_until=None),
    )
    client = cast.client(cast.association_officer)
    response = client.post(f"/notices/{notice.pk}/publish/", {"version": notice.version})
    assert response.status_code == 422
    text = response.content.decode()
    assert "Name the source (e.g. the issuing authority)." in text
    assert "Say who checked the source." in text
    past = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/notices/{notice.pk}/publish/", {"publish_at": past, "version": notice.version}
    )
    assert response.status_code == 422
    assert "Choose a time in the future, or publish now." in response.content.decode()
    stale = client.post(f"/notices/{notice.pk}/publish/", {"version": notice.version + 5})
    assert stale.status_code == 409
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT


def test_it_withdraws_from_the_page_and_recipients_see_it(cast: Cast) -> None:
    notice = _a_directive(cast)
    client = cast.client(cast.federation_officer)
    missing = client.post(f"/notices/{notice.pk}/withdraw/", {"reason": ""})
    assert missing.status_code == 422
    assert "Say why the notice is withdrawn." in missing.content.decode()
    assert client.post(f"/notices/{notice.pk}/withdraw/", {"reason": "口径调整"}).status_code == 302
    page = cast.client(cast.association_officer).get(f"/notices/{notice.pk}/").content.decode()
    assert "Withdrawn" in page
    assert "口径调整" in page
    assert "do not act on it any more" in page


def test_it_refuses_actions_to_viewers_and_outsiders(cast: Cast) -> None:
    notice = create(
        cast.enterprise_admin,
        cast.enterprise,
        NoticeInput(
            category=Category.INITIATIVE, title="须知", body_md="x", audience_kind="employees"
        ),
    )
    for action in ("publish", "withdraw", "unschedule"):
        url = f"/notices/{notice.pk}/{action}/"
        assert cast.client(cast.enterprise_viewer).post(url).status_code == 403
        assert cast.client(cast.other_admin).post(url).status_code == 404
        assert cast.client(cast.federation_officer).post(url).status_code == 404
        assert cast.client(cast.enterprise_admin).get(url).status_code == 405


# --- Preview ----------------------------------------------------------------------------


def test_it_previews_the_text_sanitised(cast: Cast) -> None:
    client = cast.client(cast.association_officer)
    response = client.post(
        "/notices/preview/",
        {"body_md": "**重点** <img src=x onerror=alert(1)> [x](javascript:alert(1))"},
        headers={"HX-Request": "true"},
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "<strong>重点</strong>" in text
    assert "onerror" not in text
    assert "javascript:" not in text
    assert "Nothing to preview yet" in client.post("/notices/preview/", {}).content.decode()
    assert cast.client(cast.enterprise_viewer).post("/notices/preview/", {}).status_code == 403
