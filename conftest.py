"""The shared tenancy cast every view and endpoint is probed with (STYLE.md §20).

- federation officer: admin of the federation
- association officer: admin of association A (hotels)
- enterprise admin: admin of enterprise A1, an active member of A
- enterprise viewer: viewer of A1
- other admin: admin of enterprise B1, an active member of association B (beauty) only
- anonymous
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role, RoleGrant, User
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
    Site,
)

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - the test users' password


@dataclass
class Cast:
    federation: Organization
    association: Organization
    other_association: Organization
    enterprise: Organization
    other_enterprise: Organization
    site: Site
    other_site: Site
    federation_officer: User
    association_officer: User
    enterprise_admin: User
    enterprise_viewer: User
    other_admin: User

    def client(self, user: User | None) -> Client:
        """A client signed in as `user` (anonymous for None)."""
        client = Client()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    @property
    def members(self) -> dict[str, User | None]:
        return {
            "federation": self.federation_officer,
            "association": self.association_officer,
            "enterprise_admin": self.enterprise_admin,
            "enterprise_viewer": self.enterprise_viewer,
            "other_enterprise": self.other_admin,
            "anonymous": None,
        }


def make_user(mobile: str, name: str) -> User:
    return User.objects.create_user(mobile, PASSWORD, name=name)


def make_enterprise(name: str, uscc: str, sector: Sector) -> Organization:
    return Organization.objects.create(
        kind=OrganizationKind.ENTERPRISE,
        name=name,
        uscc=uscc,
        sector=sector,
        district=Division.objects.get(code="440303"),
        street=Division.objects.get(code="440303001"),
        contact_name="联系人",
        contact_mobile="13900000000",
    )


def make_site(enterprise: Organization, name: str) -> Site:
    return Site.objects.create(
        enterprise=enterprise,
        name=name,
        address="深圳市罗湖区桂园街道1号",
        district=Division.objects.get(code="440303"),
        street=Division.objects.get(code="440303001"),
        floor_area_m2=Decimal("120.0"),
        kind=Site.Kind.STORE,
        service_mode=Site.ServiceMode.OPEN,
    )


def ensure_reference_data() -> None:
    """Sectors and divisions come with the migrations, but a transactional test (the
    browser tests) flushes every table when it ends; put them back for the next one."""
    if not Sector.objects.exists():
        from orgs.reference import load_reference_data

        load_reference_data(Sector, Division)


@pytest.fixture
def reference_data(db: None) -> None:
    ensure_reference_data()


@pytest.fixture
def cast(db: None, _test_settings: None) -> Cast:
    ensure_reference_data()
    hotel = Sector.objects.get(code="hotel")
    beauty = Sector.objects.get(code="beauty")
    federation = Organization.objects.create(
        kind=OrganizationKind.FEDERATION, name="中共深圳市生活服务类行业协会联合委员会"
    )
    association = Organization.objects.create(
        kind=OrganizationKind.ASSOCIATION, name="深圳市酒店业商会", parent=federation, sector=hotel
    )
    other_association = Organization.objects.create(
        kind=OrganizationKind.ASSOCIATION,
        name="深圳市美容行业协会",
        parent=federation,
        sector=beauty,
    )
    enterprise = make_enterprise("深圳市同舟酒店有限公司", "91440300568520498A", hotel)
    other_enterprise = make_enterprise("深圳市丽人美容有限公司", "9144030071526726XG", beauty)
    Membership.objects.create(
        enterprise=enterprise, association=association, status=MembershipStatus.ACTIVE
    )
    Membership.objects.create(
        enterprise=other_enterprise, association=other_association, status=MembershipStatus.ACTIVE
    )
    users = {
        "federation_officer": (make_user("13800000001", "联委会干事"), federation, Role.ADMIN),
        "association_officer": (make_user("13800000002", "商会秘书"), association, Role.ADMIN),
        "enterprise_admin": (make_user("13800000003", "防控负责人"), enterprise, Role.ADMIN),
        "enterprise_viewer": (make_user("13800000004", "只读用户"), enterprise, Role.VIEWER),
        "other_admin": (make_user("13800000005", "他企管理员"), other_enterprise, Role.ADMIN),
    }
    for user, org, role in users.values():
        RoleGrant.objects.create(user=user, organization=org, role=role)
    return Cast(
        federation=federation,
        association=association,
        other_association=other_association,
        enterprise=enterprise,
        other_enterprise=other_enterprise,
        site=make_site(enterprise, "罗湖店"),
        other_site=make_site(other_enterprise, "福田店"),
        **{key: value[0] for key, value in users.items()},
    )


@pytest.fixture(autouse=True, scope="session")
def _short_lived_connections() -> None:
    """Close database connections at the end of each request in tests: with persistent
    connections (CONN_MAX_AGE, right in production) the live server's request threads
    keep theirs open and PostgreSQL cannot drop the test database afterwards."""
    from django.db import connections

    for connection in connections.all():
        connection.settings_dict["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> Iterator[None]:
    """Run background tasks inline, hash test passwords quickly (PBKDF2 costs ~0.8 s a
    password on this machine; the demo tests use the real hasher), and speak English:
    tests compare messages with their English msgids. The Chinese default and the
    catalogues are tested in tongzhou/tests/test_translations.py with explicit languages."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # verifies hashes made elsewhere
    ]
    from django.core.cache import cache

    cache.clear()  # rate limits and cached dashboard sums never leak from one test to the next
    from emergencies.rules import rules_changed

    rules_changed.send(sender=None)  # nor forms composed from another test's rules (same pks)
    with translation.override("en"):
        yield


# A mainland mobile number, full or masked as the pages mask it (138****1234). Tests that
# pages carry no personal field look for this rather than for "139": a random CSRF token
# contains "139" now and then.
MOBILE_NUMBER = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)1[3-9]\d\*{4}\d{4}(?!\d)")


def has_mobile_number(text: str) -> bool:
    return MOBILE_NUMBER.search(text) is not None


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser).

    Skipped when Chromium is absent, unless TONGZHOU_REQUIRE_BROWSER=1 (CI), where a
    missing browser fails the run.
    """
    if not Path(CHROMIUM).exists():
        if os.environ.get("TONGZHOU_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required here (TONGZHOU_REQUIRE_BROWSER=1) but absent.")
        pytest.skip("Chromium is not installed.")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls that fixtures
    # make meanwhile are still synchronous. Restored afterwards so no subprocess inherits it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
