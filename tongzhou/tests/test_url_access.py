"""Every URL declares an access rule, and the standard cast is refused where it should be.

The rule table is derived from each view's declared `access_rule`, so a new page is
probed automatically; object pages are probed with objects of enterprise A1, which only
A1's own people (and, for org-level data, its association and the federation) may see.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import Cast
from lib.access import AccessRule, Audience

# Views that are not ours to decorate (Django's static/media serving in DEBUG only).
EXEMPT_PREFIXES = ("api:",)  # the API is checked operation by operation in test_api_access


# URL arguments captured by the include() prefixes of a pattern (e.g. me/<str:token>/).
PREFIX_KEYS: dict[str, set[str]] = {}


def _walk(
    patterns: list[Any], namespace: str = "", prefix: frozenset[str] = frozenset()
) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            keys = prefix | set(getattr(entry.pattern, "converters", {}))
            yield from _walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace, keys)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name or '<unnamed>'}"
            PREFIX_KEYS[name] = set(prefix)
            yield name, entry


def url_keys(name: str, pattern: URLPattern) -> set[str]:
    """Every argument the URL takes: its own and its include() prefixes'."""
    return set(pattern.pattern.converters) | PREFIX_KEYS.get(name, set())


ALL_PATTERNS = [
    (name, p)
    for name, p in _walk(get_resolver().url_patterns)
    if not name.startswith(EXEMPT_PREFIXES)
]


def rule_of(pattern: URLPattern) -> AccessRule | None:
    return getattr(pattern.callback, "access_rule", None)


def test_it_has_an_access_rule_on_every_url() -> None:
    missing = [name for name, pattern in ALL_PATTERNS if rule_of(pattern) is None]
    assert missing == []


def test_it_finds_the_urls_it_checks() -> None:
    names = {name for name, _ in ALL_PATTERNS}
    assert {"accounts:login", "dashboards:home", "accounts:people"} <= names


def _kwargs(name: str, pattern: URLPattern, cast: Cast) -> dict[str, Any] | None:
    """URL arguments pointing at enterprise A1's objects, or None to skip the pattern."""
    keys = url_keys(name, pattern)
    if not keys:
        return {}
    objects = object_for(name, cast)
    if objects is None:
        return None
    return {k: v for k, v in objects.items() if k in keys}


def object_for(name: str, cast: Cast) -> dict[str, Any] | None:
    """The object behind a parameterised URL (pk of something belonging to A1)."""
    from accounts.models import RoleGrant
    from orgs.models import Membership

    by_name: dict[str, Any] = {
        "orgs:membership_detail": lambda: Membership.objects.get(enterprise=cast.enterprise).pk,
        "orgs:membership_decide": lambda: Membership.objects.get(enterprise=cast.enterprise).pk,
        "orgs:enterprise_detail": lambda: cast.enterprise.pk,
        "accounts:member_invite": lambda: cast.enterprise.pk,
        "orgs:site_edit": lambda: cast.site.pk,
        "orgs:site_delete": lambda: cast.site.pk,
        "accounts:grant_change": lambda: (
            RoleGrant.objects.filter(organization=cast.enterprise)[0].pk
        ),
        "emergencies:emergency_close": lambda: _emergency().pk,
    }
    if name.startswith("workforce:") and name in {
        "workforce:employee_detail",
        "workforce:employee_edit",
        "workforce:employee_delete",
        "workforce:employee_reveal",
    }:
        return {"pk": _employee(cast).pk}
    if name == "workforce:import_status":
        return {"pk": _import_job(cast).pk}
    if name in by_name:
        return {"pk": by_name[name]()}
    for hooks in _app_hooks():
        found = hooks.objects(name, cast)
        if found is not None:
            return dict(found)
    return None


def _app_hooks() -> list[Any]:
    """Each app may add `tests/access_objects.py` with `objects(name, cast)` returning the
    URL kwargs for A1's object behind a pattern (or None), and `PERSONAL`: the names of
    patterns that show personal data (only A1's own people may open them)."""
    import importlib

    from django.apps import apps

    hooks = []
    for config in apps.get_app_configs():
        try:
            hooks.append(importlib.import_module(f"{config.name}.tests.access_objects"))
        except ModuleNotFoundError as exc:
            if (
                exc.name != f"{config.name}.tests.access_objects"
                and exc.name != f"{config.name}.tests"
            ):
                raise
    return hooks


def is_personal(name: str) -> bool:
    return name.startswith("workforce:") or any(
        name in getattr(hooks, "PERSONAL", ()) for hooks in _app_hooks()
    )


def _emergency() -> Any:
    import datetime as dt

    from emergencies.models import Emergency

    return Emergency.objects.filter(is_current=True).first() or Emergency.objects.create(
        name="演练", kind="epidemic", started_on=dt.date(2020, 1, 23), is_current=True
    )


def _employee(cast: Cast) -> Any:
    from workforce.models import Employee
    from workforce.services import EmployeeInput, employee_create

    existing = Employee.objects.filter(enterprise=cast.enterprise).first()
    return existing or employee_create(
        actor=cast.enterprise_admin,
        enterprise=cast.enterprise,
        data=EmployeeInput(
            name="张三",
            mobile="13912345678",
            document_type="resident_id",
            document_number="11010519491231002X",
        ),
    )


def _import_job(cast: Cast) -> Any:
    from workforce.models import ImportJob

    return ImportJob.objects.create(
        enterprise=cast.enterprise,
        created_by=cast.enterprise_admin,
        filename="x.csv",
        content=b"",
        status="done",
    )


KIND_OF = {
    "federation": "federation",
    "association": "association",
    "enterprise_admin": "enterprise",
    "enterprise_viewer": "enterprise",
    "other_enterprise": "enterprise",
}
ALLOWED_KINDS = {
    Audience.MEMBER: {"federation", "association", "enterprise"},
    Audience.ENTERPRISE: {"enterprise"},
    Audience.ASSOCIATION: {"association"},
    Audience.STEWARD: {"association", "federation"},
    Audience.FEDERATION: {"federation"},
}
# Who may see enterprise A1's org-level objects (sites, memberships, the enterprise).
SEES_A1_ORG_DATA = {"federation", "association", "enterprise_admin", "enterprise_viewer"}
SEES_A1_PERSONAL_DATA = {"enterprise_admin", "enterprise_viewer"}
# The only association-side objects here are A1's membership: B1's admin is not near it.


def expected_denial(rule: AccessRule, member: str, personal: bool, has_object: bool) -> int | None:
    """The status a cast member must get, or None when they are let through."""
    if rule.audience in {Audience.PUBLIC, Audience.TOKEN}:
        return None
    if member == "anonymous":
        return 302
    if rule.audience == Audience.SIGNED_IN:
        return None
    if KIND_OF[member] not in ALLOWED_KINDS[rule.audience]:
        return 404
    if has_object:
        allowed = SEES_A1_PERSONAL_DATA if personal else SEES_A1_ORG_DATA
        if member not in allowed:
            return 404
    if rule.admin and member in {"enterprise_viewer"}:
        return 403
    if rule.write and member == "enterprise_viewer":
        return 403
    return None


@pytest.mark.django_db
def test_it_refuses_the_cast_where_it_should(cast: Cast) -> None:
    failures: list[str] = []
    probed = 0
    for name, pattern in ALL_PATTERNS:
        rule = rule_of(pattern)
        assert rule is not None
        kwargs = _kwargs(name, pattern, cast)
        if kwargs is None:
            continue
        url = reverse(name, kwargs=kwargs)
        personal = is_personal(name)
        for member, user in cast.members.items():
            client = cast.client(user)
            response = client.get(url)
            probed += 1
            want = expected_denial(rule, member, personal, has_object=bool(kwargs))
            if want is not None and response.status_code == 405:
                # A POST-only view checks its object after the method: probe the denial
                # with a POST (only for those who must be refused, so nothing changes).
                response = client.post(url, {})
            got = response.status_code
            if want is None:
                if got in {302, 403, 404} and not (got == 302 and rule.audience == Audience.PUBLIC):
                    failures.append(f"{name} {member}: let through expected, got {got}")
            elif got != want:
                failures.append(f"{name} {member}: expected {want}, got {got}")
            if want == 302:
                assert "/accounts/login/" in response["Location"], name
    assert probed > 100
    assert failures == []
