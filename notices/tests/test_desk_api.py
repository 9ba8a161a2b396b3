"""The desk over the JSON API: received notices, acknowledge, attest, progress."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accounts.services import api_key_create
from conftest import Cast
from notices.receipts import notice_relay
from notices.tests.desk_helpers import World, directive, world


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def relayed(cast: Cast) -> tuple[World, Any, Any]:
    w = world(cast)
    d = directive(cast)
    ra = notice_relay(actor=cast.association_officer, receipt=w.receipt(d, w.a), added_md="补充")
    return w, d, ra


def _post(client: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_it_lists_what_the_caller_received(cast: Cast, relayed: Any) -> None:
    w, d, ra = relayed
    response = cast.client(cast.enterprise_admin).get("/api/v1/desk/receipts", {"tab": "todo"})
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["notice_id"], i["publisher"], i["relayed_from"]) for i in items] == [
        (ra.pk, w.a.name, cast.federation.name)
    ]
    assert items[0]["missing"] == ["ack", "attest"]
    # The association sees its own receipt of the original, asked to relay (done).
    mine = cast.client(cast.association_officer).get("/api/v1/desk/receipts").json()["items"]
    assert [(i["notice_id"], i["relayed_as"], i["missing"]) for i in mine] == [(d.pk, ra.pk, [])]
    bad = cast.client(cast.enterprise_admin).get("/api/v1/desk/receipts", {"tab": "x"})
    assert bad.status_code == 422


def test_it_acknowledges_and_attests(cast: Cast, relayed: Any) -> None:
    w, _d, ra = relayed
    receipt = w.receipt(ra, w.a1)
    client = cast.client(cast.enterprise_admin)
    url = f"/api/v1/desk/receipts/{receipt.pk}"
    response = _post(client, f"{url}/acknowledge")
    assert response.status_code == 200
    assert response.json()["acknowledged_at"]
    assert response.json()["missing"] == ["attest"]
    empty = _post(client, f"{url}/attest", {"note": "  "})
    assert empty.status_code == 422
    assert empty.json()["error"]["fields"]["note"] == ["Say what was done to carry out the notice."]
    nul = _post(client, f"{url}/attest", {"note": "a\x00b"})
    assert nul.status_code == 422
    done = _post(client, f"{url}/attest", {"note": "已落实"})
    assert done.status_code == 200
    assert done.json()["missing"] == []
    assert _post(client, f"{url}/attest", {"note": "再次"}).status_code == 422


def test_it_refuses_writes_out_of_place(cast: Cast, relayed: Any) -> None:
    w, _d, ra = relayed
    url = f"/api/v1/desk/receipts/{w.receipt(ra, w.a1).pk}/acknowledge"
    assert _post(cast.client(cast.enterprise_viewer), url).status_code == 403
    assert _post(cast.client(cast.other_admin), url).status_code == 404
    assert _post(cast.client(cast.association_officer), url).status_code == 403  # the sender
    assert _post(cast.client(None), url).status_code == 401
    w.receipt(ra, w.a1).refresh_from_db()
    assert w.receipt(ra, w.a1).acknowledged_at is None


def test_it_answers_an_api_key_of_the_recipient(cast: Cast, relayed: Any) -> None:
    w, _d, ra = relayed
    _key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="OA", can_write=True
    )
    headers = {"Authorization": f"Bearer {secret}"}
    from django.test import Client

    client = Client()
    receipt = w.receipt(ra, w.a1)
    listed = client.get("/api/v1/desk/receipts", headers=headers)
    assert [i["id"] for i in listed.json()["items"]] == [receipt.pk]
    response = client.post(
        f"/api/v1/desk/receipts/{receipt.pk}/acknowledge",
        data="{}",
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200
    receipt.refresh_from_db()
    assert receipt.acknowledged_by == cast.enterprise_admin


def test_it_reports_progress_to_the_sender_chain(cast: Cast, relayed: Any) -> None:
    w, d, ra = relayed
    response = cast.client(cast.federation_officer).get(f"/api/v1/desk/notices/{d.pk}/progress")
    assert response.status_code == 200
    body = response.json()
    assert body["direct"]["delivered"] == 2
    assert body["direct"]["relayed"] == 1
    assert body["direct"]["relayed_pct"] == 50.0
    assert body["chain"]["delivered"] == 3
    by_association = {row["association"]: row for row in body["associations"]}
    assert by_association[w.a.name]["members"]["delivered"] == 3
    assert by_association[w.b.name]["members"] is None
    assert {row["sector"] for row in body["sectors"]} == {"hotel", "tourism"}
    a = cast.client(cast.association_officer)
    assert a.get(f"/api/v1/desk/notices/{d.pk}/progress").status_code == 404
    relay = a.get(f"/api/v1/desk/notices/{ra.pk}/progress").json()
    assert relay["direct"]["delivered"] == 3
    assert relay["chain"] is None
    assert (
        cast.client(cast.enterprise_admin).get(f"/api/v1/desk/notices/{ra.pk}/progress").status_code
        == 404
    )
