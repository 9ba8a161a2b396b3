"""Every API operation declares an access rule; the cast is refused where it should be."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import Cast
from lib.access import AccessRule, Audience
from tongzhou.api import api


def _operations() -> Iterator[tuple[str, str, Any]]:
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                full = "/" + "/".join(
                    p.strip("/") for p in ("api/v1", prefix, path) if p.strip("/")
                )
                for method in operation.methods:
                    yield method, full, operation.view_func


OPERATIONS = list(_operations())


def test_it_has_an_access_rule_on_every_operation() -> None:
    missing = [
        f"{m} {p}" for m, p, func in OPERATIONS if getattr(func, "access_rule", None) is None
    ]
    assert OPERATIONS, "no API operations found"
    assert missing == []


def test_it_serves_the_openapi_document(client: Any, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["paths"]


KIND_OF = {
    "federation": "federation",
    "association": "association",
    "enterprise_admin": "enterprise",
    "enterprise_viewer": "enterprise",
    "other_enterprise": "enterprise",
}
ALLOWED = {
    Audience.MEMBER: {"federation", "association", "enterprise"},
    Audience.ENTERPRISE: {"enterprise"},
    Audience.ASSOCIATION: {"association"},
    Audience.STEWARD: {"association", "federation"},
    Audience.FEDERATION: {"federation"},
}


def _object_path(path: str, cast: Cast) -> str | None:
    """Fill `{id}` with an object of enterprise A1, or None to skip."""
    if "{" not in path:
        return path
    if path.startswith("/api/v1/sites/"):
        return re.sub(r"\{[^}]+\}", str(cast.site.pk), path)
    if path.startswith("/api/v1/organizations/"):
        return re.sub(r"\{[^}]+\}", str(cast.enterprise.pk), path)
    if path.startswith("/api/v1/employees/"):
        from workforce.models import Employee
        from workforce.services import EmployeeInput, employee_create

        existing = Employee.objects.filter(enterprise=cast.enterprise).first()
        employee = existing or employee_create(
            actor=cast.enterprise_admin,
            enterprise=cast.enterprise,
            data=EmployeeInput(
                name="李四",
                mobile="13712345678",
                document_type="resident_id",
                document_number="360426199101010071",
            ),
        )
        return re.sub(r"\{[^}]+\}", str(employee.pk), path)
    return None


def _may_see(member: str, rule: AccessRule, *, has_object: bool, personal: bool) -> bool:
    if KIND_OF[member] not in ALLOWED[rule.audience]:
        return False
    if has_object and member == "other_enterprise":
        return False
    return not (has_object and personal and KIND_OF[member] != "enterprise")


@pytest.mark.django_db
def test_it_refuses_the_cast_on_every_read(cast: Cast) -> None:
    failures = []
    probed = 0
    for method, path, func in OPERATIONS:
        if method != "GET":
            continue
        rule: AccessRule = func.access_rule
        url = _object_path(path, cast)
        if url is None:
            continue
        personal = "/employees" in path
        for member, user in cast.members.items():
            got = cast.client(user).get(url).status_code
            probed += 1
            if rule.audience == Audience.PUBLIC:
                want = 200
            elif member == "anonymous":
                want = 401
            elif not _may_see(member, rule, has_object=url != path, personal=personal):
                want = 404
            else:
                want = 200
            if got != want:
                failures.append(f"GET {url} as {member}: expected {want}, got {got}")
    assert probed >= 30
    assert failures == []


@pytest.mark.django_db
def test_it_refuses_writes_by_a_viewer(cast: Cast) -> None:
    client = cast.client(cast.enterprise_viewer)
    for method, path, func in OPERATIONS:
        rule: AccessRule = func.access_rule
        if method == "GET" or not rule.write:
            continue
        url = _object_path(path, cast)
        if url is None:
            continue
        response = client.generic(method, url, data="{}", content_type="application/json")
        assert response.status_code == 403, f"{method} {url}"
        assert response.json()["error"]["code"] == "forbidden"
