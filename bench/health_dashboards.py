"""Check-in dashboards at scale: the enterprise, association and federation pages over
10M+ check-ins, against the same aggregates computed by DuckDB over the same rows.

Issue 4: with 10 million check-in rows (1 million employees × 10 days plus history) each
dashboard answers in under 100 ms at the 95th percentile; compare with the same aggregates
in DuckDB (threads=2) over the same rows in the same run and report the ratio (aim ≤ 2×).
Reference: reference/performance-baselines.md §1d (rollup queries 0.2–16 ms, DuckDB raw
6–25 ms over 10M rows) and interpretation §3.

What it does:
1. creates the database `tongzhou_bench_dash` on 127.0.0.1:5432 and migrates it;
2. generates the data on the server (after the reference's A6 generator: INSERT … SELECT
   from generate_series, foreign-key triggers off and the check-in indexes rebuilt after
   the load): the federation, the 19 associations of the demo (same names, sectors and
   weights), thousands of member enterprises of lognormal size in Shenzhen's districts,
   their sites, 1M employees (the encrypted fields hold one real Fernet token reused for
   every row — dashboards never decrypt — and unique keyed hashes), health consents, open
   observations, and check-ins: the last `--days` days (today at 70 %, earlier days at
   97 % of the active roster) plus `--history` older days at 40 %; status mix 97 / 2.5 /
   0.5 % normal / attention / abnormal;
3. builds `DailyRollup` for every day with the app's own `health.rollups.rollup_rebuild`;
4. exports the same rows to CSV (COPY) and loads them into DuckDB (bench/out/);
5. times, warm, 1 warm-up + `--repeat` runs each: the pages through Django's test client
   with a signed-in user (middleware, session, selector, template — the honest measure),
   the raw selectors, and the DuckDB queries that compute the same numbers from the raw
   check-ins; prints p50/p95 and the ratio page/DuckDB.

Usage (from the repository root; needs `.venv/bin/pip install -r requirements-bench.txt`):
    .venv/bin/python bench/health_dashboards.py            # generate (≈ 5–10 min) and time
    .venv/bin/python bench/health_dashboards.py --reuse    # time the data generated before
Options: --employees N (1000000), --enterprises N (5000), --days N (10), --history N (5),
--repeat N (20), --keep-csv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from health_ingest import (
    OUT,
    backend_cpu_s,
    database_url,
    ensure_database,
    migrate,
    pct,
    prepare_database,
    setup_django,
    write_json,
)

DASH_DB = "tongzhou_bench_dash"
DUCK_PATH = OUT / "health_dashboards.duckdb"
CSV_DIR = OUT / "dash_csv"
TARGET_MS = 100.0

# An empty value per column type, for NOT NULL columns the generator does not set itself
# (the models are young; a new column with a Python-side default must not break it).
EMPTY_SQL = {
    "character varying": "''",
    "text": "''",
    "jsonb": "'{}'::jsonb",
    "boolean": "false",
    "integer": "0",
    "bigint": "0",
    "smallint": "0",
    "timestamp with time zone": "now()",
    "date": "current_date",
}


def required_columns(conn: Any, table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'",
        [table],
    ).fetchall()
    return dict(rows)


def insert_select(conn: Any, table: str, values: dict[str, str], source: str) -> int:
    """INSERT INTO table (…) SELECT … source; NOT NULL columns not in `values` get the empty
    value of their type. Returns the number of rows."""
    columns = dict(values)
    for column, data_type in required_columns(conn, table).items():
        if column not in columns:
            if data_type not in EMPTY_SQL:
                raise RuntimeError(f"{table}.{column} ({data_type}) needs a value")
            columns[column] = EMPTY_SQL[data_type]
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns.values())} {source}"
    )
    return conn.execute(sql).rowcount  # type: ignore[no-any-return]


class Stopwatch:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        self.steps[label] = time.perf_counter() - start
        extra = f" → {result:,}" if isinstance(result, int) else ""
        print(f"  {label}: {self.steps[label]:.1f} s{extra}", flush=True)
        return result


# --- Generation ----------------------------------------------------------------------


def generate(args: argparse.Namespace, end_day: dt.date) -> dict[str, Any]:
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, RoleGrant, User
    from dashboards.demo import ASSOCIATIONS
    from health.rollups import rollup_rebuild
    from lib.crypto import encrypt
    from orgs.models import Division, Membership, Organization, Sector, Site

    rng = random.Random(args.seed)
    watch = Stopwatch()
    print("generating …")

    def orgs() -> int:
        sectors = {s.code: s for s in Sector.objects.all()}
        districts = list(Division.objects.filter(level="county", code__startswith="4403"))
        streets: dict[str, list[Division]] = {}
        for street in Division.objects.filter(level="street", code__startswith="4403"):
            streets.setdefault(street.parent_id or "", []).append(street)
        federation = Organization.objects.create(kind="federation", name="基准联合委员会")
        associations = Organization.objects.bulk_create(
            [
                Organization(
                    kind="association",
                    name=spec.name,
                    short_name=spec.short_name,
                    sector=sectors[spec.sector],
                    parent=federation,
                )
                for spec in ASSOCIATIONS
            ]
        )
        weights = [spec.weight for spec in ASSOCIATIONS]
        home = rng.choices(range(len(associations)), weights=weights, k=args.enterprises)
        enterprises = []
        for i, a in enumerate(home):
            district = rng.choice(districts)
            street = rng.choice(streets.get(district.code) or [district])
            enterprises.append(
                Organization(
                    kind="enterprise",
                    name=f"深圳市{ASSOCIATIONS[a].short_name[:4]}基准{i:05d}有限公司",
                    sector=associations[a].sector,
                    district=district,
                    street=street,
                )
            )
        Organization.objects.bulk_create(enterprises, batch_size=2000)
        memberships = []
        for enterprise, a in zip(enterprises, home, strict=True):
            memberships.append(Membership(enterprise=enterprise, association=associations[a]))
            if rng.random() < 0.05:  # a few belong to a second association
                other = rng.choice([x for x in range(len(associations)) if x != a])
                memberships.append(
                    Membership(enterprise=enterprise, association=associations[other])
                )
        for m in memberships:
            m.status = "active"
        Membership.objects.bulk_create(memberships, batch_size=5000)
        # Lognormal sizes, scaled to the employee total (the largest has ~10k people).
        raw = [rng.lognormvariate(0, 1.3) for _ in enterprises]
        scale = args.employees / sum(raw)
        sizes = [max(3, round(w * scale)) for w in raw]
        sizes[sizes.index(max(sizes))] += args.employees - sum(sizes)
        sites = []
        for enterprise, size in zip(enterprises, sizes, strict=True):
            for s in range(min(12, 1 + size // 1500)):
                sites.append(
                    Site(
                        enterprise=enterprise,
                        name=f"门店{s + 1}",
                        address="深南大道1号",
                        district=enterprise.district,
                        street=enterprise.street,
                        floor_area_m2=500,
                        kind="store",
                        service_mode="open",
                    )
                )
        Site.objects.bulk_create(sites, batch_size=5000)
        site_ids: dict[int, list[int]] = {}
        for site in sites:
            site_ids.setdefault(site.enterprise_id, []).append(site.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_alloc (enterprise_id bigint, site_ids bigint[], n int)"
            )
            cursor.executemany(
                "INSERT INTO bench_alloc VALUES (%s, %s, %s)",
                [(e.pk, site_ids[e.pk], n) for e, n in zip(enterprises, sizes, strict=True)],
            )
        return len(enterprises)

    watch.run("organisations, memberships, sites (ORM bulk_create)", orgs)
    token_mobile = encrypt("13900000000")
    token_document = encrypt("440304199001011234")
    with psycopg.connect(database_url(DASH_DB), autocommit=True) as pg:
        pg.execute("SET maintenance_work_mem = '1GB'")
        pg.execute("SET session_replication_role = replica")  # no FK triggers while loading
        pg.execute("SELECT setseed(0.42)")

        def employees() -> int:
            return insert_select(
                pg,
                "workforce_employee",
                {
                    "enterprise_id": "a.enterprise_id",
                    "site_id": "a.site_ids[1 + g % cardinality(a.site_ids)]",
                    "name": "'员工' || lpad(g::text, 6, '0')",
                    "mobile_enc": f"'{token_mobile}'",
                    "mobile_hash": "md5(a.enterprise_id || ':' || g || ':m') || md5(g || ':m2')",
                    "mobile_masked": "'139****' || lpad((g % 10000)::text, 4, '0')",
                    "document_type": "'resident_id'",
                    "document_enc": f"'{token_document}'",
                    "document_hash": "md5(a.enterprise_id || ':' || g || ':d') || md5(g || ':d2')",
                    "document_masked": "'440304********' || lpad((g % 10000)::text, 4, '0')",
                    "position": "'店员'",
                    "is_critical": "g % 7 = 0",
                    "status": "CASE WHEN x.r < 0.01 THEN 'left' WHEN x.r < 0.015 "
                    "THEN 'suspended' ELSE 'active' END",
                    "link_generation": "1",
                    "language": "''",
                    "created_at": "now()",
                    "updated_at": "now()",
                    "version": "1",
                },
                "FROM bench_alloc a, generate_series(1, a.n) g, "
                "LATERAL (SELECT random() + 0 * g AS r) x",
            )

        watch.run("employees (INSERT … SELECT)", employees)

        def consents() -> int:
            return insert_select(
                pg,
                "health_consent",
                {
                    "employee_id": "e.id",
                    "kind": "'health'",
                    "notice_version": "'bench'",
                    "given_at": "e.created_at",
                },
                # 0.5 % never consented (the page counts them)
                "FROM workforce_employee e WHERE (e.id * 7919) % 1000 >= 5",
            )

        watch.run("health consents", consents)

        # Check-ins: drop the secondary indexes and the unique constraint, load, rebuild.
        indexes = pg.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'health_checkin' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint) "
            "AND indexname <> 'health_checkin_pkey'"
        ).fetchall()
        constraints = pg.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'health_checkin'::regclass AND contype = 'u'"
        ).fetchall()
        for name, _definition in constraints:
            pg.execute(f'ALTER TABLE health_checkin DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            pg.execute(f'DROP INDEX "{name}"')

        first = end_day - dt.timedelta(days=args.days + args.history - 1)
        recent = end_day - dt.timedelta(days=args.days - 1)

        def checkins() -> int:
            total = 0
            day = first
            while day <= end_day:
                share = 0.7 if day == end_day else 0.97 if day >= recent else 0.4
                total += insert_select(
                    pg,
                    "health_checkin",
                    {
                        "employee_id": "e.id",
                        "enterprise_id": "e.enterprise_id",
                        "site_id": "e.site_id",
                        "day": f"date '{day}'",
                        "answers": 'CASE WHEN x.r < 0.03 THEN \'{"symptoms": ["cough"]}\'::jsonb '
                        "ELSE '{}'::jsonb END",
                        "temperature": "CASE WHEN x.r < 0.005 THEN round((37.3 + x.s * 1.7)"
                        "::numeric, 1) ELSE round((36.0 + x.s * 1.2)::numeric, 1) END",
                        "status": "CASE WHEN x.r < 0.005 THEN 'abnormal' WHEN x.r < 0.03 "
                        "THEN 'attention' ELSE 'normal' END",
                        "reasons": "CASE WHEN x.r < 0.005 THEN '[\"fever\"]'::jsonb "
                        "WHEN x.r < 0.03 THEN '[\"symptoms\"]'::jsonb ELSE '[]'::jsonb END",
                        "via": "CASE WHEN x.s < 0.1 THEN 'manager' ELSE 'self' END",
                        "quick": "x.s > 0.7",
                        "submitted_at": f"(timestamp '{day} 07:00' + x.s * interval '3 hours')"
                        " AT TIME ZONE 'Asia/Shanghai'",
                        "updated_at": f"(timestamp '{day} 07:00' + x.s * interval '3 hours')"
                        " AT TIME ZONE 'Asia/Shanghai'",
                        "revision": "1",
                    },
                    "FROM workforce_employee e, "
                    "LATERAL (SELECT random() + 0 * e.id AS r, random() + 0 * e.id AS s) x "
                    f"WHERE e.status = 'active' AND random() < {share}",
                )
                day += dt.timedelta(days=1)
            return total

        n_checkins = watch.run("check-ins (INSERT … SELECT per day, no indexes)", checkins)

        def rebuild_indexes() -> int:
            for _name, definition in indexes:
                pg.execute(definition)
            for name, definition in constraints:
                pg.execute(f'ALTER TABLE health_checkin ADD CONSTRAINT "{name}" {definition}')
            return len(indexes) + len(constraints)

        watch.run("check-in indexes and unique constraint rebuilt", rebuild_indexes)

        def observations() -> int:
            return insert_select(
                pg,
                "health_observation",
                {
                    "employee_id": "e.id",
                    "enterprise_id": "e.enterprise_id",
                    "kind": "'home_monitoring'",
                    "reason": "'contact'",
                    "place": "''",
                    "starts_on": f"date '{end_day}' - (e.id % 10)::int",
                    "planned_end_on": f"date '{end_day}' - (e.id % 10)::int + 14",
                    "computed_from": "''",
                    "release_note": "''",
                    "created_at": "now()",
                    "version": "1",
                },
                "FROM workforce_employee e WHERE e.status = 'active' AND (e.id * 31) % 1000 < 2",
            )

        watch.run("open observations", observations)
        pg.execute("SET session_replication_role = DEFAULT")
        watch.run("VACUUM ANALYZE", lambda: pg.execute("VACUUM ANALYZE").rowcount)

    def rollups() -> int:
        written = 0
        day = first
        while day <= end_day:
            written += rollup_rebuild(day=day, roster=True)
            day += dt.timedelta(days=1)
        return written

    watch.run("DailyRollup via health.rollups.rollup_rebuild, every day", rollups)

    def people() -> int:
        from django.db.models import Count

        federation = Organization.objects.get(kind="federation", name="基准联合委员会")
        biggest_association = (
            Organization.objects.filter(kind="association", parent=federation)
            .annotate(n=Count("member_links"))
            .order_by("-n")
            .first()
        )
        ranked = list(
            Organization.objects.filter(kind="enterprise")
            .annotate(n=Count("employees"))
            .order_by("-n")
            .values_list("pk", "n")
        )
        assert biggest_association is not None
        chosen = {
            "federation": federation.pk,
            "association": biggest_association.pk,
            "enterprise_largest": ranked[0][0],
            "enterprise_median": ranked[len(ranked) // 2][0],
        }
        for i, (label, org_id) in enumerate(chosen.items()):
            user = User.objects.create_user(f"1360000{i:04d}", "bench-password-123", name=label)
            RoleGrant.objects.create(user=user, organization_id=org_id, role=Role.ADMIN)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)")
            cursor.execute(
                "INSERT INTO bench_meta VALUES ('meta', %s)",
                [
                    json.dumps(
                        {
                            "end_day": str(end_day),
                            "first_day": str(first),
                            "params": {
                                k: getattr(args, k)
                                for k in ("employees", "enterprises", "days", "history", "seed")
                            },
                            "chosen": chosen,
                            "sizes": {
                                "largest": ranked[0][1],
                                "median": ranked[len(ranked) // 2][1],
                            },
                            "generation_s": watch.steps,
                            "checkins": n_checkins,
                            "generated_at": timezone.now().isoformat(),
                        }
                    )
                ],
            )
        return 4

    watch.run("users, grants, meta", people)
    # Planner statistics for the rollups and users written after the VACUUM ANALYZE above
    # (autovacuum would catch up within minutes on a live server).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return read_meta()


def read_meta() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta')")
        if cursor.fetchone()[0] is None:
            return {}
        cursor.execute("SELECT value FROM bench_meta WHERE key = 'meta'")
        row = cursor.fetchone()
    if row is None:
        return {}
    value = row[0]
    return value if isinstance(value, dict) else json.loads(value)


def table_sizes() -> list[tuple[str, int, str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reltuples::bigint, pg_size_pretty(pg_table_size(c.oid)), "
            "pg_size_pretty(pg_indexes_size(c.oid)) FROM pg_class c "
            "WHERE c.relname IN ('health_checkin', 'health_dailyrollup', 'workforce_employee', "
            "'health_consent', 'health_observation', 'orgs_organization') ORDER BY 1"
        )
        return list(cursor.fetchall())


# --- DuckDB --------------------------------------------------------------------------

# Column types DuckDB cannot infer from a CSV column that is empty in every row.
TYPES = {
    "consent": {"withdrawn_at": "TIMESTAMP"},
    "observation": {"starts_on": "DATE", "planned_end_on": "DATE", "released_on": "DATE"},
    "checkin": {"site_id": "BIGINT", "day": "DATE"},
    "employee": {"site_id": "BIGINT"},
    "organization": {"sector_id": "VARCHAR", "district_id": "VARCHAR"},
}
EXPORTS = {
    "checkin": "SELECT id, employee_id, enterprise_id, site_id, day, status FROM health_checkin",
    "employee": "SELECT id, enterprise_id, site_id, name, status FROM workforce_employee",
    "organization": "SELECT id, kind, name, sector_id, district_id FROM orgs_organization",
    "membership": "SELECT enterprise_id, association_id, status FROM orgs_membership",
    "consent": "SELECT employee_id, kind, withdrawn_at FROM health_consent",
    "observation": "SELECT id, employee_id, enterprise_id, starts_on, planned_end_on, "
    "released_on FROM health_observation",
    "site": "SELECT id, enterprise_id, name FROM orgs_site",
}


def load_duckdb(meta: dict[str, Any], keep_csv: bool) -> tuple[Any, dict[str, float]]:
    import duckdb
    import psycopg

    steps: dict[str, float] = {}
    stamp = meta.get("generated_at", "")
    if DUCK_PATH.exists():
        db = duckdb.connect(str(DUCK_PATH))
        try:
            found = db.execute("SELECT value FROM bench_meta").fetchone()
        except duckdb.Error:
            found = None
        if found and found[0] == stamp:
            db.execute("SET threads = 2")
            return db, steps
        db.close()
        DUCK_PATH.unlink()
    CSV_DIR.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with psycopg.connect(database_url(DASH_DB)) as pg, pg.cursor() as cursor:
        for name, sql in EXPORTS.items():
            with (CSV_DIR / f"{name}.csv").open("wb") as out:
                copy_sql = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"
                with cursor.copy(copy_sql) as copy:
                    for block in copy:
                        out.write(block)
    steps["export CSV from PostgreSQL (COPY TO)"] = time.perf_counter() - start
    print(f"  export to CSV: {steps['export CSV from PostgreSQL (COPY TO)']:.1f} s", flush=True)
    db = duckdb.connect(str(DUCK_PATH))
    db.execute("SET threads = 2")
    start = time.perf_counter()
    for name in EXPORTS:
        path = CSV_DIR / f"{name}.csv"
        types = ", ".join(f"'{c}': '{t}'" for c, t in TYPES.get(name, {}).items())
        option = f", types = {{{types}}}" if types else ""
        db.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv('{path}', header = true{option})"  # noqa: S608
        )
    db.execute("CREATE TABLE bench_meta AS SELECT ? AS value", [stamp])
    steps["DuckDB load from CSV"] = time.perf_counter() - start
    print(f"  DuckDB load: {steps['DuckDB load from CSV']:.1f} s", flush=True)
    if not keep_csv:
        for name in EXPORTS:
            (CSV_DIR / f"{name}.csv").unlink()
    return db, steps


def duck_enterprise(db: Any, enterprise: int, day: dt.date) -> None:
    """What enterprise_day computes, from the raw rows."""
    p = {"e": enterprise, "d": day}
    db.execute(
        "SELECT site_id, count(*) FROM employee WHERE enterprise_id = $e AND status = 'active' "
        "GROUP BY 1",
        {"e": enterprise},
    ).fetchall()
    db.execute(
        "SELECT site_id, status, count(*) FROM checkin WHERE enterprise_id = $e AND day = $d "
        "GROUP BY 1, 2",
        p,
    ).fetchall()
    db.execute("SELECT id, name FROM site WHERE enterprise_id = $e", {"e": enterprise}).fetchall()
    db.execute(
        "SELECT count(DISTINCT employee_id) FROM observation WHERE enterprise_id = $e "
        "AND starts_on <= $d AND (released_on IS NULL OR released_on > $d)",
        p,
    ).fetchall()
    db.execute(
        "SELECT c.*, e.name FROM checkin c JOIN employee e ON e.id = c.employee_id "
        "WHERE c.enterprise_id = $e AND c.day = $d AND c.status IN ('abnormal', 'attention') "
        "ORDER BY c.status, e.name, c.id LIMIT 200",
        p,
    ).fetchall()
    db.execute(
        "SELECT o.*, e.name FROM observation o JOIN employee e ON e.id = o.employee_id "
        "WHERE o.enterprise_id = $e AND o.starts_on <= $d "
        "AND (o.released_on IS NULL OR o.released_on > $d) "
        "ORDER BY o.planned_end_on, o.id LIMIT 200",
        p,
    ).fetchall()
    db.execute(
        "SELECT count(*) FROM employee e WHERE e.enterprise_id = $e AND e.status = 'active' "
        "AND NOT EXISTS (SELECT 1 FROM consent c WHERE c.employee_id = e.id "
        "AND c.kind = 'health' AND c.withdrawn_at IS NULL)",
        {"e": enterprise},
    ).fetchall()
    missing = (
        "FROM employee e WHERE e.enterprise_id = $e AND e.status = 'active' AND NOT EXISTS "
        "(SELECT 1 FROM checkin c WHERE c.employee_id = e.id AND c.day = $d)"
    )
    db.execute(f"SELECT count(*) {missing}", p).fetchall()
    db.execute(f"SELECT e.id, e.name {missing} ORDER BY e.name, e.id LIMIT 50", p).fetchall()
    db.execute(
        "SELECT day, status, count(*) FROM checkin WHERE enterprise_id = $e "
        "AND day BETWEEN $d - INTERVAL 13 DAY AND $d GROUP BY 1, 2",
        p,
    ).fetchall()


def duck_association(db: Any, association: int, day: dt.date) -> None:
    """What association_overview computes, from the raw rows."""
    p = {"a": association, "d": day}
    members = (
        "(SELECT enterprise_id FROM membership WHERE association_id = $a AND status = 'active')"
    )
    db.execute(
        "WITH m AS " + members + ", "  # noqa: S608 - constant text
        "sub AS (SELECT c.enterprise_id, count(*) AS submitted, "
        "count(*) FILTER (WHERE status = 'normal') AS normal, "
        "count(*) FILTER (WHERE status = 'attention') AS attention, "
        "count(*) FILTER (WHERE status = 'abnormal') AS abnormal "
        "FROM checkin c WHERE c.day = $d AND c.enterprise_id IN (SELECT * FROM m) GROUP BY 1), "
        "ros AS (SELECT enterprise_id, count(*) AS roster FROM employee WHERE status = 'active' "
        "AND enterprise_id IN (SELECT * FROM m) GROUP BY 1), "
        "obs AS (SELECT enterprise_id, count(DISTINCT employee_id) AS n FROM observation "
        "WHERE starts_on <= $d AND (released_on IS NULL OR released_on > $d) "
        "AND enterprise_id IN (SELECT * FROM m) GROUP BY 1) "
        "SELECT o.id, o.name, o.sector_id, ros.roster, sub.*, obs.n FROM organization o "
        "JOIN m ON m.enterprise_id = o.id LEFT JOIN sub ON sub.enterprise_id = o.id "
        "LEFT JOIN ros ON ros.enterprise_id = o.id LEFT JOIN obs ON obs.enterprise_id = o.id",
        p,
    ).fetchall()
    db.execute(
        "SELECT o.sector_id, c.status, count(*) FROM checkin c "  # noqa: S608 - constant text
        "JOIN organization o ON o.id = c.enterprise_id WHERE c.day = $d "
        "AND c.enterprise_id IN " + members + " GROUP BY 1, 2",
        p,
    ).fetchall()
    db.execute(
        "SELECT day, status, count(*) FROM checkin WHERE day BETWEEN $d - INTERVAL 13 DAY "  # noqa: S608 - constant text
        "AND $d AND enterprise_id IN " + members + " GROUP BY 1, 2",
        p,
    ).fetchall()


def duck_federation(db: Any, day: dt.date) -> None:
    """What federation_overview computes, from the raw rows."""
    p = {"d": day}
    db.execute(
        "SELECT m.association_id, c.status, count(*) FROM checkin c "
        "JOIN membership m ON m.enterprise_id = c.enterprise_id AND m.status = 'active' "
        "WHERE c.day = $d GROUP BY 1, 2",
        p,
    ).fetchall()
    db.execute(
        "SELECT m.association_id, count(*) FROM employee e "
        "JOIN membership m ON m.enterprise_id = e.enterprise_id AND m.status = 'active' "
        "WHERE e.status = 'active' GROUP BY 1"
    ).fetchall()
    for column in ("sector_id", "district_id"):
        db.execute(
            f"SELECT o.{column}, c.status, count(*) FROM checkin c "  # noqa: S608
            "JOIN organization o ON o.id = c.enterprise_id WHERE c.day = $d GROUP BY 1, 2",
            p,
        ).fetchall()
        db.execute(
            f"SELECT o.{column}, count(*) FROM employee e "  # noqa: S608
            "JOIN organization o ON o.id = e.enterprise_id WHERE e.status = 'active' GROUP BY 1"
        ).fetchall()
    db.execute(
        "SELECT o.district_id, count(DISTINCT b.employee_id) FROM observation b "
        "JOIN organization o ON o.id = b.enterprise_id WHERE b.starts_on <= $d "
        "AND (b.released_on IS NULL OR b.released_on > $d) GROUP BY 1",
        p,
    ).fetchall()
    db.execute(
        "SELECT day, status, count(*) FROM checkin WHERE day BETWEEN $d - INTERVAL 13 DAY "
        "AND $d GROUP BY 1, 2",
        p,
    ).fetchall()


# --- Timing --------------------------------------------------------------------------


def times_ms(fn: Callable[[], Any], repeat: int) -> tuple[list[float], float, float]:
    """Wall-clock ms of each of `repeat` calls after one warm-up, and the mean CPU ms per
    call of this process (all its threads) and of its PostgreSQL backend: CPU time does
    not grow when other work competes for the cores, wall time does."""
    fn()  # warm-up
    out = []
    cpu_start, backend_start = time.process_time(), backend_cpu_s()
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000 / repeat
    backend = (backend_cpu_s() - backend_start) * 1000 / repeat
    return out, cpu, backend


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(values),
        "p95_ms": pct(values, 95),
        "min_ms": min(values),
        "max_ms": max(values),
        "n": len(values),
    }


def measure(meta: dict[str, Any], duck: Any, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import RoleGrant
    from health import selectors

    day = dt.date.fromisoformat(meta["end_day"])
    chosen = meta["chosen"]
    grants = {
        label: RoleGrant.objects.select_related("user", "organization").get(
            organization_id=org_id, user__name=label
        )
        for label, org_id in chosen.items()
    }

    def evaluate_enterprise(grant: RoleGrant) -> Callable[[], Any]:
        def run() -> Any:
            page = selectors.enterprise_day(viewer=grant, day=day)
            # The page paginates the lazy not-submitted list: a count and the first page.
            return page.not_submitted.count(), list(page.not_submitted[:50])

        return run

    cases: list[tuple[str, str, str, Callable[[], Any], Callable[[], Any]]] = [
        (
            f"enterprise, largest ({meta['sizes']['largest']:,} people)",
            "enterprise_largest",
            f"/health/?day={day}",
            evaluate_enterprise(grants["enterprise_largest"]),
            lambda: duck_enterprise(duck, chosen["enterprise_largest"], day),
        ),
        (
            f"enterprise, median ({meta['sizes']['median']:,} people)",
            "enterprise_median",
            f"/health/?day={day}",
            evaluate_enterprise(grants["enterprise_median"]),
            lambda: duck_enterprise(duck, chosen["enterprise_median"], day),
        ),
        (
            "association (largest)",
            "association",
            f"/health/association/?day={day}",
            lambda: selectors.association_overview(viewer=grants["association"], day=day),
            lambda: duck_association(duck, chosen["association"], day),
        ),
        (
            "federation",
            "federation",
            f"/health/federation/?day={day}",
            lambda: selectors.federation_overview(viewer=grants["federation"], day=day),
            lambda: duck_federation(duck, day),
        ),
    ]
    results: dict[str, Any] = {}
    for label, who, url, selector, duck_fn in cases:
        client = Client()
        client.force_login(grants[who].user, backend="django.contrib.auth.backends.ModelBackend")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        # Counted now: every request clears the query log (request_started).
        n_queries = len(queries)
        if response.status_code != 200:
            raise RuntimeError(f"{url} as {who}: HTTP {response.status_code}")
        load_before = os.getloadavg()[0]
        page_ms, page_cpu, page_db = times_ms(lambda c=client, u=url: c.get(u), repeat)  # type: ignore[misc]
        selector_ms, selector_cpu, selector_db = times_ms(selector, repeat)
        duck_ms, duck_cpu, _ = times_ms(duck_fn, repeat)
        results[label] = {
            "url": url,
            "queries": n_queries,
            "bytes": len(response.content),
            "page": summary(page_ms) | {"cpu_ms": page_cpu, "db_cpu_ms": page_db},
            "selector": summary(selector_ms) | {"cpu_ms": selector_cpu, "db_cpu_ms": selector_db},
            "duckdb": summary(duck_ms) | {"cpu_ms": duck_cpu},
            "loadavg_1min": [load_before, os.getloadavg()[0]],
        }
        r = results[label]
        print(
            f"  {label}: page p95 {r['page']['p95_ms']:.1f} ms ({r['queries']} queries), "
            f"selector p95 {r['selector']['p95_ms']:.1f} ms, DuckDB p95 "
            f"{r['duckdb']['p95_ms']:.1f} ms; load average {load_before:.1f} → "
            f"{os.getloadavg()[0]:.1f}",
            flush=True,
        )
    return results


# --- Main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--history", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="keep the data generated before")
    parser.add_argument("--keep-csv", action="store_true")
    args = parser.parse_args()

    if args.reuse:
        # Keep the data even when the migration history changed under it (the apps are in
        # development): time with the schema as it is, and say so.
        created = ensure_database(DASH_DB)
        try:
            t_migrate = migrate(DASH_DB)
        except subprocess.CalledProcessError:
            print("warning: migrate failed on the kept data; timing with its schema as it is")
            t_migrate = math.nan
    else:
        created, t_migrate = prepare_database(DASH_DB, fresh=True)
    setup_django(DASH_DB)
    from django.utils import timezone

    meta = {} if created else read_meta()
    generated_now = False
    if not meta:
        if args.reuse:
            print("no complete data set to reuse; generating")
            from django.db import connection

            connection.close()
            prepare_database(DASH_DB, fresh=True)
        meta = generate(args, timezone.localdate())
        generated_now = True
    else:
        print(f"reusing the data generated at {meta['generated_at']} (ending {meta['end_day']})")
    end_day = dt.date.fromisoformat(meta["end_day"])
    if (timezone.localdate() - end_day).days > 300:
        raise SystemExit("the data set is too old for the pages' ?day= (a year): regenerate")
    sizes = table_sizes()
    print("loading DuckDB …")
    duck, duck_steps = load_duckdb(meta, args.keep_csv)
    duck_rows = duck.execute("SELECT count(*) FROM checkin").fetchone()[0]
    print(f"timing (warm; 1 warm-up + {args.repeat} runs each) …")
    results = measure(meta, duck, args.repeat)
    report = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "meta": meta,
        "generated_in_this_run": generated_now,
        "migrate_s": t_migrate,
        "table_sizes": sizes,
        "duckdb_steps_s": duck_steps,
        "duckdb_checkin_rows": duck_rows,
        "repeat": args.repeat,
        "results": results,
    }
    print_report(report)
    print(f"JSON: {write_json('health_dashboards', report)}")


def print_report(report: dict[str, Any]) -> None:
    meta = report["meta"]
    print()
    print(
        f"Dashboards over {meta['checkins']:,} check-ins ({meta['params']['employees']:,} "
        f"employees, {meta['params']['enterprises']:,} enterprises, 19 associations; "
        f"{meta['first_day']} … {meta['end_day']}), day shown {meta['end_day']}"
    )
    print("generation:")
    for step, seconds in meta["generation_s"].items():
        print(f"  {seconds:8.1f} s  {step}")
    print(f"  {sum(meta['generation_s'].values()):8.1f} s  total")
    for step, seconds in report["duckdb_steps_s"].items():
        print(f"  {seconds:8.1f} s  {step}")
    print("tables (rows ≈ planner estimate, heap, indexes):")
    for name, rows, heap, index in report["table_sizes"]:
        print(f"  {name:<22} {rows:>12,} {heap:>10} {index:>10}")
    header = (
        f"{'dashboard':<38} {'page p50':>9} {'page p95':>9} {'selector p95':>13} "
        f"{'DuckDB p50':>11} {'DuckDB p95':>11} {'page/DuckDB':>12} {'queries':>8} {'<100ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for label, r in report["results"].items():
        ratio = r["page"]["p95_ms"] / r["duckdb"]["p95_ms"]
        r["ratio_page_duckdb_p95"] = ratio
        ok = "yes" if r["page"]["p95_ms"] < TARGET_MS else "NO"
        print(
            f"{label:<38} {r['page']['p50_ms']:>9.1f} {r['page']['p95_ms']:>9.1f} "
            f"{r['selector']['p95_ms']:>13.1f} {r['duckdb']['p50_ms']:>11.1f} "
            f"{r['duckdb']['p95_ms']:>11.1f} {ratio:>11.2f}× {r['queries']:>8} {ok:>7}"
        )
    print()
    print(
        "CPU per request, mean (grows far less than wall time under competing load; "
        "Django = this process, PG = its backend; DuckDB = all its threads):"
    )
    print(
        f"{'dashboard':<38} {'page Django':>12} {'page PG':>8} {'page total':>11} "
        f"{'selector tot.':>14} {'DuckDB':>8} {'page/DuckDB':>12}"
    )
    for label, r in report["results"].items():
        page_total = r["page"]["cpu_ms"] + r["page"]["db_cpu_ms"]
        selector_total = r["selector"]["cpu_ms"] + r["selector"]["db_cpu_ms"]
        r["ratio_page_duckdb_cpu"] = page_total / r["duckdb"]["cpu_ms"]
        print(
            f"{label:<38} {r['page']['cpu_ms']:>12.1f} {r['page']['db_cpu_ms']:>8.1f} "
            f"{page_total:>11.1f} {selector_total:>14.1f} {r['duckdb']['cpu_ms']:>8.1f} "
            f"{r['ratio_page_duckdb_cpu']:>11.2f}×"
        )
    loads = [x for r in report["results"].values() for x in r["loadavg_1min"]]
    print(f"load average (1 min) during the timings: {min(loads):.1f}–{max(loads):.1f} on 2 cores")
    print(
        "target: p95 < 100 ms per page; aim page/DuckDB ≤ 2× (reference §1d: rollup queries "
        "0.2–16 ms, DuckDB over raw 10M rows 3–25 ms)"
    )


if __name__ == "__main__":
    main()
