"""GET /api/v1/inbox and POST /api/v1/inbox/{id}/read."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import api_key_create
from conftest import Cast
from notify.models import InboxItem


def items(cast: Cast) -> list[InboxItem]:
    made = [
        InboxItem.objects.create(
            user=cast.enterprise_admin,
            organization=cast.enterprise,
            key=f"k{n}",
            subject=f"通知{n}",
            url=f"/notices/{n}/",
            read_at=timezone.now() if n == 0 else None,
        )
        for n in range(3)
    ]
    InboxItem.objects.create(user=cast.enterprise_viewer, key="other", subject="别人的")
    return made


def test_it_lists_the_users_inbox_with_counts(cast: Cast) -> None:
    items(cast)
    response = cast.client(cast.enterprise_admin).get("/api/v1/inbox", {"limit": 2})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 3
    assert data["unread"] == 2
    assert [item["subject"] for item in data["items"]] == ["通知2", "通知1"]
    assert data["items"][0]["organization"] == cast.enterprise.pk
    assert data["items"][0]["read_at"] is None
    rest = cast.client(cast.enterprise_admin).get("/api/v1/inbox", {"offset": 2}).json()
    assert [item["subject"] for item in rest["items"]] == ["通知0"]


def test_it_refuses_a_bad_page_size(cast: Cast) -> None:
    response = cast.client(cast.enterprise_admin).get("/api/v1/inbox", {"limit": 10_000})
    assert response.status_code == 422


def test_it_marks_a_message_read(cast: Cast) -> None:
    item = items(cast)[1]
    client = cast.client(cast.enterprise_admin)
    response = client.post(f"/api/v1/inbox/{item.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.post(f"/api/v1/inbox/{item.pk}/read").status_code == 200  # again: harmless
    assert client.get("/api/v1/inbox").json()["unread"] == 1


@pytest.mark.parametrize(
    "member", ["federation", "association", "enterprise_viewer", "other_enterprise"]
)
def test_it_hides_another_persons_message(cast: Cast, member: str) -> None:
    item = items(cast)[1]
    response = cast.client(cast.members[member]).post(f"/api/v1/inbox/{item.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    item.refresh_from_db()
    assert item.read_at is None


def test_it_asks_an_anonymous_caller_to_sign_in(cast: Cast) -> None:
    item = items(cast)[1]
    assert Client().get("/api/v1/inbox").status_code == 401
    assert Client().post(f"/api/v1/inbox/{item.pk}/read").status_code == 401


def test_it_refuses_an_api_key(cast: Cast) -> None:
    item = items(cast)[1]
    _key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="HR"
    )
    client = Client(headers={"authorization": f"Bearer {secret}"})
    response = client.get("/api/v1/inbox")
    assert response.status_code == 403
    assert "sign in" in response.json()["error"]["message"]
    assert client.post(f"/api/v1/inbox/{item.pk}/read").status_code == 403
    item.refresh_from_db()
    assert item.read_at is None
