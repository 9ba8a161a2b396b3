"""/api/v1/sites: an enterprise's own sites, optimistic locking, and hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.services import api_key_create
from audit.models import AuditEvent
from conftest import Cast
from orgs.models import Site

BODY: dict[str, Any] = {
    "name": "南山店",
    "address": "深圳市罗湖区桂园街道2号",
    "district": "440303",
    "street": "440303001",
    "floor_area_m2": "80.5",
    "kind": "store",
    "service_mode": "appointment",
}


@pytest.fixture
def client(cast: Cast) -> Client:
    """A client with an API key of enterprise A1."""
    _key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="ERP"
    )
    return Client(headers={"authorization": f"Bearer {secret}"})


def post(client: Client, body: Any, path: str = "/api/v1/sites") -> Any:
    return client.post(path, body, content_type="application/json")


def put(client: Client, site: Site, body: Any) -> Any:
    return client.put(f"/api/v1/sites/{site.pk}", body, content_type="application/json")


def fields_of(response: Any) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = response.json()["error"]["fields"]
    return fields


def test_it_lists_only_the_callers_sites(cast: Cast, client: Client) -> None:
    response = client.get("/api/v1/sites")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [s["name"] for s in body["items"]] == ["罗湖店"]


def test_it_shows_a_site_with_division_codes_and_version(cast: Cast, client: Client) -> None:
    response = client.get(f"/api/v1/sites/{cast.site.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["district"] == "440303"
    assert body["street"] == "440303001"
    assert body["kind"] == "store"
    assert body["version"] == 1
    assert "enterprise" not in body


def test_it_creates_a_site_and_audits_it(cast: Cast, client: Client) -> None:
    response = post(client, BODY)

    assert response.status_code == 201
    body = response.json()
    site = Site.objects.get(pk=body["id"])
    assert site.enterprise == cast.enterprise
    assert site.name == "南山店"
    assert str(site.floor_area_m2) == "80.5"
    assert body["service_mode"] == "appointment"
    assert AuditEvent.objects.filter(action="site.create", object_id=str(site.pk)).exists()


def test_it_names_unknown_division_codes(cast: Cast, client: Client) -> None:
    response = post(client, {**BODY, "district": "999999", "street": "999999999"})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert set(fields_of(response)) == {"district", "street"}
    assert Site.objects.count() == 2


def test_it_refuses_a_street_of_another_district(cast: Cast, client: Client) -> None:
    response = post(client, {**BODY, "district": "440304"})

    assert response.status_code == 422
    assert set(fields_of(response)) == {"street"}


@pytest.mark.parametrize("area", ["0", "-3", "1000001", "NaN", "Infinity"])
def test_it_refuses_an_impossible_floor_area(cast: Cast, client: Client, area: str) -> None:
    response = post(client, {**BODY, "floor_area_m2": area})

    assert response.status_code == 422
    assert "floor_area_m2" in fields_of(response)
    assert Site.objects.count() == 2


def test_it_refuses_an_unknown_kind(cast: Cast, client: Client) -> None:
    response = post(client, {**BODY, "kind": "casino"})

    assert response.status_code == 422
    assert "kind" in fields_of(response)


def test_it_updates_a_site_with_the_current_version(cast: Cast, client: Client) -> None:
    response = put(client, cast.site, {**BODY, "name": "罗湖旗舰店", "version": 1})

    assert response.status_code == 200
    assert response.json()["version"] == 2
    cast.site.refresh_from_db()
    assert cast.site.name == "罗湖旗舰店"
    assert cast.site.version == 2


def test_it_refuses_a_stale_version_with_409(cast: Cast, client: Client) -> None:
    assert put(client, cast.site, {**BODY, "name": "第一次", "version": 1}).status_code == 200

    response = put(client, cast.site, {**BODY, "name": "第二次", "version": 1})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale"
    cast.site.refresh_from_db()
    assert cast.site.name == "第一次"


def test_it_requires_the_version_with_428(cast: Cast, client: Client) -> None:
    response = put(client, cast.site, {**BODY, "name": "无版本"})

    assert response.status_code == 428
    assert response.json()["error"]["code"] == "version_required"
    cast.site.refresh_from_db()
    assert cast.site.name == "罗湖店"


def test_it_deletes_a_site(cast: Cast, client: Client) -> None:
    response = client.delete(f"/api/v1/sites/{cast.site.pk}")

    assert response.status_code == 204
    assert not Site.objects.filter(pk=cast.site.pk).exists()
    assert client.get(f"/api/v1/sites/{cast.site.pk}").status_code == 404


def test_it_cannot_touch_another_enterprises_site(cast: Cast, client: Client) -> None:
    edited = put(client, cast.other_site, {**BODY, "version": 1})
    deleted = client.delete(f"/api/v1/sites/{cast.other_site.pk}")

    assert edited.status_code == deleted.status_code == 404
    cast.other_site.refresh_from_db()
    assert cast.other_site.name == "福田店"


def test_it_stores_and_returns_markup_as_plain_text(cast: Cast, client: Client) -> None:
    name = '<script>alert("x")</script>'

    response = post(client, {**BODY, "name": name})

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["name"] == name
    assert Site.objects.filter(name=name).exists()
    assert client.get(f"/api/v1/sites/{response.json()['id']}").json()["name"] == name


def test_it_refuses_a_ten_megabyte_name(cast: Cast, client: Client) -> None:
    response = post(client, {**BODY, "name": "x" * (10 * 1024 * 1024)})

    assert response.status_code == 422
    assert "name" in fields_of(response)
    assert len(response.content) < 2000
    assert Site.objects.count() == 2


def test_it_refuses_a_body_over_the_upload_limit_with_413(cast: Cast, client: Client) -> None:
    response = post(client, {**BODY, "name": "x" * (13 * 1024 * 1024)})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_it_refuses_control_characters(cast: Cast, client: Client) -> None:
    response = post(client, {**BODY, "name": "南山\x00店", "district": "440303\x00"})

    assert response.status_code == 422
    assert {"name", "district"} <= set(fields_of(response))


def test_it_names_every_field_of_the_wrong_type(cast: Cast, client: Client) -> None:
    response = post(client, {**BODY, "name": 123, "floor_area_m2": "big", "kind": ["store"]})

    assert response.status_code == 422
    assert {"name", "floor_area_m2", "kind"} <= set(fields_of(response))


def test_it_names_missing_fields(cast: Cast, client: Client) -> None:
    response = post(client, {"name": "只有名字"})

    assert response.status_code == 422
    assert {"address", "district", "street", "floor_area_m2", "kind", "service_mode"} <= set(
        fields_of(response)
    )


@pytest.mark.parametrize("raw", ['{"name": ', "not json", "\xff\xfe", ""])
def test_it_answers_malformed_json_in_the_error_format(
    cast: Cast, client: Client, raw: str
) -> None:
    response = post(client, raw)

    assert response.status_code in {400, 422}
    assert set(response.json()["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize("body", [[BODY], "a string", 42, None])
def test_it_refuses_a_body_that_is_not_an_object(cast: Cast, client: Client, body: Any) -> None:
    response = post(client, json.dumps(body))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_it_refuses_a_path_id_that_is_not_a_number(cast: Cast, client: Client) -> None:
    response = client.get("/api/v1/sites/1%20OR%201=1")

    assert response.status_code == 422
    assert "site_id" in fields_of(response)
