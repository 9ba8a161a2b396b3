"""The publisher API: create a draft, edit it, publish or schedule, withdraw, list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accounts.services import api_key_create
from conftest import Cast
from notices.models import Notice, Receipt
from notices.tests.publish_factories import create, directive_input, later


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "directive",
        "title": "关于做好复工复产疫情防控工作的通知",
        "body_md": "一、落实**防控主体责任**。",
        "audience_kind": "associations",
        "audience_associations": [],
        "requires_ack": True,
        "deadline": later().isoformat(),
    }
    body.update(overrides)
    return body


def test_it_creates_publishes_and_withdraws_a_notice(cast: Cast) -> None:
    client = cast.client(cast.federation_officer)
    created = client.post(
        "/api/v1/notices",
        _body(audience_associations=[cast.association.pk]),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["status"] == "draft"
    assert "<strong>防控主体责任</strong>" in data["body_html"]
    pk = data["id"]
    updated = client.put(
        f"/api/v1/notices/{pk}",
        _body(audience_associations=[cast.association.pk], title="新标题", version=data["version"]),
        content_type="application/json",
    )
    assert updated.status_code == 200
    assert updated.json()["title"] == "新标题"
    stale = client.put(
        f"/api/v1/notices/{pk}",
        _body(audience_associations=[cast.association.pk], version=data["version"]),
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale"
    published = client.post(f"/api/v1/notices/{pk}/publish", {}, content_type="application/json")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert [r.organization for r in Receipt.objects.filter(notice_id=pk)] == [cast.association]
    withdrawn = client.post(
        f"/api/v1/notices/{pk}/withdraw", {"reason": "发错了"}, content_type="application/json"
    )
    assert withdrawn.json()["status"] == "withdrawn"
    listing = client.get("/api/v1/notices", {"status": "withdrawn"})
    assert [n["id"] for n in listing.json()["items"]] == [pk]


def test_it_refuses_out_of_scope_targets_with_a_field_error(cast: Cast) -> None:
    client = cast.client(cast.association_officer)
    for field, value in (
        ("audience_sectors", ["beauty"]),
        ("audience_districts", ["440304"]),
        ("audience_associations", [cast.other_association.pk]),
    ):
        response = client.post(
            "/api/v1/notices",
            _body(audience_kind="members", **{field: value}),
            content_type="application/json",
        )
        assert response.status_code == 422
        assert list(response.json()["error"]["fields"]) == [field]
    kind = client.post(
        "/api/v1/notices", _body(audience_kind="all_associations"), content_type="application/json"
    )
    assert kind.status_code == 422
    assert "audience_kind" in kind.json()["error"]["fields"]
    assert not Notice.objects.exists()


def test_it_refuses_a_past_deadline_and_control_characters(cast: Cast) -> None:
    client = cast.client(cast.federation_officer)
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    response = client.post(
        "/api/v1/notices",
        _body(audience_kind="all_associations", deadline=past),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "deadline" in response.json()["error"]["fields"]
    nul = client.post(
        "/api/v1/notices",
        _body(audience_kind="all_associations", title="a\x00b"),
        content_type="application/json",
    )
    assert nul.status_code == 422


def test_it_schedules_through_the_api(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input(deadline=later(5)))
    response = cast.client(cast.federation_officer).post(
        f"/api/v1/notices/{notice.pk}/publish",
        {"publish_at": later(1).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "scheduled"


def test_it_keeps_each_organisation_to_its_own_notices(cast: Cast) -> None:
    notice = create(cast.federation_officer, cast.federation, directive_input())
    for user in (cast.association_officer, cast.enterprise_admin, cast.other_admin):
        client = cast.client(user)
        assert client.get(f"/api/v1/notices/{notice.pk}").status_code == 404
        assert (
            client.post(
                f"/api/v1/notices/{notice.pk}/publish", {}, content_type="application/json"
            ).status_code
            == 404
        )
        assert client.get("/api/v1/notices").json()["items"] == []
    viewer = cast.client(cast.enterprise_viewer).post(
        "/api/v1/notices", _body(audience_kind="employees"), content_type="application/json"
    )
    assert viewer.status_code == 403


def test_it_takes_an_enterprise_api_key(cast: Cast, client: Any) -> None:
    _key, token = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="HR", can_write=True
    )
    response = client.post(
        "/api/v1/notices",
        _body(audience_kind="employees", requires_ack=False),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    notice = Notice.objects.get()
    assert notice.publisher == cast.enterprise
    assert notice.author == cast.enterprise_admin
