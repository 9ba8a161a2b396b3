"""Foundation benchmarks: roster import and export, the roster list, the member list.

Prints figures and compares them with reference/performance-baselines.md §2b (calamine
parses + validates 100k rows in 1.21 s; Django bulk_create writes 100k in 3.89 s, so the
floor for 10k rows is about 0.12 s + 0.39 s before encryption and hashing).

Usage (from the repository root):
    .venv/bin/python bench/foundation.py                       # SQLite (a scratch test DB)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/foundation.py
Options: --rows N (roster size, default 10000), --members N (association size, 5000),
         --repeat N (page requests per figure, 20).
It creates and destroys its own test database; nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongzhou.settings")
os.environ.setdefault("TONGZHOU_ENV", "test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def page_figures(client: Client, url: str, repeat: int) -> tuple[float, float, int, int]:
    """Median and p95 milliseconds, queries per request, status."""
    client.get(url)  # warm caches
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            elapsed, response = timed(client.get, url)
        times.append(elapsed * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95, len(queries), response.status_code


def _analyze() -> None:
    """Refresh planner statistics after the bulk load, as autovacuum would within a minute
    on a live server; without them PostgreSQL plans for an empty table (a 60 ms sort
    instead of a 0.2 ms index scan on the roster page)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.ALLOWED_HOSTS = ["*"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace) -> None:
    from accounts.models import Role, RoleGrant, User
    from lib.ids import resident_id_check_char
    from lib.spreadsheets import write_csv, write_xlsx
    from orgs.models import Division, Membership, Organization, Sector, Site
    from workforce.exports import roster_export
    from workforce.imports import HEADERS, roster_import_run
    from workforce.models import Employee, ImportJob
    from workforce.selectors import employee_list

    vendor = connection.vendor
    print(f"database: {vendor}; roster rows: {args.rows}; association members: {args.members}")
    rng = random.Random(7)
    hotel = Sector.objects.get(code="hotel")
    district = Division.objects.get(code="440304")
    street = Division.objects.get(code="440304011")
    federation = Organization.objects.create(kind="federation", name="联合委员会")
    association = Organization.objects.create(
        kind="association", name="深圳市酒店业商会", parent=federation, sector=hotel
    )
    enterprise = Organization.objects.create(
        kind="enterprise",
        name="深圳市基准酒店有限公司",
        sector=hotel,
        district=district,
        street=street,
    )
    Membership.objects.create(enterprise=enterprise, association=association, status="active")
    sites = [
        Site.objects.create(
            enterprise=enterprise,
            name=f"门店{i}",
            address="华强北路1号",
            district=district,
            street=street,
            floor_area_m2=Decimal(500),
            kind="hotel",
            service_mode="open",
        )
        for i in range(5)
    ]
    admin = User.objects.create_user("13800138000", "bench-password-123", name="基准")
    grant = RoleGrant.objects.create(user=admin, organization=enterprise, role=Role.ADMIN)
    officer = User.objects.create_user("13800138001", "bench-password-123", name="商会")
    RoleGrant.objects.create(user=officer, organization=association, role=Role.ADMIN)

    counties = list(
        Division.objects.filter(level="county", code__startswith="44").select_related(
            "parent__parent"
        )
    )
    rows = []
    for i in range(args.rows):
        county = counties[i % len(counties)]
        city = county.parent
        assert city is not None
        assert city.parent is not None
        body = f"{county.code}{1970 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        number = body + resident_id_check_char(body)
        rows.append(
            [
                f"员工{i:05d}",
                f"139{i:08d}",
                "居民身份证",
                number,
                "服务员",
                sites[i % len(sites)].name,
                "是" if i % 10 == 0 else "否",
                city.parent.name,
                city.name,
                county.name,
                "在职",
            ]
        )
    # Unique IDs: the body above repeats once i wraps 30 years × 12 × 28 × 1000; fine below 10M.
    headers = list(HEADERS.values())
    xlsx = write_xlsx(sheets=[("花名册", headers, rows)])
    csv_bytes = write_csv(headers, rows)
    print(f"files: xlsx {len(xlsx) / 1e6:.2f} MB, csv {len(csv_bytes) / 1e6:.2f} MB")

    def import_file(name: str, content: bytes) -> tuple[float, ImportJob]:
        job = ImportJob.objects.create(
            enterprise=enterprise, created_by=admin, filename=name, content=content
        )
        elapsed, _ = timed(roster_import_run, job.pk)
        job.refresh_from_db()
        assert job.status == "done", job.errors[:3]
        return elapsed, job

    t_first, job = import_file("roster.xlsx", xlsx)
    print(
        f"import .xlsx, {args.rows} new rows (read, validate, encrypt, hash, write): "
        f"{t_first:.2f} s "
        f"= {args.rows / t_first:,.0f} rows/s (created {job.created_count})"
    )
    t_again, job = import_file("roster.xlsx", xlsx)
    print(
        f"re-import .xlsx, same {args.rows} rows (idempotent update): {t_again:.2f} s "
        f"(created {job.created_count}, updated {job.updated_count})"
    )
    t_csv, job = import_file("roster.csv", csv_bytes)
    print(f"re-import .csv: {t_csv:.2f} s")
    floor = args.rows / 100_000 * (1.21 + 3.89)
    print(
        f"  baseline floor (calamine parse+validate + bulk_create, §2b, scaled): {floor:.2f} s; "
        f"ratio {t_first / floor:.1f}x"
    )
    assert Employee.objects.filter(enterprise=enterprise).count() == args.rows

    qs = employee_list(viewer=grant)
    t_export, export = timed(
        roster_export,
        actor=admin,
        viewer=grant,
        employees=qs,
        unmasked=False,
        purpose="",
        filters={},
    )
    print(
        f"export .xlsx masked, {export.rows} rows: {t_export:.2f} s "
        f"({len(export.content) / 1e6:.2f} MB); "
        f"baseline openpyxl write_only 100k = 9.5 s → {9.5 * args.rows / 100_000:.2f} s scaled"
    )
    t_full, export = timed(
        roster_export,
        actor=admin,
        viewer=grant,
        employees=qs,
        unmasked=True,
        purpose="bench",
        filters={},
    )
    print(f"export .xlsx unmasked (decrypts every number), {export.rows} rows: {t_full:.2f} s")

    _analyze()
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    for label, url in [
        ("roster list, page 1", "/roster/"),
        ("roster list, last page", f"/roster/?page={args.rows // 50}"),
        ("roster list, search", "/roster/?q=员工0999"),
    ]:
        median, p95, queries, status = page_figures(client, url, args.repeat)
        print(
            f"{label} ({args.rows} employees): median {median:.1f} ms, p95 {p95:.1f} ms, "
            f"{queries} queries, HTTP {status}"
        )

    # An association with N member enterprises.
    members = [
        Organization(
            kind="enterprise",
            name=f"深圳市成员{i:05d}酒店有限公司",
            sector=hotel,
            district=district,
            street=street,
        )
        for i in range(args.members)
    ]
    Organization.objects.bulk_create(members, batch_size=1000)
    created = Organization.objects.filter(name__startswith="深圳市成员")
    Membership.objects.bulk_create(
        [
            Membership(
                enterprise=e,
                association=association,
                status=rng.choice(["active"] * 9 + ["applied"]),
            )
            for e in created
        ],
        batch_size=1000,
    )
    _analyze()
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
    for label, url in [
        ("member list, all, page 1", "/orgs/members/?status=all"),
        ("member list, active, page 50", "/orgs/members/?status=active&page=50"),
        ("member list, search", "/orgs/members/?q=成员0042"),
        ("association home", "/home/"),
    ]:
        median, p95, queries, status = page_figures(client, url, args.repeat)
        print(
            f"{label} ({args.members} members): median {median:.1f} ms, p95 {p95:.1f} ms, "
            f"{queries} queries, HTTP {status}"
        )


if __name__ == "__main__":
    main()
