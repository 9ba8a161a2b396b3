"""Attendance contacts: "who shared a site and shift with this person in the last 14 days"
over 10 million attendance rows in PostgreSQL (issue 6's target: under 50 ms).

It builds, once, a database of its own (`tongzhou_bench_att` on the local server,
127.0.0.1:5432, user `postgres`; created with psycopg when missing, kept between runs) with
the same attendance table, columns and indexes as `resumption.AttendanceRecord` and a
minimal employee table, fills it with COPY (2,000 enterprises, 10,000 sites, 100,000
employees on two shifts, 100 days, 5 % absent: 10,000,000 rows), then runs the very SQL of
`resumption.selectors.contacts_of` (`CONTACTS_SQL`) for random employees and prints the
median and p95 over 200 queries (after 20 warm-up queries), with the plan of one query.

Usage (from the repository root):
    .venv/bin/python bench/attendance_contacts.py [--queries 200] [--rebuild]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVER = "host=127.0.0.1 port=5432 user=postgres"
DB = "tongzhou_bench_att"
ENTERPRISES, SITES_PER_ENTERPRISE, PEOPLE_PER_SITE, SHIFTS, DAYS = 2000, 5, 10, 2, 100
ABSENT = 0.05
SEED = 20200210
OUT = Path(__file__).resolve().parent / "out"

DDL = """
CREATE TABLE IF NOT EXISTS workforce_employee (id integer PRIMARY KEY, name varchar(50) NOT NULL);
CREATE TABLE IF NOT EXISTS resumption_attendancerecord (
    id bigserial PRIMARY KEY,
    enterprise_id integer NOT NULL,
    site_id integer NOT NULL,
    day date NOT NULL,
    shift smallint NOT NULL CHECK (shift >= 0),
    employee_id integer NOT NULL,
    status varchar(8) NOT NULL,
    source varchar(8) NOT NULL,
    checked_out_at timestamptz NULL,
    recorded_by_id integer NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""
INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS one_attendance_per_employee_day
    ON resumption_attendancerecord (employee_id, day);
CREATE INDEX IF NOT EXISTS attendance_site_day_shift
    ON resumption_attendancerecord (site_id, day, shift);
CREATE INDEX IF NOT EXISTS attendance_employee_day
    ON resumption_attendancerecord (employee_id, day);
CREATE INDEX IF NOT EXISTS attendance_enterprise_day
    ON resumption_attendancerecord (enterprise_id, day);
"""


def ensure_database() -> None:
    with psycopg.connect(f"{SERVER} dbname=postgres", autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{DB}"')


def people(enterprises: int = ENTERPRISES) -> list[tuple[int, int, int, int]]:
    """(employee, enterprise, site, shift) for every employee."""
    rows = []
    employee = 0
    for enterprise in range(1, enterprises + 1):
        for s in range(SITES_PER_ENTERPRISE):
            site = (enterprise - 1) * SITES_PER_ENTERPRISE + s + 1
            for p in range(PEOPLE_PER_SITE):
                employee += 1
                rows.append((employee, enterprise, site, p % SHIFTS))
    return rows


def build(conn: psycopg.Connection, last_day: dt.date, enterprises: int) -> float:
    started = time.perf_counter()
    rng = random.Random(SEED)
    conn.execute("DROP TABLE IF EXISTS resumption_attendancerecord, workforce_employee")
    conn.execute(DDL)
    staff = people(enterprises)
    with conn.cursor() as cur:
        with cur.copy("COPY workforce_employee (id, name) FROM STDIN") as copy:
            copy.write("".join(f"{e}\t员工{e}\n" for e, *_ in staff))
        heads = [f"{ent}\t{site}\t" for _e, ent, site, _s in staff]
        tails = [f"\t{shift}\t{e}\t" for e, _ent, _site, shift in staff]
        columns = "enterprise_id, site_id, day, shift, employee_id, status, source"
        with cur.copy(f"COPY resumption_attendancerecord ({columns}) FROM STDIN") as copy:
            for d in range(DAYS):
                day = (last_day - dt.timedelta(days=DAYS - 1 - d)).isoformat()
                lines = [
                    f"{h}{day}{t}{'absent' if rng.random() < ABSENT else 'present'}\tplan\n"
                    for h, t in zip(heads, tails, strict=True)
                ]
                copy.write("".join(lines))
    conn.commit()
    conn.execute(INDEXES)
    conn.commit()
    conn.execute("VACUUM ANALYZE resumption_attendancerecord")
    conn.execute("VACUUM ANALYZE workforce_employee")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--enterprises", type=int, default=ENTERPRISES, help="fewer for a quick trial"
    )
    args = parser.parse_args()
    from resumption.contacts_sql import CONTACTS_SQL  # plain text: no Django setup

    ensure_database()
    today = dt.date.today()
    with psycopg.connect(f"{SERVER} dbname={DB}") as conn:
        conn.autocommit = True
        exists = conn.execute(
            "SELECT to_regclass('resumption_attendancerecord') IS NOT NULL"
        ).fetchone()
        rows = 0
        if exists and exists[0]:
            found = conn.execute(
                "SELECT reltuples::bigint FROM pg_class "
                "WHERE relname = 'resumption_attendancerecord'"
            ).fetchone()
            rows = int(found[0]) if found else 0
        build_seconds = None
        wanted = args.enterprises * SITES_PER_ENTERPRISE * PEOPLE_PER_SITE * DAYS
        if args.rebuild or not 0.9 * wanted <= rows <= 1.1 * wanted:
            build_seconds = build(conn, today, args.enterprises)
        totals = conn.execute(
            "SELECT COUNT(*), MAX(day) FROM resumption_attendancerecord"
        ).fetchone()
        assert totals is not None
        count, last_day = totals
        sql = CONTACTS_SQL.format(
            attendance="resumption_attendancerecord", employees="workforce_employee"
        )
        rng = random.Random(SEED + 1)
        since = last_day - dt.timedelta(days=13)
        staff = people(args.enterprises)

        def one() -> tuple[float, int]:
            employee, enterprise, _site, _shift = rng.choice(staff)
            params = [
                employee,
                enterprise,
                since,
                "present",
                "swapped",
                "present",
                "swapped",
                enterprise,
            ]
            t0 = time.perf_counter()
            found = conn.execute(sql, params, prepare=True).fetchall()
            return (time.perf_counter() - t0) * 1000, len(found)

        for _ in range(20):
            one()
        timings = [one() for _ in range(args.queries)]
        ms = sorted(t for t, _n in timings)
        p50 = statistics.median(ms)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        employee, enterprise, *_ = staff[123]
        plan = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + sql,
            [employee, enterprise, since, "present", "swapped", "present", "swapped", enterprise],
        ).fetchall()
    result = {
        "rows": count,
        "build_seconds": round(build_seconds, 1) if build_seconds else None,
        "queries": args.queries,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ms[-1], 2),
        "contacts_median": statistics.median(n for _t, n in timings),
        "target_ms": 50,
    }
    print(
        f"attendance rows: {count:,}"
        + (f" (built in {build_seconds:.0f} s)" if build_seconds else "")
    )
    print(f"contacts of one person over 14 days, {args.queries} random employees:")
    print(f"  p50 {p50:.2f} ms · p95 {p95:.2f} ms · max {ms[-1]:.2f} ms (target < 50 ms)")
    print("plan of one query:")
    for (line,) in plan:
        print("  " + line)
    OUT.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"attendance_contacts-{stamp}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
