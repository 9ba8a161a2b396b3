"""An association with 5,000 member enterprises: its plan review queue, the plan roll-up and
the compliance page (issue 5, "Speed": the association's plan list and compliance roll-up
with 5,000 member enterprises).

What it does:
1. creates the database `tongzhou_bench_compliance` on 127.0.0.1:5432 (if missing) and
   migrates it with `manage.py migrate` (helpers of bench/health_ingest.py);
2. generates, with bulk_create: the federation, one hotel association with `--enterprises`
   active members (80 % hotels, the rest in other sectors; a second association with a few
   hundred members so scoping is exercised), the seeded checklist templates, a plan per
   member in mixed states (10 % none, 15 % draft, 20 % submitted, 5 % resubmitted, 10 %
   returned, 35 % approved, 5 % suspended) with their required items answered (all for
   approved plans, 60–100 % for the others) and three supplies (about 1 in 8 under 3 days
   of cover), `--employees` employees per member, three required courses (one due
   yesterday, one undated, one due next week) with passes for about 80 % of the pairs, a
   site per member with 7 rounds a day (disinfection, ventilation, temperature) for the
   last 8 days and entries for about 95 % of the past rounds;
3. times, warm (1 warm-up, then `--repeat` runs), through django.test.Client signed in as
   the association's officer: `plans:queue` (submitted tab) and
   `dashboards:compliance` (first page, and with the "has problems" filter), and as the
   federation officer `dashboards:compliance` and the drill-down into the association;
   prints p50/p95 and the queries per request, and writes a JSON copy to bench/out/.

Usage (from the repository root):
    .venv/bin/python bench/plans_compliance.py            # generate (a few minutes) and time
    .venv/bin/python bench/plans_compliance.py --reuse    # time the data generated before
Options: --enterprises N (5000), --employees N (5), --repeat N (20), --seed N.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from health_ingest import pct, prepare_database, setup_django, write_json

DB = "tongzhou_bench_compliance"
STATUS_MIX = [
    (None, 10),
    ("draft", 15),
    ("submitted", 20),
    ("resubmitted", 5),
    ("returned", 10),
    ("approved", 35),
    ("suspended", 5),
]


class Stopwatch:
    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        extra = f" → {result:,}" if isinstance(result, int) else ""
        print(f"  {label}: {time.perf_counter() - start:.1f} s{extra}", flush=True)
        return result


def generate(args: argparse.Namespace) -> None:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, RoleGrant, User
    from orgs.models import Division, Membership, Organization, Sector, Site
    from plans.models import (
        AnswerState,
        EvidenceKind,
        Plan,
        PlanAnswer,
        PlanSupply,
        TemplateItem,
    )
    from plans.services import current_base_template, current_sector_templates, templates_seed
    from sitelogs.models import LogEntry, SiteSchedule
    from training.models import Assignment, Completion, Course
    from workforce.models import Employee

    rng = random.Random(args.seed)
    watch = Stopwatch()
    today = timezone.localdate()
    now = timezone.now()
    print("generating …", flush=True)
    sectors = list(Sector.objects.all())
    hotel = Sector.objects.get(code="hotel")
    districts = list(Division.objects.filter(level="county", code__startswith="4403"))
    streets: dict[str, Division] = {}
    for street in Division.objects.filter(level="street", code__startswith="4403"):
        streets.setdefault(street.parent_id or "", street)
    districts = [d for d in districts if d.code in streets]
    federation = Organization.objects.create(kind="federation", name="基准联合委员会")
    association = Organization.objects.create(
        kind="association", name="基准酒店业商会", sector=hotel, parent=federation
    )
    beauty = Sector.objects.get(code="beauty")
    other_association = Organization.objects.create(
        kind="association", name="基准美容美发协会", sector=beauty, parent=federation
    )

    def users() -> int:
        made = 0
        for mobile, name, org in (
            ("13900000001", "bench-association", association),
            ("13900000002", "bench-federation", federation),
        ):
            user = User.objects.create_user(mobile, "bench-password-123", name=name)
            RoleGrant.objects.create(user=user, organization=org, role=Role.ADMIN)
            made += 1
        return made

    watch.run("users", users)
    watch.run("templates", lambda: templates_seed(federation=federation, actor=None))
    recorder = User.objects.create_user("13900000003", "bench-password-123", name="bench-staff")

    def orgs() -> int:
        enterprises = []
        total = args.enterprises + args.enterprises // 10
        for i in range(total):
            sector = hotel if rng.random() < 0.8 else rng.choice(sectors)
            enterprises.append(
                Organization(
                    kind="enterprise",
                    name=f"基准企业{i:05d}有限公司",
                    sector=sector,
                    district=rng.choice(districts),
                )
            )
        Organization.objects.bulk_create(enterprises, batch_size=2000)
        memberships = [
            Membership(
                enterprise=e,
                association=association if i < args.enterprises else other_association,
                status="active",
            )
            for i, e in enumerate(enterprises)
        ]
        Membership.objects.bulk_create(memberships, batch_size=5000)
        Site.objects.bulk_create(
            [
                Site(
                    enterprise=e,
                    name="总店",
                    address="深南大道1号",
                    district=e.district,
                    street=streets[e.district_id or ""],
                    floor_area_m2=300,
                    kind=Site.Kind.STORE,
                    service_mode=Site.ServiceMode.OPEN,
                )
                for e in enterprises
            ],
            batch_size=2000,
        )
        return len(enterprises)

    watch.run("enterprises, memberships, sites", orgs)
    enterprises = list(Organization.objects.filter(kind="enterprise").order_by("pk"))
    base = current_base_template()
    assert base is not None
    by_sector: dict[str | None, list[int]] = {}
    for e in enterprises:
        if e.sector_id not in by_sector:
            by_sector[e.sector_id] = [t.pk for t in current_sector_templates(e)]
    required: dict[int, list[TemplateItem]] = {}
    for item in TemplateItem.objects.filter(required=True).select_related("section"):
        required.setdefault(item.section.template_id, []).append(item)

    def plans() -> int:
        weights = [w for _s, w in STATUS_MIX]
        rows = []
        for e in enterprises:
            status = rng.choices([s for s, _w in STATUS_MIX], weights=weights)[0]
            if status is None:
                continue
            submitted = status != "draft"
            rows.append(
                Plan(
                    enterprise=e,
                    base_template=base,
                    status=status,
                    team=[],
                    submitted_at=now - dt.timedelta(hours=rng.randint(1, 400))
                    if submitted
                    else None,
                )
            )
        Plan.objects.bulk_create(rows, batch_size=2000)
        through = Plan.sector_templates.through
        links = [
            through(plan_id=p.pk, checklisttemplate_id=t)
            for p in rows
            for t in by_sector.get(p.enterprise.sector_id, [])
        ]
        through.objects.bulk_create(links, batch_size=5000)
        answers = []
        supplies = []
        for p in rows:
            share = 1.0 if p.status == "approved" else rng.uniform(0.6, 1.0)
            for tid in [base.pk, *by_sector.get(p.enterprise.sector_id, [])]:
                for item in required.get(tid, []):
                    if rng.random() > share:
                        continue
                    answers.append(
                        PlanAnswer(
                            plan=p,
                            item=item,
                            state=AnswerState.DONE,
                            note="已落实",
                            number=5 if item.evidence == EvidenceKind.NUMBER else None,
                            evidence_file=(
                                "plans/evidence/bench"
                                if item.evidence in {EvidenceKind.PHOTO, EvidenceKind.FILE}
                                else ""
                            ),
                        )
                    )
            low = rng.random() < 0.125
            for supply, unit, use in (("口罩", "个", 40), ("消毒液", "升", 2), ("体温计", "支", 0)):
                days = rng.uniform(0.5, 2.9) if low and supply == "口罩" else rng.uniform(3, 30)
                supplies.append(
                    PlanSupply(
                        plan=p,
                        item=supply,
                        unit=unit,
                        on_hand=round(use * days, 1) if use else 5,
                        daily_use=use,
                    )
                )
        PlanAnswer.objects.bulk_create(answers, batch_size=5000)
        PlanSupply.objects.bulk_create(supplies, batch_size=5000)
        return len(answers)

    watch.run("plans, answers, supplies", plans)

    def employees() -> int:
        rows = []
        n = 0
        for e in enterprises:
            for _k in range(args.employees):
                n += 1
                rows.append(
                    Employee(
                        enterprise=e,
                        name=f"员工{n}",
                        mobile_enc="bench",
                        mobile_hash=f"m{n:010d}",
                        mobile_masked="139****0000",
                        document_type="passport",
                        document_enc="bench",
                        document_hash=f"d{n:010d}",
                        document_masked="E****0",
                        status="active",
                    )
                )
        Employee.objects.bulk_create(rows, batch_size=5000)
        return len(rows)

    watch.run("employees", employees)

    def training() -> int:
        courses = [
            Course.objects.create(
                publisher=association if k else federation,
                title=title,
                body_md="正文",
                body_html="<p>正文</p>",
                status=Course.Status.PUBLISHED,
                published_at=now,
            )
            for k, title in enumerate(["防疫基础", "服务规范", "法律风险"])
        ]
        for course, due in zip(
            courses, [today - dt.timedelta(days=1), None, today + dt.timedelta(days=7)], strict=True
        ):
            Assignment.objects.create(
                course=course,
                organization=course.publisher,
                rule=Assignment.Rule.ALL,
                required=True,
                due_on=due,
            )
        completions = []
        for employee_id, enterprise_id in Employee.objects.values_list("pk", "enterprise_id"):
            for course in courses:
                if rng.random() < 0.8:
                    completions.append(
                        Completion(
                            course=course,
                            employee_id=employee_id,
                            enterprise_id=enterprise_id,
                            best_score=90,
                            passed=True,
                            passed_at=now - dt.timedelta(days=2),
                            last_at=now - dt.timedelta(days=2),
                            attempts=1,
                        )
                    )
        Completion.objects.bulk_create(completions, batch_size=5000)
        return len(completions)

    watch.run("courses, completions", training)

    def sitelogs() -> int:
        kinds = {
            "disinfection": ["09:00", "15:00"],
            "ventilation": ["08:30", "12:30", "16:30"],
            "temperature": ["08:00", "14:00"],
        }
        start = today - dt.timedelta(days=8)
        schedules = [
            SiteSchedule(
                enterprise_id=site.enterprise_id,
                site=site,
                kind=kind,
                slots=slots,
                duration_minutes=30,
                areas=["大堂"],
                agent="含氯消毒剂 500 mg/L",
                valid_from=start,
                source="bench",
            )
            for site in Site.objects.all()
            for kind, slots in kinds.items()
        ]
        SiteSchedule.objects.bulk_create(schedules, batch_size=5000)
        entries = []
        tz = timezone.get_current_timezone()
        local_now = timezone.localtime(now)
        written = 0
        for schedule in schedules:
            for offset in range(8):
                day = today - dt.timedelta(days=offset)
                for slot in schedule.slots:
                    time_of = dt.time.fromisoformat(slot)
                    due = dt.datetime.combine(day, time_of, tzinfo=tz)
                    if due > local_now or rng.random() < 0.05:
                        continue
                    entries.append(
                        LogEntry(
                            enterprise_id=schedule.enterprise_id,
                            site_id=schedule.site_id,
                            schedule=schedule,
                            kind=schedule.kind,
                            slot_date=day,
                            slot_time=time_of,
                            done_at=due + dt.timedelta(minutes=10),
                            area="大堂",
                            agent=schedule.agent,
                            who=recorder,
                        )
                    )
            if len(entries) >= 20000:
                LogEntry.objects.bulk_create(entries)
                written += len(entries)
                entries = []
        LogEntry.objects.bulk_create(entries)
        return written + len(entries)

    with transaction.atomic():
        watch.run("schedules, log entries", sitelogs)


def times_ms(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure(repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import RoleGrant

    grants = {
        g.user.name: g
        for g in RoleGrant.objects.select_related("user", "organization").filter(
            user__name__in=["bench-association", "bench-federation"]
        )
    }
    association = grants["bench-association"].organization
    drill = reverse("dashboards:compliance_association", args=[association.pk])
    cases = [
        ("plans:queue (submitted)", "bench-association", reverse("plans:queue")),
        ("dashboards:compliance", "bench-association", reverse("dashboards:compliance")),
        (
            "dashboards:compliance ?problems=1&page=3",
            "bench-association",
            reverse("dashboards:compliance") + "?problems=1&page=3",
        ),
        (
            "dashboards:compliance (federation)",
            "bench-federation",
            reverse("dashboards:compliance"),
        ),
        ("dashboards:compliance_association", "bench-federation", drill),
    ]
    results: dict[str, Any] = {}
    for label, who, url in cases:
        client = Client()
        client.force_login(grants[who].user, backend="django.contrib.auth.backends.ModelBackend")
        client.get(url)  # the session's first request
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} as {who}: HTTP {response.status_code}")
        n_queries = len(queries)
        values = times_ms(lambda c=client, u=url: c.get(u), repeat)  # type: ignore[misc]
        results[label] = {
            "url": url,
            "queries": n_queries,
            "bytes": len(response.content),
            "p50_ms": statistics.median(values),
            "p95_ms": pct(values, 95),
            "min_ms": min(values),
            "max_ms": max(values),
            "n": len(values),
            "loadavg_1min": os.getloadavg()[0],
        }
        r = results[label]
        print(
            f"  {label:44s} p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  "
            f"{r['queries']:3d} queries  {r['bytes'] // 1024:4d} KiB  load {r['loadavg_1min']:.1f}",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--employees", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the data generated before")
    args = parser.parse_args()
    created, t_migrate = prepare_database(DB, fresh=not args.reuse)
    print(f"database {DB}: {'created' if created else 'kept'}, migrate {t_migrate:.1f} s")
    setup_django(DB)
    from orgs.models import Organization

    if not args.reuse or not Organization.objects.filter(kind="association").exists():
        generate(args)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    members = Organization.objects.filter(
        memberships__association__name="基准酒店业商会", memberships__status="active"
    ).count()
    print(f"timing ({members:,} members, {args.repeat} runs each, warm) …", flush=True)
    results = measure(args.repeat)
    path = write_json("plans_compliance", {"members": members, "results": results})
    print(f"written {path}")


if __name__ == "__main__":
    main()
