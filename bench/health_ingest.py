"""Check-in ingest: the real endpoint under the production layout against a bare baseline.

Issue 4 asks for sustained check-ins per second through the real endpoint (validation,
rules, upsert, rollup) with gunicorn + PostgreSQL on this machine, p50 and p99, and in the
same run a bare single-row INSERT endpoint (FastAPI + psycopg, bench/baseline_fastapi.py)
on the same table and server; the ratio real/baseline must be at least 0.5 (aim 1.0).
Reference: reference/performance-baselines.md §2 (rows 2.7/2.8 Django ORM save 957/920
req/s, 2.14 FastAPI + psycopg 1,878 req/s, wrk -t2 -c32 on this kind of machine).

What it does:
1. creates (or reuses) the database `tongzhou_bench` on 127.0.0.1:5432 (user postgres,
   trust) and migrates it;
2. loads one enterprise with N employees (bulk_create; the mobile and document numbers are
   really encrypted and hashed, one Fernet token per value), their health and travel
   consents, five sites and an API key;
3. starts gunicorn with deploy/gunicorn.conf.py and TONGZHOU_ENV=production (bench values
   for the secrets; wrk sends `X-Forwarded-Proto: https` as nginx would, so the HTTPS
   redirect stays on), runs wrk with bench/wrk/checkin.lua: one check-in per request, each
   employee at most once per run, the check-in table emptied between runs;
4. stops it, starts the baseline under uvicorn with the same number of workers, same load;
5. checks that the table holds one row per (employee, day) and that every 2xx answer
   produced a row, and prints the table (a JSON copy goes to bench/out/).
6. with --profile (or when the ratio is below 0.5) it also profiles the endpoint in one
   process (pyinstrument) and lists the SQL one check-in runs.

Usage (from the repository root; needs `apt-get install wrk` and
`.venv/bin/pip install -r requirements-bench.txt`):
    .venv/bin/python bench/health_ingest.py
Options: --employees N (50000), --enterprises N (1: all of them in one enterprise),
--runs N (3), --duration S (20), --threads/--connections (2/32), --workers N (gunicorn's
own default: 1.5 per core, at least 2), --fresh (drop and recreate the database),
--profile N (profile N in-process requests), --skip-baseline, --skip-real.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "bench" / "out"
WRK_DIR = ROOT / "bench" / "wrk"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "tongzhou_bench"

# The real endpoint and its body (health/api.py). {emp}, {temp}, {answers} are filled in
# per request by bench/wrk/checkin.lua.
CHECKIN_PATH = "/api/v1/health/checkins"
# The default form (health/rules.py, GET /api/v1/health/form): every required question
# answered; the employees gave both consents, so the travel questions are asked too.
CHECKIN_BODY = '{"employee": {emp}, "answers": {"temperature": {temp}, {answers}}}'
_REST = (
    '"location": {"district": "440304"}, "travel": "none", "contact": ["none"], '
    '"isolation": "none", "health_code": "green", "pledge": true'
)
ANSWERS = {
    "normal": f'"symptoms": ["none"], "health_status": "healthy", {_REST}',
    "attention": f'"symptoms": ["none"], "health_status": "unwell_seen", {_REST}',
    "abnormal": f'"symptoms": ["fever", "dry_cough"], "health_status": "healthy", {_REST}',
}

# Reference figures (performance-baselines.md §2, wrk -t2 -c32 -d15s, median of 3).
REFERENCE = [
    ("2.7 Django ORM save(), gunicorn 2 sync", 957, 32.2, 54.2),
    ("2.8 Django ORM save(), gunicorn 4 sync", 920, 34.1, 51.5),
    ("2.13 django-ninja + ORM create, 4 sync", 838, 37.5, 59.5),
    ("2.14 FastAPI + psycopg async, uvicorn 2", 1878, 15.6, 58.9),
]


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def _bench_key(purpose: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(f"bench:{purpose}".encode()).digest()).decode()


def django_env(db: str, *, production: bool = False) -> dict[str, str]:
    """Environment for tongzhou processes on the bench database. The keys are fixed bench
    values (so data written by one run decrypts in the next), never used anywhere else."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db),
        SECRET_KEY=_bench_key("secret-key") * 2,
        FIELD_ENCRYPTION_KEYS=_bench_key("field-encryption"),
        FIELD_HASH_KEY=_bench_key("field-hash"),
        DJANGO_SETTINGS_MODULE="tongzhou.settings",
        LOG_LEVEL="WARNING",
    )
    if production:
        env.update(TONGZHOU_ENV="production", ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="0")
    else:
        # In-process work (loading, profiling, page timing): development settings with DEBUG
        # off, so no query log and no debug pages; the middleware stack is the same.
        env.update(
            TONGZHOU_ENV="development", ALLOWED_HOSTS="testserver,127.0.0.1,localhost", DEBUG="0"
        )
    return env


def ensure_database(name: str, *, fresh: bool = False) -> bool:
    """Create the database if needed (or again with fresh=True); True when created."""
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if exists:
            return False
        conn.execute(
            f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
            "LC_CTYPE 'C.UTF-8' TEMPLATE template0"
        )
        return True


def migrate(name: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=django_env(name),
        check=True,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def prepare_database(name: str, *, fresh: bool = False) -> tuple[bool, float]:
    """Create and migrate; a reused database whose migration history no longer matches the
    code (migrations rewritten while the apps are in development) is recreated."""
    created = ensure_database(name, fresh=fresh)
    try:
        return created, migrate(name)
    except subprocess.CalledProcessError:
        if created:
            raise
        print(f"migrating the existing {name} failed; recreating it")
        ensure_database(name, fresh=True)
        return True, migrate(name)


def setup_django(name: str) -> None:
    os.environ.update(django_env(name))
    import django

    django.setup()


def gunicorn_workers(config: str = "gunicorn.conf.py") -> int:
    """The worker count a deploy/ gunicorn configuration picks on this machine."""
    conf = runpy.run_path(str(ROOT / "deploy" / config))
    return int(conf["workers"])


def write_json(prefix: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = OUT / f"{prefix}-{stamp}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return path


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


# --- Fixture ---------------------------------------------------------------------------


@dataclass
class Enterprise:
    pk: int
    token: str  # its API key
    employee_ids: list[int]


@dataclass
class Fixture:
    enterprises: list[Enterprise]
    load_seconds: float
    reused: bool

    @property
    def enterprise_ids(self) -> list[int]:
        return [e.pk for e in self.enterprises]

    @property
    def employee_count(self) -> int:
        return sum(len(e.employee_ids) for e in self.enterprises)


def load_fixture(employees: int, enterprises: int = 1) -> Fixture:
    """`enterprises` enterprises (members of a hotel association) sharing `employees`
    active employees, each employee with open health and travel consents; five sites, an
    admin and a fresh API key per enterprise. Reuses what an earlier run loaded."""
    start = time.perf_counter()
    per = employees // enterprises
    loaded = [_load_enterprise(k, enterprises, per) for k in range(enterprises)]
    _current_emergency()
    with contextlib.suppress(Exception):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Fixture(
        [e for e, _reused in loaded],
        time.perf_counter() - start,
        all(reused for _e, reused in loaded),
    )


def _current_emergency() -> None:
    """A current emergency, as in production during one: the check-in form is then looked
    up for it (rule version, the associations' and enterprise's additions)."""
    from accounts.models import User
    from emergencies.models import Emergency
    from emergencies.selectors import emergency_current
    from emergencies.services import emergency_create
    from orgs.models import Organization

    if emergency_current() is None:
        emergency_create(
            actor=User.objects.filter(mobile__startswith="137").order_by("pk").first(),  # type: ignore[arg-type]
            federation=Organization.objects.get(kind="federation", name="基准联合委员会"),
            name="基准疫情",
            kind=Emergency.Kind.EPIDEMIC,
            started_on=dt.date.today() - dt.timedelta(days=30),
        )


def _load_enterprise(k: int, of: int, employees: int) -> tuple[Enterprise, bool]:
    from decimal import Decimal

    from django.db import transaction

    from accounts.models import Role, RoleGrant, User
    from accounts.services import api_key_create
    from health.models import Consent, ConsentKind
    from lib.crypto import encrypt, keyed_hash
    from orgs.models import Division, Membership, Organization, Sector, Site
    from workforce.models import Employee

    if of == 1:
        name = f"基准打卡酒店有限公司（{employees}人）"
    else:
        name = f"基准打卡酒店{k + 1:03d}有限公司（{of}家×{employees}人）"
    enterprise = Organization.objects.filter(kind="enterprise", name=name).first()
    reused = (
        enterprise is not None
        and Employee.objects.filter(enterprise=enterprise).count() == employees
        and Consent.objects.filter(employee__enterprise=enterprise).count() == 2 * employees
    )
    admin_mobile = f"137{k:03d}{of % 100:02d}{employees % 1000:03d}"
    if not reused:
        with transaction.atomic():
            if enterprise is not None:
                enterprise.delete()
            hotel = Sector.objects.get(code="hotel")
            district = Division.objects.get(code="440304")
            street = Division.objects.filter(parent=district, level="street").first()
            federation, _ = Organization.objects.get_or_create(
                kind="federation", name="基准联合委员会"
            )
            association, _ = Organization.objects.get_or_create(
                kind="association",
                name="基准酒店业商会",
                defaults={"parent": federation, "sector": hotel},
            )
            enterprise = Organization.objects.create(
                kind="enterprise", name=name, sector=hotel, district=district, street=street
            )
            Membership.objects.create(
                enterprise=enterprise, association=association, status="active"
            )
            sites = [
                Site.objects.create(
                    enterprise=enterprise,
                    name=f"门店{i}",
                    address="华强北路1号",
                    district=district,
                    street=street or district,
                    floor_area_m2=Decimal(800),
                    kind="hotel",
                    service_mode="open",
                )
                for i in range(5)
            ]
            rows = []
            for i in range(employees):
                mobile = f"139{i:08d}"
                document = f"4403{i:013d}X"  # unique; the check digit is not checked here
                rows.append(
                    Employee(
                        enterprise=enterprise,
                        site=sites[i % len(sites)],
                        name=f"员工{i:06d}",
                        mobile_enc=encrypt(mobile),
                        mobile_hash=keyed_hash(mobile),
                        mobile_masked=f"{mobile[:3]}****{mobile[-4:]}",
                        document_type="resident_id",
                        document_enc=encrypt(document),
                        document_hash=keyed_hash(document),
                        document_masked=f"{document[:6]}********{document[-4:]}",
                        position="服务员",
                    )
                )
            Employee.objects.bulk_create(rows, batch_size=2000)
            now = dt.datetime.now(dt.UTC)
            Consent.objects.bulk_create(
                [
                    Consent(employee_id=pk, kind=kind, notice_version="bench", given_at=now)
                    for pk in Employee.objects.filter(enterprise=enterprise).values_list(
                        "pk", flat=True
                    )
                    for kind in (ConsentKind.HEALTH, ConsentKind.TRAVEL)
                ],
                batch_size=5000,
            )
    assert enterprise is not None
    admin = User.objects.filter(mobile=admin_mobile).first() or User.objects.create_user(
        admin_mobile, "bench-password-123", name="基准管理员"
    )
    RoleGrant.objects.get_or_create(
        user=admin, organization=enterprise, defaults={"role": Role.ADMIN}
    )
    _key, token = api_key_create(actor=admin, organization=enterprise, name="bench wrk")
    ids = list(
        Employee.objects.filter(enterprise=enterprise).order_by("pk").values_list("pk", flat=True)
    )
    return Enterprise(enterprise.pk, token, ids), reused


# --- Servers and wrk -----------------------------------------------------------------


class Server:
    """A server process in its own session, stopped by its process-group id."""

    def __init__(self, label: str, cmd: list[str], env: dict[str, str], ready_url: str) -> None:
        self.label, self.cmd, self.env, self.ready_url = label, cmd, env, ready_url
        self.log_path = OUT / f"server-{label}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        OUT.mkdir(parents=True, exist_ok=True)
        host, port = self.ready_url.split("/")[2].split(":")
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), 1):
            raise RuntimeError(f"something already listens on {host}:{port}; pass --port")
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited; see {self.log_path}")
            try:
                request = urllib.request.Request(  # noqa: S310 - loopback only
                    self.ready_url, headers={"X-Forwarded-Proto": "https"}
                )
                urllib.request.urlopen(request, timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"{self.label} did not answer in 60 s; see {self.log_path}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


RESULT = re.compile(r"(\w+)=([\d.]+)")


def wrk(url: str, args: argparse.Namespace, env: dict[str, str], duration: int) -> dict[str, float]:
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(WRK_DIR / "checkin.lua"),
        url,
    ]
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    return {k: float(v) for k, v in RESULT.findall(line)}


def wrk_env(plan: Path, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        WRK_PLAN=str(plan),
        WRK_THREADS=str(args.threads),
        WRK_PATH=CHECKIN_PATH,
        WRK_BODY=CHECKIN_BODY,
        WRK_NORMAL=ANSWERS["normal"],
        WRK_ATTENTION=ANSWERS["attention"],
        WRK_ABNORMAL=ANSWERS["abnormal"],
    )
    return env


def settle(conn: Any, limit: float = 60) -> None:
    """Wait until requests still in flight when wrk stopped have committed: no other
    session of the bench database busy and the row count steady for a second."""
    deadline = time.monotonic() + limit
    last = -1
    while time.monotonic() < deadline:
        busy = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
        ).fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM health_checkin").fetchone()[0]
        if busy == 0 and rows == last:
            return
        last = rows
        time.sleep(1)


def reset_checkins(conn: Any, enterprise_ids: list[int]) -> None:
    """Empty the check-in tables and the rollup rows of the bench enterprises."""
    conn.execute("TRUNCATE health_checkin RESTART IDENTITY CASCADE")
    conn.execute("TRUNCATE health_rollupdelta")
    conn.execute("DELETE FROM health_dailyrollup WHERE enterprise_id = ANY(%s)", [enterprise_ids])
    conn.execute("CHECKPOINT")


def table_state(conn: Any, enterprise_ids: list[int]) -> dict[str, int]:
    rows, pairs, days = conn.execute(
        "SELECT count(*), count(DISTINCT (employee_id, day)), count(DISTINCT day) "
        "FROM health_checkin"
    ).fetchone()
    revisions = conn.execute("SELECT count(*) FROM health_checkinrevision").fetchone()[0]
    rollup = conn.execute(
        "SELECT coalesce(sum(submitted), 0) FROM health_dailyrollup WHERE enterprise_id = ANY(%s)",
        [enterprise_ids],
    ).fetchone()[0]
    return {
        "rows": rows,
        "distinct_employee_day": pairs,
        "days": days,
        "revisions": revisions,
        "rollup_submitted": int(rollup),
    }


def check_one(url: str, token: str, employee_id: int) -> tuple[int, str]:
    """POST one check-in the way wrk will and return the status and body."""
    body = (
        CHECKIN_BODY.replace("{emp}", str(employee_id))
        .replace("{temp}", "36.5")
        .replace("{answers}", ANSWERS["normal"])
    )
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()[:300]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()[:300]


def bench_server(
    label: str,
    server: Server,
    url: str,
    fixture: Fixture,
    plan: Path,
    args: argparse.Namespace,
    conn: Any,
    *,
    writes: bool = True,
    rounds: int | None = None,
    first: int = 0,
) -> list[dict[str, Any]]:
    """Start the server, probe and warm it, run wrk `rounds` times, stop it; the runs."""
    env = wrk_env(plan, args)
    probe = fixture.enterprises[0]
    runs: list[dict[str, Any]] = []
    with server:
        reset_checkins(conn, fixture.enterprise_ids)
        status, body = check_one(url, probe.token, probe.employee_ids[-1])
        if not 200 <= status < 300:
            raise RuntimeError(f"{label}: a single check-in answered {status}: {body}")
        print(f"  {label}: one check-in answered HTTP {status}: {body[:120]}")
        # Warm-up: every worker imports, connects and fills its caches.
        wrk(url, args, env, duration=3)
        settle(conn)  # requests in flight when wrk stops still commit: wait for them
        for r in range(first, first + (rounds or args.runs)):
            reset_checkins(conn, fixture.enterprise_ids)
            load_before = os.getloadavg()[0]
            result: dict[str, Any] = dict(wrk(url, args, env, duration=args.duration))
            settle(conn)
            result["loadavg_1min_before"] = load_before
            result["loadavg_1min_after"] = os.getloadavg()[0]
            state = table_state(conn, fixture.enterprise_ids)
            ok = int(result["reqs"] - result["non2xx"])
            result.update(state)
            result["ok_2xx"] = ok
            # wrk stops with up to one request per connection in flight: those may commit
            # without being counted, so rows may exceed the 2xx count by that much.
            result["checks"] = (
                {
                    "one_row_per_employee_day": state["rows"] == state["distinct_employee_day"],
                    "every_2xx_has_a_row": 0 <= state["rows"] - ok <= args.connections,
                    "no_employee_repeated": result["wrapped"] == 0,
                }
                if writes
                else {"nothing_written": state["rows"] == 0}
            )
            runs.append(result)
            print(
                f"  {label} run {r + 1}: {result['req_s']:,.0f} req/s, p50 "
                f"{result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                f"{ok:,} 2xx, non-2xx {int(result['non2xx'])}, socket errors "
                f"{int(result['sock_err'])}, rows {state['rows']:,} "
                f"(revisions {state['revisions']:,}, rollup says {state['rollup_submitted']:,})"
                f", checks {'ok' if all(result['checks'].values()) else result['checks']}; "
                f"load average {load_before:.1f} → {result['loadavg_1min_after']:.1f}"
            )
    return runs


def summary(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [run["req_s"] for run in runs]
    return {
        "label": label,
        "runs": runs,
        "req_s_median": statistics.median(rates),
        "req_s_min": min(rates),
        "req_s_max": max(rates),
        "p50_ms_median": statistics.median(run["p50_ms"] for run in runs),
        "p99_ms_median": statistics.median(run["p99_ms"] for run in runs),
        "non2xx": int(sum(run["non2xx"] for run in runs)),
        "sock_err": int(sum(run["sock_err"] for run in runs)),
        "checks_ok": all(all(run["checks"].values()) for run in runs),
    }


def calibrate(conn: Any, seconds: int = 10) -> float | None:
    """PostgreSQL alone right now: pgbench single-row INSERTs, 16 clients (the reference's
    row 1.7 measured 11,724/s on a quiet machine). Shows how busy the box is."""
    script = OUT / "pgbench-insert.sql"
    script.write_text(
        "\\set emp random(1, 1000000)\n\\set tenths random(355, 395)\n"
        "INSERT INTO bench_pgbench (employee_id, day, temperature, symptoms, status, created_at) "
        "VALUES (:emp, current_date, :tenths / 10.0, 0, 1, now());\n"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_pgbench (id bigserial PRIMARY KEY, employee_id bigint "
        "NOT NULL, day date NOT NULL, temperature numeric(3,1), symptoms smallint NOT NULL, "
        "status smallint NOT NULL, created_at timestamptz NOT NULL)"
    )
    try:
        done = subprocess.run(
            ["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-n", "-c", "16", "-j", "2",
             "-T", str(seconds), "-f", str(script), BENCH_DB],
            capture_output=True, text=True, timeout=seconds + 60, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        return None
    finally:
        conn.execute("DROP TABLE IF EXISTS bench_pgbench")
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    return float(found.group(1)) if found else None


# --- Profile -------------------------------------------------------------------------


def backend_cpu_s() -> float:
    """CPU seconds used so far by the PostgreSQL backend of Django's connection (read from
    /proc/<pid>/stat of our own session's server process; Linux only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile_endpoint(fixture: Fixture, requests: int, conn: Any) -> dict[str, Any]:
    """The endpoint in one process: time per request, the SQL of one check-in, and a
    pyinstrument profile of `requests` check-ins (through Django's test client)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    first = fixture.enterprises[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {first.token}")
    rng = random.Random(3)
    ids = first.employee_ids[:]
    rng.shuffle(ids)

    def post(employee_id: int, temp: str = "36.5") -> int:
        body = (
            CHECKIN_BODY.replace("{emp}", str(employee_id))
            .replace("{temp}", temp)
            .replace("{answers}", ANSWERS["normal"])
        )
        return client.post(CHECKIN_PATH, body, content_type="application/json").status_code

    reset_checkins(conn, fixture.enterprise_ids)
    for employee_id in ids[:50]:  # warm-up
        post(employee_id)
    with CaptureQueriesContext(connection) as queries:
        status = post(ids[50])
    sql = [
        {"ms": round(float(q["time"]) * 1000, 3), "sql": q["sql"][:400]}
        for q in queries.captured_queries
    ]
    n = min(requests, len(ids) - 100)
    start, cpu, backend = time.perf_counter(), time.process_time(), backend_cpu_s()
    for employee_id in ids[100 : 100 + n // 2]:
        post(employee_id)
    plain = (time.perf_counter() - start) / (n // 2)
    cpu_django = (time.process_time() - cpu) / (n // 2)
    cpu_pg = (backend_cpu_s() - backend) / (n // 2)
    try:
        from pyinstrument import Profiler
    except ImportError:
        text = "pyinstrument is not installed (pip install -r requirements-bench.txt)"
    else:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for employee_id in ids[100 + n // 2 : 100 + n]:
            post(employee_id)
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
    # The floor in the same process: one raw INSERT through Django's connection.
    reset_checkins(conn, fixture.enterprise_ids)
    from workforce.models import Employee

    site_of = dict(Employee.objects.filter(pk__in=ids[:2000]).values_list("pk", "site_id"))
    given = (
        "employee_id, enterprise_id, site_id, day, answers, temperature, status, reasons, via, "
        "quick, submitted_at, updated_at, revision"
    )
    extra = [
        (column, kind)
        for column, kind in conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'health_checkin' AND is_nullable = 'NO' "
            "AND column_default IS NULL AND is_identity = 'NO'"
        ).fetchall()
        if column not in given
    ]
    columns = given + "".join(f", {column}" for column, _kind in extra)
    empties = "".join(", '{}'" if kind == "jsonb" else ", ''" for _column, kind in extra)
    insert = (
        f"INSERT INTO health_checkin ({columns}) VALUES "  # noqa: S608 - constant text
        f"(%s, %s, %s, %s, '{{}}', 36.5, 'normal', '[]', 'api', false, %s, %s, 1{empties})"
    )
    start, cpu, backend = time.perf_counter(), time.process_time(), backend_cpu_s()
    with connection.cursor() as cursor:
        for employee_id in ids[:2000]:
            now = dt.datetime.now(dt.UTC)
            cursor.execute(
                insert,
                [employee_id, first.pk, site_of[employee_id], dt.date.today(), now,
                 now],
            )  # fmt: skip
    raw = (time.perf_counter() - start) / 2000
    raw_cpu_django = (time.process_time() - cpu) / 2000
    raw_cpu_pg = (backend_cpu_s() - backend) / 2000
    reset_checkins(conn, fixture.enterprise_ids)
    return {
        "status_of_probe": status,
        "queries_per_checkin": len(sql),
        "sql": sql,
        "ms_per_request_in_process": plain * 1000,
        "ms_per_raw_insert_in_process": raw * 1000,
        "cpu_ms_per_request": {"django": cpu_django * 1000, "postgresql": cpu_pg * 1000},
        "cpu_ms_per_raw_insert": {"django": raw_cpu_django * 1000, "postgresql": raw_cpu_pg * 1000},
        "profile_text": text,
    }


# --- Main ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument(
        "--enterprises", type=int, default=1, help="spread the employees over N enterprises"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=0, help="Django's; 0 = deploy/gunicorn.conf.py's"
    )
    parser.add_argument(
        "--ingest-workers",
        type=int,
        default=0,
        help="the ingest service's and the baseline's; 0 = deploy/gunicorn-ingest.conf.py's",
    )
    parser.add_argument(
        "--ingest-pool", type=int, default=4, help="PostgreSQL connections per ingest worker"
    )
    parser.add_argument(
        "--django",
        action="store_true",
        help="also measure the Django endpoint (health/api.py) on the same path",
    )
    parser.add_argument("--port", type=int, default=18411)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--profile", type=int, default=0, help="profile N in-process requests")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also serve the check-in path with a Django view that only authenticates "
        "(bench/floor_urls.py): the ceiling of any Django endpoint here",
    )
    parser.add_argument("--skip-real", action="store_true", help="run only the baseline")
    parser.add_argument("--gunicorn-arg", action="append", default=[], help="extra CLI option")
    args = parser.parse_args()

    created, t_migrate = prepare_database(BENCH_DB, fresh=args.fresh)
    setup_django(BENCH_DB)
    import psycopg

    workers = args.workers or gunicorn_workers()
    ingest_workers = args.ingest_workers or gunicorn_workers("gunicorn-ingest.conf.py")
    print(
        f"database {BENCH_DB} ({'created' if created else 'reused'}), migrated in "
        f"{t_migrate:.1f} s; ingest service and baseline: {ingest_workers} uvicorn workers; "
        f"Django: {workers} gunicorn sync workers; wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s × {args.runs}"
    )
    fixture = load_fixture(args.employees, args.enterprises)
    print(
        f"{len(fixture.enterprises)} enterprise(s), {fixture.employee_count:,} employees with "
        f"both consents ({'reused' if fixture.reused else 'loaded'} in "
        f"{fixture.load_seconds:.1f} s)"
    )
    plan = OUT / "ingest-plan.txt"
    OUT.mkdir(parents=True, exist_ok=True)
    # Each employee with their enterprise's key; the last employee of the first enterprise
    # is kept for the single probe before the runs.
    order = [(pk, e.token) for e in fixture.enterprises for pk in e.employee_ids]
    order.remove((fixture.enterprises[0].employee_ids[-1], fixture.enterprises[0].token))
    random.Random(11).shuffle(order)
    plan.write_text("".join(f"{pk}\t{token}\n" for pk, token in order))

    results: dict[str, Any] = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "employees": fixture.employee_count,
        "enterprises": len(fixture.enterprises),
        "workers": workers,
        "ingest_workers": ingest_workers,
        "wrk": f"-t{args.threads} -c{args.connections} -d{args.duration}s x {args.runs}",
        "cores": os.cpu_count(),
    }
    bind = f"127.0.0.1:{args.port}"
    url = f"http://{bind}{CHECKIN_PATH}"
    with psycopg.connect(database_url(BENCH_DB), autocommit=True) as conn:
        settings_row = conn.execute(
            "SELECT current_setting('shared_buffers'), current_setting('synchronous_commit'), "
            "current_setting('max_connections'), version()"
        ).fetchone()
        results["postgresql"] = settings_row
        results["pgbench_insert_tps_16_clients"] = tps = calibrate(conn)
        if tps is not None:
            print(
                f"PostgreSQL alone now: pgbench single-row INSERT, 16 clients, {tps:,.0f}/s "
                "(reference row 1.7 on a quiet machine: 11,724/s)"
            )
        env = django_env(BENCH_DB, production=True)
        env.update(GUNICORN_BIND=bind, WEB_CONCURRENCY=str(workers))
        gunicorn = Server(
            "gunicorn",
            [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", *args.gunicorn_arg],
            env,
            f"http://{bind}/api/v1/docs",
        )
        servers: list[tuple[str, Server, bool]] = []
        if not args.skip_real:
            ingest_env = dict(env)
            ingest_env.update(
                INGEST_BIND=bind,
                INGEST_CONCURRENCY=str(ingest_workers),
                INGEST_POOL_SIZE=str(args.ingest_pool),
            )
            ingest = Server(
                "ingest",
                [str(BIN / "gunicorn"), "--config", "deploy/gunicorn-ingest.conf.py"],
                ingest_env,
                url,
            )
            servers.append(("real", ingest, True))
        if not args.skip_baseline:
            base_env = dict(os.environ)
            base_env.update(BENCH_DSN=database_url(BENCH_DB), BENCH_PATH=CHECKIN_PATH)
            uvicorn = Server(
                "baseline",
                [
                    str(BIN / "uvicorn"), "bench.baseline_fastapi:app", "--host", "127.0.0.1",
                    "--port", str(args.port), "--workers", str(ingest_workers), "--no-access-log",
                    "--log-level", "warning", "--loop", "uvloop", "--http", "httptools",
                ],
                base_env,
                f"http://{bind}/ping",
            )  # fmt: skip
            servers.append(("baseline", uvicorn, True))
        if args.django:
            servers.append(("django", gunicorn, True))
        if args.floor:
            floor = Server(
                "floor",
                [
                    str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py",
                    *args.gunicorn_arg, "bench.floor_wsgi:application",
                ],
                env,
                f"http://{bind}/api/v1/docs",
            )  # fmt: skip
            servers.append(("floor", floor, False))
        print(
            "real endpoint: the ingest service, gunicorn (deploy/gunicorn-ingest.conf.py, "
            f"{ingest_workers} uvicorn workers) + PG, production settings; baseline: FastAPI "
            f"+ psycopg async pool, uvicorn {ingest_workers} workers; taken in turns, one run "
            "each per round, so that a busier moment of the machine falls on both"
        )
        collected: dict[str, list[dict[str, Any]]] = {label: [] for label, _s, _w in servers}
        for r in range(args.runs):
            for label, server, writes in servers:
                collected[label] += bench_server(
                    label, server, url, fixture, plan, args, conn,
                    writes=writes, rounds=1, first=r,
                )  # fmt: skip
        for label, runs in collected.items():
            results[label] = summary(label, runs)
        if "baseline" in results:
            base = results["baseline"]["req_s_median"]
            if "real" in results:
                results["ratio"] = results["real"]["req_s_median"] / base
                results["ratio_per_round"] = [
                    real["req_s"] / baseline["req_s"]
                    for real, baseline in zip(collected["real"], collected["baseline"], strict=True)
                ]
            if "django" in results:
                results["django_ratio"] = results["django"]["req_s_median"] / base
        if args.profile:
            print("profiling the endpoint in one process …")
            results["profile"] = profile_endpoint(fixture, args.profile or 300, conn)
        reset_checkins(conn, fixture.enterprise_ids)

    print_report(results)
    print(f"JSON: {write_json('health_ingest', results)}")


def print_report(results: dict[str, Any]) -> None:
    print()
    print(
        f"Check-in ingest, {results['employees']:,} employees in {results['enterprises']} "
        f"enterprise(s), wrk {results['wrk']}, "
        f"{results['ingest_workers']} uvicorn workers (ingest, baseline), {results['workers']} "
        f"sync (Django), {results['cores']} cores shared with wrk and PostgreSQL"
    )
    header = f"{'what':<48} {'req/s median (min–max)':>24} {'p50 ms':>8} {'p99 ms':>8}"
    print(header + f" {'non-2xx':>8} {'sock err':>8} {'checks':>7}")
    print("-" * (len(header) + 26))
    for key, label in (
        ("real", "real endpoint: ingest service (gunicorn+uvicorn)"),
        ("django", "Django endpoint: gunicorn sync + Django + PG"),
        ("floor", "floor: same Django stack, authenticate only"),
        ("baseline", "baseline: uvicorn + FastAPI + psycopg INSERT"),
    ):
        r = results.get(key)
        if r is None:
            continue
        spread = f"{r['req_s_median']:,.0f} ({r['req_s_min']:,.0f}–{r['req_s_max']:,.0f})"
        print(
            f"{label:<48} {spread:>24} {r['p50_ms_median']:>8.1f} {r['p99_ms_median']:>8.1f} "
            f"{r['non2xx']:>8} {r['sock_err']:>8} {'ok' if r['checks_ok'] else 'FAIL':>7}"
        )
    for label, rate, p50, p99 in REFERENCE:
        print(f"{'ref ' + label:<48} {rate:>24,} {p50:>8.1f} {p99:>8.1f}")
    tps = results.get("pgbench_insert_tps_16_clients")
    if tps:
        print(f"{'pgbench single-row INSERT, 16 clients, same run':<48} {tps:>24,.0f}")
        print(f"{'ref 1.7 pgbench single-row INSERT, 16 clients':<48} {11724:>24,}")
    if "ratio" in results:
        print(f"ratio real/baseline: {results['ratio']:.2f} (must be ≥ 0.5, aim 1.0)")
        rounds = results.get("ratio_per_round") or []
        if rounds:
            listed = ", ".join(f"{r:.2f}" for r in rounds)
            print(f"  per round (taken in turns): {listed}; median {statistics.median(rounds):.2f}")
    if "django_ratio" in results:
        print(f"ratio Django endpoint/baseline: {results['django_ratio']:.2f}")
    if "floor" in results and "baseline" in results:
        floor = results["floor"]["req_s_median"] / results["baseline"]["req_s_median"]
        print(
            f"ratio floor/baseline: {floor:.2f} (the most any endpoint through this Django "
            "stack could reach)"
        )
    profile = results.get("profile")
    if profile:
        print()
        print(
            f"In one process: {profile['ms_per_request_in_process']:.2f} ms per check-in "
            f"request, {profile['ms_per_raw_insert_in_process']:.2f} ms per raw INSERT; "
            f"{profile['queries_per_checkin']} SQL statements per check-in:"
        )
        cpu, raw_cpu = profile["cpu_ms_per_request"], profile["cpu_ms_per_raw_insert"]
        print(
            f"CPU per check-in request: Django {cpu['django']:.1f} ms + PostgreSQL "
            f"{cpu['postgresql']:.1f} ms; per raw INSERT: {raw_cpu['django']:.2f} + "
            f"{raw_cpu['postgresql']:.2f} ms (CPU grows far less than wall time under load)"
        )
        for q in profile["sql"]:
            print(f"  {q['ms']:>7.3f} ms  {q['sql'][:160]}")
        print()
        print(profile["profile_text"])


if __name__ == "__main__":
    main()
