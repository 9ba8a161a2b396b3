"""GET /api/v1/organizations: org-level data in the caller's scope, contact mobiles masked."""

from __future__ import annotations

from django.test import Client

from accounts.services import api_key_create
from conftest import Cast

ORG_FIELDS = {
    "id",
    "kind",
    "name",
    "short_name",
    "uscc",
    "sector",
    "district",
    "street",
    "address",
    "contact_name",
    "contact_mobile",
}


def enterprise_client(cast: Cast) -> Client:
    _key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="ERP"
    )
    return Client(headers={"authorization": f"Bearer {secret}"})


def test_it_lists_an_enterprise_itself_the_federation_and_the_associations(cast: Cast) -> None:
    response = enterprise_client(cast).get("/api/v1/organizations")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert {o["id"] for o in body["items"]} == {
        cast.enterprise.pk,
        cast.federation.pk,
        cast.association.pk,
        cast.other_association.pk,
    }


def test_it_shows_org_level_fields_only(cast: Cast) -> None:
    response = enterprise_client(cast).get(f"/api/v1/organizations/{cast.enterprise.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == ORG_FIELDS
    assert body["kind"] == "enterprise"
    assert body["uscc"] == "91440300568520498A"
    assert body["sector"] == "hotel"
    assert body["district"] == "440303"
    assert body["street"] == "440303001"


def test_it_shows_the_contact_mobile_of_the_callers_own_organisation(cast: Cast) -> None:
    response = enterprise_client(cast).get(f"/api/v1/organizations/{cast.enterprise.pk}")

    assert response.json()["contact_mobile"] == "13900000000"


def test_it_masks_the_contact_mobile_of_other_organisations(cast: Cast) -> None:
    association = cast.client(cast.association_officer)
    federation = cast.client(cast.federation_officer)

    for client in (association, federation):
        response = client.get(f"/api/v1/organizations/{cast.enterprise.pk}")
        assert response.status_code == 200
        assert response.json()["contact_mobile"] == "139****0000"
        assert b"13900000000" not in response.content


def test_it_masks_contact_mobiles_in_the_list(cast: Cast) -> None:
    response = cast.client(cast.federation_officer).get("/api/v1/organizations?kind=enterprise")

    mobiles = {o["contact_mobile"] for o in response.json()["items"]}
    assert mobiles == {"139****0000"}


def test_it_filters_by_kind(cast: Cast) -> None:
    response = enterprise_client(cast).get("/api/v1/organizations?kind=association")

    assert {o["id"] for o in response.json()["items"]} == {
        cast.association.pk,
        cast.other_association.pk,
    }


def test_it_refuses_an_unknown_kind(cast: Cast) -> None:
    response = enterprise_client(cast).get("/api/v1/organizations?kind=government")

    assert response.status_code == 422
    assert "kind" in response.json()["error"]["fields"]


def test_it_paginates_with_limit_and_offset(cast: Cast) -> None:
    client = cast.client(cast.federation_officer)

    first = client.get("/api/v1/organizations?limit=2&offset=0").json()
    rest = client.get("/api/v1/organizations?limit=2&offset=2").json()

    assert first["count"] == rest["count"] == 5
    assert len(first["items"]) == 2
    ids = [o["id"] for o in first["items"] + rest["items"]]
    assert len(set(ids)) == 4


def test_it_refuses_a_page_larger_than_500(cast: Cast) -> None:
    response = enterprise_client(cast).get("/api/v1/organizations?limit=501")

    assert response.status_code == 422
    assert "limit" in response.json()["error"]["fields"]


def test_it_hides_an_enterprise_outside_the_scope(cast: Cast) -> None:
    from_enterprise = enterprise_client(cast).get(
        f"/api/v1/organizations/{cast.other_enterprise.pk}"
    )
    from_association = cast.client(cast.association_officer).get(
        f"/api/v1/organizations/{cast.other_enterprise.pk}"
    )
    missing = enterprise_client(cast).get("/api/v1/organizations/999999")

    for response in (from_enterprise, from_association, missing):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_it_shows_the_federation_another_associations_member(cast: Cast) -> None:
    response = cast.client(cast.federation_officer).get(
        f"/api/v1/organizations/{cast.other_enterprise.pk}"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "深圳市丽人美容有限公司"


def test_it_refuses_a_path_id_that_is_not_a_number(cast: Cast) -> None:
    response = enterprise_client(cast).get("/api/v1/organizations/abc")

    assert response.status_code == 422
    assert "organization_id" in response.json()["error"]["fields"]
