"""Who may call the API: API keys, browser sessions, and the cast probed on every endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import ApiKey, User
from accounts.services import api_key_create, api_key_revoke
from conftest import Cast
from orgs.models import Organization, Site
from workforce.models import Employee
from workforce.services import EmployeeInput, employee_create

SITE_BODY = {
    "name": "南山店",
    "address": "深圳市罗湖区桂园街道2号",
    "district": "440303",
    "street": "440303001",
    "floor_area_m2": "80.5",
    "kind": "store",
    "service_mode": "open",
}


def key_client(
    actor: User, organization: Organization, *, can_write: bool = True
) -> tuple[Client, ApiKey]:
    """A client sending a fresh API key of the organisation."""
    key, secret = api_key_create(
        actor=actor, organization=organization, name="HR system", can_write=can_write
    )
    return Client(headers={"authorization": f"Bearer {secret}"}), key


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    error: dict[str, Any] = body["error"]
    return error


def make_employee(cast: Cast) -> Employee:
    return employee_create(
        actor=cast.enterprise_admin,
        enterprise=cast.enterprise,
        data=EmployeeInput(
            name="张三",
            mobile="13912345678",
            document_type="passport",
            document_number="E12345678",
        ),
    )


def test_it_refuses_a_request_without_credentials(cast: Cast) -> None:
    response = Client().get("/api/v1/sites")

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_it_asks_an_anonymous_post_to_authenticate_rather_than_for_a_csrf_token(
    cast: Cast,
) -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/sites", SITE_BODY, content_type="application/json"
    )

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_it_refuses_an_unknown_key(cast: Cast) -> None:
    client = Client(headers={"authorization": "Bearer tz_not-a-real-key"})

    response = client.get("/api/v1/sites")

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_it_refuses_a_revoked_key(cast: Cast) -> None:
    client, key = key_client(cast.enterprise_admin, cast.enterprise)
    api_key_revoke(actor=cast.enterprise_admin, key=key)

    response = client.get("/api/v1/sites")

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_it_accepts_a_valid_key_and_records_when_it_was_used(cast: Cast) -> None:
    client, key = key_client(cast.enterprise_admin, cast.enterprise)
    assert key.last_used_at is None

    response = client.get("/api/v1/sites")

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["items"]] == [cast.site.pk]
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_it_lets_a_read_only_key_read_but_not_write(cast: Cast) -> None:
    client, _key = key_client(cast.enterprise_admin, cast.enterprise, can_write=False)

    assert client.get("/api/v1/sites").status_code == 200
    created = client.post("/api/v1/sites", SITE_BODY, content_type="application/json")
    edited = client.put(
        f"/api/v1/sites/{cast.site.pk}",
        {**SITE_BODY, "version": cast.site.version},
        content_type="application/json",
    )
    deleted = client.delete(f"/api/v1/sites/{cast.site.pk}")

    for response in (created, edited, deleted):
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
    assert list(Site.objects.filter(enterprise=cast.enterprise)) == [cast.site]
    cast.site.refresh_from_db()
    assert cast.site.name == "罗湖店"


def test_it_refuses_a_read_only_key_before_looking_at_the_body(cast: Cast) -> None:
    client, _key = key_client(cast.enterprise_admin, cast.enterprise, can_write=False)

    for body in ("{not json", '{"name": 1}'):
        response = client.post("/api/v1/sites", body, content_type="application/json")
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"


@pytest.mark.parametrize("member", ["association", "federation"])
def test_it_answers_404_out_of_scope_whatever_the_body(cast: Cast, member: str) -> None:
    client = cast.client(cast.members[member])

    for path in ("/api/v1/employees", "/api/v1/employees/bulk", "/api/v1/sites"):
        response = client.post(path, "{not json", content_type="application/json")
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_it_hides_another_enterprises_site_and_employee_from_a_key(cast: Cast) -> None:
    employee = make_employee(cast)
    client, _key = key_client(cast.other_admin, cast.other_enterprise)

    reads = [
        client.get(f"/api/v1/sites/{cast.site.pk}"),
        client.get(f"/api/v1/employees/{employee.pk}"),
        client.get(f"/api/v1/organizations/{cast.enterprise.pk}"),
    ]
    writes = [
        client.put(
            f"/api/v1/sites/{cast.site.pk}",
            {**SITE_BODY, "version": cast.site.version},
            content_type="application/json",
        ),
        client.delete(f"/api/v1/sites/{cast.site.pk}"),
        client.delete(f"/api/v1/employees/{employee.pk}"),
    ]

    for response in reads + writes:
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert Site.objects.filter(pk=cast.site.pk, name="罗湖店").exists()
    assert Employee.objects.filter(pk=employee.pk).exists()


def test_it_answers_a_missing_id_and_a_foreign_id_alike(cast: Cast) -> None:
    client, _key = key_client(cast.enterprise_admin, cast.enterprise)

    foreign = client.get(f"/api/v1/sites/{cast.other_site.pk}")
    missing = client.get("/api/v1/sites/999999")

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_it_serves_a_signed_in_browser_session(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)

    response = client.get("/api/v1/sites")

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["items"]] == [cast.site.pk]


def test_it_refuses_a_session_post_without_a_csrf_token(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.enterprise_admin, backend="django.contrib.auth.backends.ModelBackend")

    response = client.post("/api/v1/sites", SITE_BODY, content_type="application/json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert not Site.objects.filter(name="南山店").exists()


def test_it_accepts_a_session_post_with_a_csrf_token(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.enterprise_admin, backend="django.contrib.auth.backends.ModelBackend")
    token = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = token

    response = client.post(
        "/api/v1/sites", SITE_BODY, content_type="application/json", headers={"x-csrftoken": token}
    )

    assert response.status_code == 201
    assert Site.objects.filter(name="南山店", enterprise=cast.enterprise).exists()


def test_it_does_not_check_csrf_for_an_api_key(cast: Cast) -> None:
    _key, secret = api_key_create(
        actor=cast.enterprise_admin, organization=cast.enterprise, name="HR"
    )
    client = Client(enforce_csrf_checks=True, headers={"authorization": f"Bearer {secret}"})

    response = client.post("/api/v1/sites", SITE_BODY, content_type="application/json")

    assert response.status_code == 201


@pytest.mark.parametrize("member", ["association", "federation"])
def test_it_keeps_associations_and_the_federation_out_of_the_roster(
    cast: Cast, member: str
) -> None:
    make_employee(cast)
    client = cast.client(cast.members[member])

    for path in ("/api/v1/employees", "/api/v1/sites", f"/api/v1/sites/{cast.site.pk}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_it_lists_an_associations_members_and_the_directory(cast: Cast) -> None:
    response = cast.client(cast.association_officer).get("/api/v1/organizations")

    assert response.status_code == 200
    ids = {o["id"] for o in response.json()["items"]}
    assert ids == {
        cast.federation.pk,
        cast.association.pk,
        cast.other_association.pk,
        cast.enterprise.pk,
    }


def test_it_lists_every_organisation_for_the_federation(cast: Cast) -> None:
    response = cast.client(cast.federation_officer).get("/api/v1/organizations")

    assert response.status_code == 200
    assert response.json()["count"] == Organization.objects.count() == 5


# What each member of the cast gets from each operation (STYLE.md §20).
MATRIX: dict[str, dict[str, int]] = {
    "GET /api/v1/organizations": {
        "federation": 200,
        "association": 200,
        "enterprise_admin": 200,
        "enterprise_viewer": 200,
        "other_enterprise": 200,
        "anonymous": 401,
    },
    "GET /api/v1/sites": {
        "federation": 404,
        "association": 404,
        "enterprise_admin": 200,
        "enterprise_viewer": 200,
        "other_enterprise": 200,
        "anonymous": 401,
    },
    "POST /api/v1/sites": {
        "federation": 404,
        "association": 404,
        "enterprise_admin": 201,
        "enterprise_viewer": 403,
        "other_enterprise": 201,
        "anonymous": 401,
    },
    "GET /api/v1/employees": {
        "federation": 404,
        "association": 404,
        "enterprise_admin": 200,
        "enterprise_viewer": 200,
        "other_enterprise": 200,
        "anonymous": 401,
    },
    "POST /api/v1/employees": {
        "federation": 404,
        "association": 404,
        "enterprise_admin": 201,
        "enterprise_viewer": 403,
        "other_enterprise": 201,
        "anonymous": 401,
    },
}
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/sites": SITE_BODY,
    "/api/v1/employees": {
        "name": "李四",
        "mobile": "13987654321",
        "document_type": "passport",
        "document_number": "E87654321",
    },
}


@pytest.mark.parametrize(
    ("operation", "member"),
    [(operation, member) for operation, row in MATRIX.items() for member in row],
)
def test_it_gives_each_member_of_the_cast_the_right_answer(
    cast: Cast, operation: str, member: str
) -> None:
    method, path = operation.split(" ")
    client = cast.client(cast.members[member])

    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, BODIES[path], content_type="application/json")

    assert response.status_code == MATRIX[operation][member]
    if response.status_code >= 400:
        error_of(response)


def test_it_serves_the_openapi_document(cast: Cast) -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert set(document["components"]["securitySchemes"]) == {"ApiKeyAuth", "GrantSessionAuth"}
    paths = document["paths"]
    for path in (
        "/api/v1/organizations",
        "/api/v1/organizations/{organization_id}",
        "/api/v1/sites",
        "/api/v1/sites/{site_id}",
        "/api/v1/employees",
        "/api/v1/employees/{employee_id}",
        "/api/v1/employees/bulk",
    ):
        assert path in paths


def test_it_serves_the_documentation_page(cast: Cast) -> None:
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content
