"""Progress of a sent notice: exact counts and percentages, the non-responder lists, the
CSV export, and query counts that do not grow with the audience."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from notices.models import AudienceKind, Category, Receipt
from notices.receipt_selectors import Counts, non_responders, notice_progress
from notices.receipts import notice_relay, receipt_acknowledge, receipt_attest
from notices.services import NoticeInput, notice_create, notice_publish
from notices.tests.desk_helpers import World, directive, world
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _grant(user: Any) -> Any:
    return user.grants.get()


def _add_members(association: Organization, count: int, sector: str, start: int) -> None:
    """`count` more active member enterprises (bulk: the audience grows, not the test)."""
    district = Division.objects.get(code="440305")
    orgs = Organization.objects.bulk_create(
        [
            Organization(
                kind=OrganizationKind.ENTERPRISE,
                name=f"测试企业{start + i:05d}",
                sector=Sector.objects.get(code=sector),
                district=district,
            )
            for i in range(count)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(enterprise=o, association=association, status=MembershipStatus.ACTIVE)
            for o in orgs
        ]
    )


def test_it_counts_and_rounds_percentages() -> None:
    counts = Counts(delivered=3, read=2, acknowledged=1, attested=0, relayed=0, overdue=3)
    assert (counts.read_pct, counts.acknowledged_pct, counts.overdue_pct) == (66.7, 33.3, 100.0)
    assert (counts.unread, counts.unacknowledged) == (1, 2)
    assert Counts().read_pct == 0.0  # nothing delivered: no division by zero
    assert (counts + counts).delivered == 6


def test_it_counts_a_notice_to_members_per_sector(cast: Cast) -> None:
    """An association's notice straight to its members (no relay): one level, by sector."""
    w: World = world(cast)
    notice = notice_create(
        actor=cast.association_officer,
        publisher=w.a,
        data=NoticeInput(
            category=Category.INITIATIVE,
            title="会员自查倡议",
            body_md="请各会员企业开展自查。",
            audience_kind=AudienceKind.MEMBERS,
            requires_ack=True,
        ),
    )
    notice = notice_publish(actor=cast.association_officer, notice=notice)
    receipt_acknowledge(actor=cast.enterprise_admin, receipt=w.receipt(notice, w.a1))
    progress = notice_progress(viewer=_grant(cast.association_officer), notice=notice)
    assert progress.chain is None
    assert progress.associations == []
    assert (progress.direct.delivered, progress.direct.acknowledged) == (3, 1)
    assert progress.direct.acknowledged_pct == 33.3
    rows = {row.sector.code: row.counts for row in progress.sectors if row.sector}
    assert {k: (c.delivered, c.acknowledged) for k, c in rows.items()} == {
        "hotel": (2, 1),
        "tourism": (1, 0),
    }
    assert rows["hotel"].acknowledged_pct == 50.0


def test_it_lists_non_responders_in_delivery_order(cast: Cast) -> None:
    w = world(cast)
    d = directive(cast)
    ra = notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a))
    notice_relay(actor=w.b_officer, receipt=w.receipt(d, w.b))
    receipt_attest(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1), note="已完成")
    grant = _grant(cast.federation_officer)
    relay_level = non_responders(viewer=grant, notice=d, kind="relay")
    assert list(relay_level) == []
    not_attested = list(non_responders(viewer=grant, notice=d, kind="attest", level="chain"))
    assert [r.organization for r in not_attested] == [w.a2, w.a3, w.b1, w.b2]
    assert [r.pk for r in not_attested] == sorted(r.pk for r in not_attested)
    in_a = non_responders(viewer=grant, notice=d, kind="attest", level="chain", relay=ra.pk)
    assert [r.organization for r in in_a] == [w.a2, w.a3]
    beauty = non_responders(viewer=grant, notice=d, kind="ack", level="chain", sector="beauty")
    assert [r.organization for r in beauty] == [w.b1, w.b2]
    # An unknown kind falls back to the acknowledgement list.
    assert non_responders(viewer=grant, notice=d, kind="nonsense", level="chain").count() == 4


def test_it_exports_non_responders_as_csv(cast: Cast) -> None:
    w = world(cast)
    d = directive(cast)
    ra = notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a))
    receipt_acknowledge(actor=cast.enterprise_admin, receipt=w.receipt(ra, w.a1))
    response = cast.client(cast.association_officer).get(
        reverse("desk:progress_export", args=[ra.pk]), {"tab": "ack"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Recipient", "Unified social credit code", "Sector"]
    assert [row[0] for row in rows[1:]] == [w.a2.name, w.a3.name]
    assert rows[1][2] == "Tourism"
    assert rows[1][3] == w.a.name
    event = AuditEvent.objects.get(action="notice.non_responders_export")
    assert event.changes == {"kind": "ack", "rows": 2}
    assert event.personal_data is False


def test_it_shows_the_progress_page_per_level(cast: Cast) -> None:
    w = world(cast)
    d = directive(cast)
    ra = notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a))
    fed = cast.client(cast.federation_officer)
    page = fed.get(reverse("desk:progress", args=[d.pk]))
    assert page.context["filters"]["level"] == "chain"
    assert page.context["filters"]["kind"] == "ack"
    assert [key for key, _ in page.context["tabs"]] == ["unread", "ack", "attest", "overdue"]
    html = page.content.decode()
    assert w.a.name in html
    assert w.b.name in html
    # The association level: who has not relayed yet.
    page = fed.get(reverse("desk:progress", args=[d.pk]), {"level": "direct", "tab": "relay"})
    assert [r.organization for r in page.context["page_obj"].object_list] == [w.b]
    assert page.context["can_remind"] is True
    # An association's relay: one level, its members.
    page = cast.client(cast.association_officer).get(reverse("desk:progress", args=[ra.pk]))
    assert page.context["filters"]["level"] == "direct"
    assert [key for key, _ in page.context["tabs"]] == ["unread", "ack", "attest", "overdue"]
    assert len(page.context["page_obj"].object_list) == 3


def _progress_queries(cast: Cast, d: Any) -> int:
    fed = cast.client(cast.federation_officer)
    fed.get(reverse("desk:progress", args=[d.pk]))  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = fed.get(reverse("desk:progress", args=[d.pk]), {"level": "chain"})
    assert response.status_code == 200
    return len(captured)


def test_it_pins_the_progress_page_queries(cast: Cast) -> None:
    """The federation's progress page costs the same with 5 or 65 enterprises."""
    w = world(cast)
    d = directive(cast)
    notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a))
    notice_relay(actor=w.b_officer, receipt=w.receipt(d, w.b))
    small = _progress_queries(cast, d)
    d2 = directive(cast, title="第二号通知")
    _add_members(w.a, 40, "hotel", 0)
    _add_members(w.b, 20, "beauty", 100)
    notice_relay(actor=cast.association_officer, receipt=w.receipt(d2, w.a))
    notice_relay(actor=w.b_officer, receipt=w.receipt(d2, w.b))
    assert Receipt.objects.filter(root=d2).exclude(notice=d2).count() == 65
    large = _progress_queries(cast, d2)
    assert large == small
    assert large <= 16


def test_it_pins_the_desk_queries(cast: Cast, django_assert_max_num_queries: Any) -> None:
    w = world(cast)
    for i in range(12):
        d = directive(cast, title=f"通知{i}")
        notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a))
    client = cast.client(cast.enterprise_admin)
    client.get(reverse("desk:inbox"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("desk:inbox"), {"tab": "all"})
    assert len(response.context["page_obj"].object_list) == 12
    assert response.context["counts"] == {"all": 12, "todo": 12, "unread": 12, "overdue": 0}
