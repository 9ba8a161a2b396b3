"""Publishing services: drafts, revisions, publication now or scheduled, withdrawal, and
delivery (bulk, idempotent, with a fixed number of queries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from conftest import Cast
from lib.periodic import JOBS
from notices.models import AudienceKind, Category, Notice, NoticeRevision, Receipt
from notices.selectors import audience_organizations
from notices.services import (
    NoticeInput,
    notice_create,
    notice_deliver,
    notice_publish,
    notice_unschedule,
    notice_update,
    notice_withdraw,
    publish_due,
)
from notices.tests.publish_factories import (
    create,
    directive_input,
    later,
    members,
    policy_input,
    publish,
)
from notify.models import Channel, Delivery, InboxItem
from orgs.models import Membership, MembershipStatus, Sector


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- Drafts and revisions ---------------------------------------------------------------


def test_it_saves_a_draft_that_is_its_own_root_with_a_first_revision(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    assert notice.status == Notice.Status.DRAFT
    assert notice.root_id == notice.pk
    assert notice.author == cast.federation_officer
    assert notice.revision == 1
    assert "<strong>防控主体责任</strong>" in notice.body_html
    revision = NoticeRevision.objects.get(notice=notice)
    assert (revision.number, revision.title) == (1, notice.title)
    assert not Receipt.objects.filter(notice=notice).exists()
    assert AuditEvent.objects.filter(action="notice.create", object_id=str(notice.pk)).exists()


def test_it_cleans_the_title_and_summary(cast: Cast) -> None:
    notice = create(
        cast.federation_officer,
        cast.federation,
        directive_input(title="  关于\u202e复工\x00\x07的\n通知  ", summary="\t摘要\r\n第二行"),
    )
    assert notice.title == "关于复工 的 通知"
    assert notice.summary == "摘要 第二行"


def test_it_refuses_a_blank_title_and_an_unknown_category(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        create(
            cast.federation_officer,
            cast.federation,
            directive_input(title=" \x00 ", category="gossip"),
        )
    assert set(_errors(caught)) == {"title", "category"}


def test_it_edits_a_draft_in_place(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    edited = notice_update(
        actor=cast.federation_officer,
        notice=notice,
        data=directive_input(title="新标题", body_md="新的*正文*"),
        version=notice.version,
    )
    assert edited.title == "新标题"
    assert edited.version == notice.version + 1
    assert edited.revision == 1
    assert "<em>正文</em>" in edited.body_html
    assert list(NoticeRevision.objects.filter(notice=notice).values_list("title", flat=True)) == [
        "新标题"
    ]


def test_it_adds_a_revision_for_each_edit_after_publication(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    edited = notice_update(
        actor=cast.federation_officer,
        notice=notice,
        data=directive_input(body_md="一、落实**防控主体责任**。\n\n二、每日两次测温。"),
        version=notice.version,
        note="测温改为每日两次",
    )
    assert edited.revision == 2
    assert edited.status == Notice.Status.PUBLISHED
    latest = NoticeRevision.objects.get(notice=notice, number=2)
    assert latest.note == "测温改为每日两次"
    assert latest.edited_by == cast.federation_officer
    assert "每日两次测温" in latest.body_md
    assert NoticeRevision.objects.get(notice=notice, number=1).body_md.endswith("健康监测。")


def test_it_refuses_a_stale_edit(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    notice_update(actor=cast.federation_officer, notice=notice, data=directive_input(), version=1)
    with pytest.raises(ValidationError) as caught:
        notice_update(
            actor=cast.federation_officer,
            notice=notice,
            data=directive_input(title="我的修改"),
            version=1,
        )
    assert caught.value.code == "stale"
    assert Notice.objects.get(pk=notice.pk).title != "我的修改"


def test_it_keeps_the_audience_and_the_asks_fixed_after_publication(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    for change in (
        {"audience_kind": AudienceKind.ASSOCIATIONS, "audience_associations": (cast.association,)},
        {"requires_attestation": True},
        {"requires_ack": False},
    ):
        with pytest.raises(ValidationError) as caught:
            notice_update(
                actor=cast.federation_officer,
                notice=notice,
                data=directive_input(**change),
                version=notice.version,
            )
        codes = {e.code for errors in caught.value.error_dict.values() for e in errors}
        assert codes == {"locked"}
    # The deadline and the text may change.
    moved = notice_update(
        actor=cast.federation_officer,
        notice=notice,
        data=directive_input(deadline=later(7)),
        version=notice.version,
    )
    assert moved.deadline is not None
    assert moved.deadline > later(6)


def test_it_refuses_to_edit_a_withdrawn_notice(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    notice = notice_withdraw(actor=cast.federation_officer, notice=notice, reason="发错了")
    with pytest.raises(ValidationError) as caught:
        notice_update(
            actor=cast.federation_officer,
            notice=notice,
            data=directive_input(),
            version=notice.version,
        )
    assert caught.value.code == "withdrawn"


def test_it_lets_only_the_publishers_admins_and_staff_write(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        create(cast.enterprise_viewer, cast.enterprise, NoticeInput(category="news", title="x"))
    with pytest.raises(PermissionDenied):
        create(cast.association_officer, cast.federation, directive_input())
    notice = create(cast.federation_officer, cast.federation, directive_input())
    with pytest.raises(PermissionDenied):
        notice_publish(actor=cast.association_officer, notice=notice)


# --- Publication ------------------------------------------------------------------------


def test_it_publishes_to_all_associations_and_tells_their_people(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    assert notice.status == Notice.Status.PUBLISHED
    assert notice.published_at is not None
    receipts = Receipt.objects.filter(notice=notice).order_by("organization__name")
    assert {r.organization for r in receipts} == {cast.association, cast.other_association}
    receipt = receipts.get(organization=cast.association)
    assert receipt.root_id == notice.pk
    assert receipt.sector_id == "hotel"
    assert receipt.employee is None
    item = InboxItem.objects.get(user=cast.association_officer, key=f"notice:{notice.pk}")
    assert item.organization == cast.association
    assert "关于做好复工复产疫情防控工作的通知" in item.subject
    assert item.url == "/desk/"
    assert not InboxItem.objects.filter(user=cast.enterprise_admin).exists()
    assert AuditEvent.objects.filter(action="notice.publish", object_id=str(notice.pk)).exists()


def test_it_reaches_member_enterprises_by_sector_and_district(cast: Cast) -> None:
    beauty = Sector.objects.get(code="beauty")
    notice = publish(
        cast.federation_officer,
        cast.federation,
        directive_input(audience_kind=AudienceKind.MEMBERS, audience_sectors=(beauty,)),
    )
    assert list(Receipt.objects.filter(notice=notice).values_list("organization", flat=True)) == [
        cast.other_enterprise.pk
    ]
    by_association = publish(
        cast.federation_officer,
        cast.federation,
        directive_input(
            title="仅A会员",
            audience_kind=AudienceKind.MEMBERS,
            audience_associations=(cast.association,),
        ),
    )
    assert [r.organization for r in Receipt.objects.filter(notice=by_association)] == [
        cast.enterprise
    ]


def test_it_does_not_reach_members_that_left_or_are_suspended(cast: Cast) -> None:
    Membership.objects.filter(enterprise=cast.enterprise).update(status=MembershipStatus.SUSPENDED)
    (active,) = members(cast.association, 1)
    notice = publish(cast.association_officer, cast.association, policy_input())
    assert [r.organization for r in Receipt.objects.filter(notice=notice)] == [active]


def test_it_requires_the_source_of_policy_and_government_information(cast: Cast) -> None:
    notice = create(
        cast.association_officer,
        cast.association,
        policy_input(source_url="", source_name="", verified_by="", valid_until=None),
    )
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.association_officer, notice=notice)
    assert {"source_url", "source_name", "verified_by", "valid_until"} <= set(_errors(caught))
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.DRAFT


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://x.cn/a",
        "www.sz.gov.cn",
    ],
)
def test_it_takes_only_http_links_as_sources(cast: Cast, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        create(cast.association_officer, cast.association, policy_input(source_url=url))
    assert "source_url" in _errors(caught)


def test_it_refuses_an_expired_valid_until_date_at_publication(cast: Cast) -> None:
    notice = create(
        cast.association_officer,
        cast.association,
        policy_input(valid_until=timezone.localdate() - dt.timedelta(days=1)),
    )
    assert notice.is_outdated
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.association_officer, notice=notice)
    assert "valid_until" in _errors(caught)


def test_it_refuses_a_deadline_in_the_past(cast: Cast) -> None:
    past = timezone.now() - dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as caught:
        create(cast.federation_officer, cast.federation, directive_input(deadline=past))
    assert _errors(caught)["deadline"] == ["The deadline has passed; choose a later one."]
    notice = create(cast.federation_officer, cast.federation, directive_input())
    Notice.objects.filter(pk=notice.pk).update(deadline=past)  # the draft waited too long
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.federation_officer, notice=notice)
    assert "deadline" in _errors(caught)


def test_it_refuses_an_empty_audience(cast: Cast) -> None:
    nobody = create(
        cast.federation_officer,
        cast.federation,
        directive_input(audience_kind=AudienceKind.NONE, requires_ack=False),
    )
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.federation_officer, notice=nobody)
    assert "The audience is empty" in _errors(caught)["audience_kind"][0]
    Membership.objects.filter(association=cast.association).update(status=MembershipStatus.LEFT)
    no_members = create(cast.association_officer, cast.association, policy_input())
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.association_officer, notice=no_members)
    assert "nobody matches" in _errors(caught)["audience_kind"][0]


def test_it_publishes_public_news_with_no_recipients(cast: Cast) -> None:
    notice = publish(
        cast.federation_officer,
        cast.federation,
        NoticeInput(
            category=Category.NEWS,
            title="行业资讯",
            body_md="资讯正文",
            is_public=True,
            audience_kind=AudienceKind.NONE,
        ),
    )
    assert notice.status == Notice.Status.PUBLISHED
    assert not Receipt.objects.filter(notice=notice).exists()


def test_it_wants_some_text_or_a_file(cast: Cast) -> None:
    notice = create(
        cast.federation_officer, cast.federation, directive_input(body_md="", summary="")
    )
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.federation_officer, notice=notice)
    assert "body_md" in _errors(caught)


def test_it_publishes_a_notice_only_once(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.federation_officer, notice=notice)
    assert caught.value.code == "status"


# --- Scheduling -------------------------------------------------------------------------


def test_it_schedules_and_the_periodic_job_publishes_when_due(cast: Cast) -> None:
    assert JOBS["notices.publish_due"].run is publish_due
    notice = create(cast.federation_officer, cast.federation, directive_input())
    at = timezone.now() + dt.timedelta(hours=2)
    scheduled = notice_publish(actor=cast.federation_officer, notice=notice, publish_at=at)
    assert scheduled.status == Notice.Status.SCHEDULED
    assert not Receipt.objects.filter(notice=notice).exists()
    assert publish_due() == 0  # not yet
    Notice.objects.filter(pk=notice.pk).update(publish_at=timezone.now() - dt.timedelta(minutes=1))
    assert publish_due() == 1
    notice.refresh_from_db()
    assert notice.status == Notice.Status.PUBLISHED
    assert Receipt.objects.filter(notice=notice).count() == 2
    assert publish_due() == 0  # idempotent
    assert Receipt.objects.filter(notice=notice).count() == 2
    event = AuditEvent.objects.get(action="notice.publish", object_id=str(notice.pk))
    assert event.actor is None


def test_it_refuses_a_schedule_in_the_past_or_after_the_deadline(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input(deadline=later(1)))
    with pytest.raises(ValidationError) as caught:
        notice_publish(
            actor=cast.federation_officer,
            notice=notice,
            publish_at=timezone.now() - dt.timedelta(minutes=5),
        )
    assert "publish_at" in _errors(caught)
    with pytest.raises(ValidationError) as caught:
        notice_publish(actor=cast.federation_officer, notice=notice, publish_at=later(2))
    assert "deadline" in _errors(caught)


def test_it_sends_a_scheduled_notice_back_to_draft_when_it_no_longer_passes(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input(deadline=later(1)))
    notice_publish(actor=cast.federation_officer, notice=notice, publish_at=later(0.5))
    Notice.objects.filter(pk=notice.pk).update(
        publish_at=timezone.now() - dt.timedelta(minutes=1),
        deadline=timezone.now() - dt.timedelta(minutes=2),
    )
    assert publish_due() == 0
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT
    assert not Receipt.objects.filter(notice=notice).exists()
    item = InboxItem.objects.get(user=cast.federation_officer)
    assert "Not published" in item.subject
    assert "deadline" in item.body


def test_it_unschedules(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    notice_publish(actor=cast.federation_officer, notice=notice, publish_at=later(1))
    draft = notice_unschedule(actor=cast.federation_officer, notice=notice)
    assert draft.status == Notice.Status.DRAFT
    assert draft.publish_at is None


# --- Withdrawal -------------------------------------------------------------------------


def test_it_withdraws_keeping_the_receipts_and_tells_the_recipients(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    withdrawn = notice_withdraw(
        actor=cast.federation_officer, notice=notice, reason="内容有误，将重新发布"
    )
    assert withdrawn.status == Notice.Status.WITHDRAWN
    assert withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_reason == "内容有误，将重新发布"
    assert Receipt.objects.filter(notice=notice).count() == 2
    item = InboxItem.objects.get(user=cast.association_officer, key=f"notice:{notice.pk}:withdrawn")
    assert item.body == "内容有误，将重新发布"
    assert notice_deliver(notice=withdrawn) == 0


def test_it_wants_a_reason_to_withdraw_and_only_what_went_out(cast: Cast) -> None:
    draft = create(cast.federation_officer, cast.federation, directive_input())
    with pytest.raises(ValidationError) as caught:
        notice_withdraw(actor=cast.federation_officer, notice=draft, reason="x")
    assert caught.value.code == "status"
    notice = publish(cast.federation_officer, cast.federation, directive_input(title="二"))
    with pytest.raises(ValidationError) as caught:
        notice_withdraw(actor=cast.federation_officer, notice=notice, reason=" \x00 ")
    assert "reason" in _errors(caught)


# --- Delivery ---------------------------------------------------------------------------


def test_it_delivers_once_and_later_only_to_newcomers(cast: Cast) -> None:
    notice = publish(cast.association_officer, cast.association, policy_input())
    assert Receipt.objects.filter(notice=notice).count() == 1
    assert notice_deliver(notice=notice) == 0
    (newcomer,) = members(cast.association, 1)
    assert notice_deliver(notice=notice) == 1
    assert Receipt.objects.filter(notice=notice, organization=newcomer).exists()
    assert InboxItem.objects.filter(key=f"notice:{notice.pk}").count() == 2


def test_it_does_not_deliver_a_draft(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    assert notice_deliver(notice=notice) == 0


def _deliver_queries(cast: Cast, count: int) -> tuple[list[str], Notice]:
    association = cast.other_association if count == 10 else cast.association
    members(association, count, prefix=f"Q{count}-", with_robots=2)
    notice = create(
        cast.federation_officer,
        cast.federation,
        directive_input(
            title=f"{count}",
            audience_kind=AudienceKind.MEMBERS,
            audience_associations=(association,),
        ),
    )
    Notice.objects.filter(pk=notice.pk).update(
        status=Notice.Status.PUBLISHED, published_at=timezone.now()
    )
    with CaptureQueriesContext(connection) as queries:
        created = notice_deliver(notice=notice)
    assert created == Receipt.objects.filter(notice=notice).count()
    return [q["sql"] for q in queries.captured_queries], notice


def _inserts(queries: list[str], table: str) -> int:
    return sum(1 for sql in queries if sql.startswith("INSERT") and f'"{table}"' in sql[:60])


def test_it_delivers_in_bulk_with_a_fixed_number_of_queries(cast: Cast) -> None:
    small, small_notice = _deliver_queries(cast, 10)
    large, large_notice = _deliver_queries(cast, 200)
    assert Receipt.objects.filter(notice=small_notice).count() == 11  # + B1
    assert Receipt.objects.filter(notice=large_notice).count() == 201  # + A1
    # The same reads and writes for 10 or 200 recipients; receipts are one INSERT … SELECT
    # and only notify's batched INSERTs grow (SQLite takes at most 999 parameters a
    # statement).
    reads = [sql for sql in small if not sql.startswith("INSERT")]
    assert len(reads) == len([sql for sql in large if not sql.startswith("INSERT")])
    assert len(reads) <= 20
    assert _inserts(small, "notices_receipt") == _inserts(large, "notices_receipt") == 1
    for table in ("notify_delivery", "notify_inboxitem"):
        assert 1 <= _inserts(large, table) <= 201 // 50 + 1, table
    # Every member's administrator got it in the inbox (A1's too, not its viewer), and the
    # robots were queued.
    items = InboxItem.objects.filter(key=f"notice:{large_notice.pk}")
    assert items.count() == 201
    assert not items.filter(user=cast.enterprise_viewer).exists()
    assert (
        Delivery.objects.filter(key=f"notice:{large_notice.pk}", channel=Channel.WECOM).count() == 2
    )


def test_it_resolves_the_audience_of_a_notice(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    assert set(audience_organizations(notice=notice)) == {
        cast.association,
        cast.other_association,
    }


# --- Relays -----------------------------------------------------------------------------


def _relay_input(**overrides: Any) -> NoticeInput:
    return replace(
        directive_input(audience_kind=AudienceKind.MEMBERS, body_md="本会补充：请于周五前完成。"),
        **overrides,
    )


def test_it_relays_down_the_cascade(cast: Cast) -> None:
    original = publish(cast.federation_officer, cast.federation, directive_input(asks_relay=True))
    relay = notice_create(
        actor=cast.association_officer,
        publisher=cast.association,
        data=_relay_input(deadline=original.deadline),
        parent=original,
    )
    assert relay.parent == original
    assert relay.root == original
    relay = notice_publish(actor=cast.association_officer, notice=relay)
    receipt = Receipt.objects.get(notice=relay)
    assert receipt.organization == cast.enterprise
    assert receipt.root == original
    # A relay of the relay would keep the same root (the original at the top).
    assert relay.root_id == original.pk


def test_it_delivers_a_late_relay_with_the_originals_deadline(cast: Cast) -> None:
    original = publish(cast.federation_officer, cast.federation, directive_input(asks_relay=True))
    Notice.objects.filter(pk=original.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    original.refresh_from_db()
    relay = notice_create(
        actor=cast.association_officer,
        publisher=cast.association,
        data=_relay_input(deadline=original.deadline),
        parent=original,
    )
    relay = notice_publish(actor=cast.association_officer, notice=relay)
    assert relay.status == Notice.Status.PUBLISHED


def test_it_refuses_a_relay_to_anything_but_the_associations_members(cast: Cast) -> None:
    original = publish(cast.federation_officer, cast.federation, directive_input(asks_relay=True))
    with pytest.raises(ValidationError) as caught:
        notice_create(
            actor=cast.association_officer,
            publisher=cast.association,
            data=_relay_input(audience_kind=AudienceKind.NONE, is_public=True),
            parent=original,
        )
    assert {"audience_kind", "is_public"} <= set(_errors(caught))


def test_it_refuses_a_relay_from_an_association_that_was_not_asked(cast: Cast) -> None:
    not_asked = publish(cast.federation_officer, cast.federation, directive_input())
    with pytest.raises(ValidationError) as caught:
        notice_create(
            actor=cast.association_officer,
            publisher=cast.association,
            data=_relay_input(),
            parent=not_asked,
        )
    assert caught.value.code == "not_asked"
    only_b = publish(
        cast.federation_officer,
        cast.federation,
        directive_input(
            asks_relay=True,
            audience_kind=AudienceKind.ASSOCIATIONS,
            audience_associations=(cast.other_association,),
        ),
    )
    with pytest.raises(ValidationError):
        notice_create(
            actor=cast.association_officer,
            publisher=cast.association,
            data=_relay_input(),
            parent=only_b,
        )


# --- Employees --------------------------------------------------------------------------


def _employee(cast: Cast, name: str, mobile: str, number: str) -> Any:
    from workforce.services import EmployeeInput, employee_create

    return employee_create(
        actor=cast.enterprise_admin,
        enterprise=cast.enterprise,
        data=EmployeeInput(
            name=name, mobile=mobile, document_type="resident_id", document_number=number
        ),
    )


def test_it_texts_each_employee_a_personal_link(cast: Cast) -> None:
    from workforce.links import link_resolve
    from workforce.models import EmploymentStatus

    zhang = _employee(cast, "张三", "13912345678", "11010519491231002X")
    li = _employee(cast, "李四", "13987654321", "440303199001011237")
    gone = _employee(cast, "王五", "13911112222", "110105194912310038")
    type(gone).objects.filter(pk=gone.pk).update(status=EmploymentStatus.LEFT)
    notice = publish(
        cast.enterprise_admin,
        cast.enterprise,
        NoticeInput(
            category=Category.INITIATIVE,
            title="返岗须知",
            body_md="上班前测量体温。",
            audience_kind=AudienceKind.EMPLOYEES,
            requires_ack=True,
        ),
    )
    receipts = Receipt.objects.filter(notice=notice)
    assert {r.employee_id for r in receipts} == {zhang.pk, li.pk}
    assert all(r.organization_id is None and r.sector_id == "hotel" for r in receipts)
    sms = Delivery.objects.filter(channel=Channel.SMS, key__startswith=f"notice:{notice.pk}:")
    assert sms.count() == 2
    for delivery in sms:
        token = delivery.url.split("/me/", 1)[1].split("/", 1)[0]
        assert delivery.url.endswith(f"/notices/{notice.pk}/")
        assert link_resolve(token).pk in {zhang.pk, li.pk}
        assert "13912345678" not in delivery.address_masked
    assert not AuditEvent.objects.filter(changes__icontains="13912345678").exists()
    assert notice_deliver(notice=notice) == 0


def test_it_refuses_employees_as_an_audience_for_stewards_and_others_for_enterprises(
    cast: Cast,
) -> None:
    with pytest.raises(ValidationError) as caught:
        create(
            cast.federation_officer,
            cast.federation,
            directive_input(audience_kind=AudienceKind.EMPLOYEES),
        )
    assert "audience_kind" in _errors(caught)
    with pytest.raises(ValidationError) as caught:
        create(
            cast.enterprise_admin,
            cast.enterprise,
            directive_input(audience_kind=AudienceKind.ALL_ASSOCIATIONS),
        )
    assert "audience_kind" in _errors(caught)


def test_it_lets_the_text_change_after_the_deadline_passed(cast: Cast) -> None:
    notice = publish(cast.federation_officer, cast.federation, directive_input())
    passed = timezone.now() - dt.timedelta(hours=1)
    Notice.objects.filter(pk=notice.pk).update(deadline=passed)
    notice.refresh_from_db()
    # The form sends the unchanged deadline to the minute.
    edited = notice_update(
        actor=cast.federation_officer,
        notice=notice,
        data=directive_input(deadline=passed.replace(second=0, microsecond=0), title="更正错字"),
        version=notice.version,
        note="更正错字",
    )
    assert edited.title == "更正错字"
    assert edited.deadline == passed
    with pytest.raises(ValidationError) as caught:
        notice_update(
            actor=cast.federation_officer,
            notice=edited,
            data=directive_input(deadline=passed - dt.timedelta(days=1)),
            version=edited.version,
        )
    assert "deadline" in _errors(caught)


def test_it_tells_a_large_audience_from_the_background_worker(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    import notices.services

    monkeypatch.setattr(notices.services, "NOTIFY_INLINE_MAX", 5)
    members(cast.association, 6, prefix="W")
    data = directive_input(audience_kind=AudienceKind.MEMBERS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice = publish(cast.federation_officer, cast.federation, data)
    assert Receipt.objects.filter(notice=notice).count() == 8  # A1, B1 and the six
    assert not InboxItem.objects.filter(key=f"notice:{notice.pk}").exists()
    for callback in callbacks:
        callback()  # the task runs inline in tests (immediate backend)
    assert InboxItem.objects.filter(key=f"notice:{notice.pk}").count() == 8
    for callback in callbacks:
        callback()  # a second run sends nothing twice
    assert InboxItem.objects.filter(key=f"notice:{notice.pk}").count() == 8


def test_it_tells_nobody_once_the_notice_is_withdrawn(cast: Cast) -> None:
    from notices.publish_tasks import notify_delivery

    notice = publish(cast.federation_officer, cast.federation, directive_input())
    receipt = Receipt.objects.filter(notice=notice).first()
    assert receipt is not None
    notice_withdraw(actor=cast.federation_officer, notice=notice, reason="作废")
    InboxItem.objects.filter(key=f"notice:{notice.pk}").delete()
    notify_delivery.call(notice.pk, receipt.delivered_at.isoformat())
    assert not InboxItem.objects.filter(key=f"notice:{notice.pk}").exists()
    assert notify_delivery.call(999_999, receipt.delivered_at.isoformat()) == 0
