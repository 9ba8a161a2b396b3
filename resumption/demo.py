"""Demo return to work: applications in every state, declarations (some from higher-risk
regions), a published federation-wide wave plan within district arrival caps, a published
plan for each approved demo enterprise within its quota, and two weeks of attendance —
all through the real services (plans are published without sending SMS).

Call it after the prevention-plan demo (`plans.demo.write_plans`): an application is
approved only where the enterprise's prevention plan is (or where plans do not exist);
the others stay submitted.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from orgs.models import Division, MembershipStatus, Organization, Site
from resumption import planning, rules, services, waves
from resumption.models import ApplicationStatus, AttendanceRecord, AttendanceStatus, TravelMode
from workforce.models import Employee, EmploymentStatus

MAX_ENTERPRISES = 36
MAX_PLANNED = 8  # enterprises with a published plan (their whole roster is declared)
DAYS_BACK = 14
CYCLE = ["approved", "draft", "submitted", "returned", "resubmitted", "approved"]
# Where people spent the Spring Festival: (province, city, weight); Hubei is high risk in
# the default table, Zhengzhou / Changsha / Wenzhou medium, the rest low.
ORIGINS = [
    ("420000", "420100", 3),  # 湖北 武汉
    ("420000", "420600", 2),  # 湖北 襄阳
    ("410000", "410100", 4),  # 河南 郑州
    ("430000", "430100", 4),  # 湖南 长沙
    ("330000", "330300", 2),  # 浙江 温州
    ("440000", "440500", 10),  # 广东 汕头
    ("450000", "450100", 8),  # 广西 南宁
    ("360000", "360100", 8),  # 江西 南昌
    ("510000", "510100", 6),  # 四川 成都
]


def _admin(organization: Organization) -> User | None:
    grant = (
        RoleGrant.objects.filter(organization=organization, role=Role.ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return grant.user if grant else None


def write_resumption(
    *, federation: Organization, associations: list[Organization], seed: int
) -> int:
    """Write the demo; returns the number of applications made."""
    rng = random.Random(seed)  # noqa: S311 - a seeded PRNG on purpose: the same demo everywhere
    today = timezone.localdate()
    start = today - dt.timedelta(days=DAYS_BACK)
    enterprises = list(
        Organization.objects.filter(
            kind="enterprise",
            memberships__association__in=associations,
            memberships__status=MembershipStatus.ACTIVE,
        )
        .annotate(
            people=Count(
                "employees", filter=Q(employees__status=EmploymentStatus.ACTIVE), distinct=True
            ),
            places=Count("sites", distinct=True),
        )
        .filter(people__gt=0, places__gt=0)
        .distinct()
        .order_by("pk")
    )
    # Applications are approved only with an approved prevention plan: those enterprises
    # get the approved applications (and the published plans); the others go round the
    # other states.
    ready = [e for e in enterprises if services.prevention_plan_approved(e) is not False]
    ready = ready[:MAX_PLANNED]
    # The enterprises of the login table first, so that each demo account has an application.
    featured = set(
        RoleGrant.objects.filter(
            organization__kind="enterprise", user__mobile__startswith="1380013800"
        ).values_list("organization_id", flat=True)
    )
    others = sorted(
        (e for e in enterprises if e not in ready), key=lambda e: (e.pk not in featured, e.pk)
    )[: MAX_ENTERPRISES - len(ready)]
    cycle = [state for state in CYCLE if state != "approved"]
    targets = [(e, "approved") for e in ready] + [
        (e, cycle[n % len(cycle)]) for n, e in enumerate(others)
    ]
    districts = list(
        Division.objects.filter(parent_id="440300", level__in=["county", "functional_area"])
    )
    divisions = {
        d.code: d for d in Division.objects.filter(code__in={c for o in ORIGINS for c in o[:2]})
    }
    made = 0
    approved: list[tuple[Any, User | None]] = []
    for enterprise, target in targets:
        author = _admin(enterprise)
        sites = list(Site.objects.filter(enterprise=enterprise).order_by("pk"))
        people = list(
            Employee.objects.filter(enterprise=enterprise, status=EmploymentStatus.ACTIVE).order_by(
                "pk"
            )
        )
        application = services.application_create(
            actor=author,
            enterprise=enterprise,
            title=f"{enterprise.short_name or enterprise.name} 分批复工申请",
            normal_headcount=len(people),
            isolation_rooms=rng.choice([0, 2, 4]),
        )
        made += 1
        for k, (offset, share) in enumerate([(0, 30), (7, 60), (17, 100)]):
            services.phase_add(
                actor=author,
                application=application,
                starts_on=start + dt.timedelta(days=offset),
                share_pct=share,
                sites=sites,
                shifts=services.parse_shifts(
                    "08:00-16:00, 16:00-23:00" if k or len(people) > 10 else "09:00-18:00"
                ),
            )
        if target == "draft":
            continue
        application.refresh_from_db()
        application = services.application_update(
            actor=author,
            application=application,
            title=application.title,
            normal_headcount=application.normal_headcount,
            isolation_rooms=application.isolation_rooms,
            committed=True,
            version=application.version,
        )
        application = services.application_transition(
            actor=author,
            application=application,
            to=ApplicationStatus.SUBMITTED,
            acting_for=enterprise,
        )
        reviewer = application.reviewer
        officer = _admin(reviewer)
        if target in {"returned", "resubmitted"}:
            application = services.application_transition(
                actor=officer,
                application=application,
                to=ApplicationStatus.RETURNED,
                acting_for=reviewer,
                comment="请补充各门店隔离观察室位置和每班次人员名单。",
            )
        if target == "resubmitted":
            application = services.application_transition(
                actor=author,
                application=application,
                to=ApplicationStatus.RESUBMITTED,
                acting_for=enterprise,
            )
        if target != "approved":
            continue
        application = services.application_transition(
            actor=officer,
            application=application,
            to=ApplicationStatus.APPROVED,
            acting_for=reviewer,
        )
        _declare(people, rng, start, districts, divisions, author)
        approved.append((application, author))
    if approved:
        # The federation-wide wave over the submitted applications, within district caps;
        # then each enterprise's own plan within its quota, and two weeks of attendance.
        _caps(federation, start)
        wave = waves.wave_compute(actor=_admin(federation), scope=federation, start=start)
        waves.wave_publish(actor=_admin(federation), wave=wave)
    for application, author in approved:
        plan = planning.plan_compute(actor=author, application=application)
        planning.plan_publish(actor=author, plan=plan, notify=False)
        for d in range(DAYS_BACK + 1):
            services.attendance_materialise(
                day=start + dt.timedelta(days=d), enterprise=application.enterprise
            )
        _corrections(application.enterprise, rng)
    return made


def _caps(federation: Organization, start: dt.date) -> None:
    """A daily arrival cap per district that binds in the demo (5 people a day)."""
    from emergencies.selectors import emergency_current
    from emergencies.services import rule_publish

    emergency = emergency_current()
    if emergency is None:
        return
    codes = Division.objects.filter(parent_id="440300", level__in=["county", "functional_area"])
    rule_publish(
        actor=None,
        scope=federation,
        emergency=emergency,
        key=rules.CAPS_KEY,
        data={"districts": {d.code: 5 for d in codes}, "source": "演示数据：每区每日返深上限"},
        effective_from=start - dt.timedelta(days=1),
        source_title="演示数据：每区每日返深上限5人",
    )


def _declare(
    people: list[Employee],
    rng: random.Random,
    start: dt.date,
    districts: list[Division],
    divisions: dict[str, Division],
    author: User | None,
) -> None:
    weights = [o[2] for o in ORIGINS]
    for person in people:
        if rng.random() < 0.55:  # stayed in Shenzhen over the holiday
            data = services.DeclarationInput(in_shenzhen=True, district=rng.choice(districts))
        else:
            province, city, _w = rng.choices(ORIGINS, weights=weights)[0]
            data = services.DeclarationInput(
                in_shenzhen=False,
                province=divisions[province],
                city=divisions[city],
                planned_travel_on=start + dt.timedelta(days=rng.randint(0, 10)),
                travel_mode=rng.choice([TravelMode.TRAIN, TravelMode.COACH, TravelMode.CAR]),
                needs_isolation=rng.random() < 0.3,
            )
        services.declaration_save(
            employee=person,
            data=data,
            via=rng.choice(["personal", "manager"]),
            actor=author,
            on=start - dt.timedelta(days=1),
        )


def _corrections(enterprise: Organization, rng: random.Random) -> None:
    """A few absences and swapped shifts, as managers record them."""
    rows = list(AttendanceRecord.objects.filter(enterprise=enterprise).order_by("pk"))
    absent = [r.pk for r in rows if rng.random() < 0.05]
    AttendanceRecord.objects.filter(pk__in=absent).update(
        status=AttendanceStatus.ABSENT, source=AttendanceRecord.Source.MANAGER
    )
