"""The inbox page, opening a message, "mark all read" and the navbar's unread badge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from conftest import Cast
from notify.models import InboxItem
from notify.selectors import inbox_list
from notify.services import Message, Recipient, notify_send


def inbox_items(user: User, count: int, *, start: int = 0, read: bool = False) -> None:
    now = timezone.now()
    InboxItem.objects.bulk_create(
        [
            InboxItem(
                user=user,
                key=f"bulk:{n}",
                subject=f"通知{n}",
                body="请查收。",
                url=f"/notices/{n}/",
                read_at=now if read else None,
            )
            for n in range(start, start + count)
        ],
        batch_size=2000,
    )


def test_it_lists_unread_first_then_newest(cast: Cast) -> None:
    user = cast.enterprise_viewer
    for key, read in [("old-unread", False), ("read", True), ("new-unread", False)]:
        InboxItem.objects.create(
            user=user, key=key, subject=key, read_at=timezone.now() if read else None
        )
    InboxItem.objects.filter(key="old-unread").update(created_at=timezone.now() - timedelta(days=1))
    response = cast.client(user).get(reverse("notify:inbox"))
    assert response.status_code == 200
    subjects = [item.subject for item in response.context["page_obj"].object_list]
    assert subjects == ["new-unread", "old-unread", "read"]
    assert response.context["unread"] == 2
    assert "Mark all as read" in response.content.decode()


def test_it_shows_only_the_users_own_messages(cast: Cast) -> None:
    InboxItem.objects.create(user=cast.enterprise_admin, key="k", subject="管理员的通知")
    response = cast.client(cast.enterprise_viewer).get(reverse("notify:inbox"))
    assert "管理员的通知" not in response.content.decode()
    assert "No messages yet." in response.content.decode()


def test_it_opens_a_message_marks_it_read_and_follows_its_link(cast: Cast) -> None:
    item = InboxItem.objects.create(
        user=cast.enterprise_viewer, key="k", subject="通知", url="/notices/7/"
    )
    response = cast.client(cast.enterprise_viewer).get(reverse("notify:inbox_open", args=[item.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/notices/7/"
    item.refresh_from_db()
    assert item.read_at is not None


def test_it_shows_a_message_without_a_link_and_never_follows_one_elsewhere(cast: Cast) -> None:
    client = cast.client(cast.enterprise_viewer)
    for url in ["", "https://evil.example/phish", "javascript:alert(1)", "//evil.example/"]:
        item = InboxItem.objects.create(
            user=cast.enterprise_viewer, key=f"k{url}", subject="通知", body="<b>正文</b>", url=url
        )
        response = client.get(reverse("notify:inbox_open", args=[item.pk]))
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "&lt;b&gt;正文&lt;/b&gt;" in body
        assert "evil.example" not in body


@pytest.mark.parametrize(
    "member",
    ["federation", "association", "enterprise_viewer", "other_enterprise", "anonymous"],
)
def test_it_refuses_another_persons_message(cast: Cast, member: str) -> None:
    item = InboxItem.objects.create(user=cast.enterprise_admin, key="k", subject="通知")
    response = cast.client(cast.members[member]).get(reverse("notify:inbox_open", args=[item.pk]))
    assert response.status_code == (302 if member == "anonymous" else 404)
    if member == "anonymous":
        assert "/accounts/login/" in response["Location"]
    item.refresh_from_db()
    assert item.read_at is None


def test_it_switches_to_the_organisation_a_message_was_sent_for(cast: Cast) -> None:
    user = cast.association_officer
    RoleGrant.objects.create(user=user, organization=cast.enterprise, role=Role.VIEWER)
    notify_send(
        key="k",
        message=Message("会员通知", url="/notify/log/"),
        recipients=[Recipient(user=user, on_behalf_of=cast.enterprise)],
    )
    client = cast.client(user)
    assert client.get(reverse("dashboards:home")).wsgi_request.grant.organization == (  # type: ignore[attr-defined]
        cast.association
    )
    item = InboxItem.objects.get(user=user)
    response = client.get(reverse("notify:inbox_open", args=[item.pk]), follow=True)
    assert response.wsgi_request.grant.organization == cast.enterprise  # type: ignore[attr-defined]


def test_it_marks_everything_read(cast: Cast) -> None:
    inbox_items(cast.enterprise_viewer, 5)
    inbox_items(cast.enterprise_admin, 2, start=10)
    client = cast.client(cast.enterprise_viewer)
    response = client.post(reverse("notify:inbox_read_all"))
    assert response.status_code == 302
    assert not InboxItem.objects.filter(user=cast.enterprise_viewer, read_at=None).exists()
    assert InboxItem.objects.filter(user=cast.enterprise_admin, read_at=None).count() == 2


def test_it_shows_the_unread_count_in_the_navbar(cast: Cast) -> None:
    inbox_items(cast.enterprise_viewer, 3)
    inbox_items(cast.enterprise_viewer, 4, start=10, read=True)
    body = cast.client(cast.enterprise_viewer).get(reverse("dashboards:home")).content.decode()
    assert 'aria-label="Inbox, 3 unread messages"' in body
    assert '<span class="badge rounded-pill text-bg-light text-danger">3</span>' in body
    inbox_items(cast.enterprise_viewer, 100, start=100)
    body = cast.client(cast.enterprise_viewer).get(reverse("dashboards:home")).content.decode()
    assert ">99+</span>" in body


def test_it_shows_no_badge_without_unread_messages(cast: Cast) -> None:
    body = cast.client(cast.enterprise_viewer).get(reverse("dashboards:home")).content.decode()
    assert reverse("notify:inbox") in body
    assert "unread message" not in body


def test_it_counts_unread_once_per_page(cast: Cast) -> None:
    client = cast.client(cast.enterprise_viewer)
    client.get(reverse("notify:inbox"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notify:inbox"))
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    unread = [q for q in counts if "read_at" in q and "IS NULL" in q.upper()]
    assert len(unread) == 1  # the page's count serves the navbar's badge too


def page_queries(client: Any, page: int = 1) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("notify:inbox"), {"page": page})
    assert response.status_code == 200
    return len(queries)


def test_it_reads_a_page_of_ten_thousand_in_a_fixed_number_of_queries(cast: Cast) -> None:
    user = cast.enterprise_viewer
    client = cast.client(user)
    inbox_items(user, 3)
    client.get(reverse("notify:inbox"))  # session and grant warm-up
    few = page_queries(client)
    inbox_items(user, 10_000, start=3)
    InboxItem.objects.filter(user=user, pk__lte=InboxItem.objects.order_by("pk")[5000].pk).update(
        read_at=timezone.now()
    )
    assert page_queries(client) == few
    assert page_queries(client, page=200) == few


def test_it_reads_the_inbox_page_from_its_index(cast: Cast) -> None:
    inbox_items(cast.enterprise_viewer, 3000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notify_inboxitem")
    plan = inbox_list(user=cast.enterprise_viewer)[:30].explain()
    assert "inbox_page" in plan
    # No sort of the whole inbox (SQLite's and PostgreSQL's wording).
    assert "TEMP B-TREE" not in plan
    assert "Sort" not in plan
