"""Shared helpers of the resumption tests: employees, declarations, an application."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from orgs.models import Division
from resumption import services
from resumption.models import ResumptionApplication
from workforce.models import Employee
from workforce.services import EmployeeInput, employee_create

DOCUMENTS = [
    "11010519491231002X",
    "360426199101010071",
    "44011320141005001X",
    "34052419800101001X",
    "440524188001010014",
]


def employee(cast: Any, n: int = 0, *, critical: bool = False, enterprise: Any = None) -> Employee:
    enterprise = enterprise or cast.enterprise
    made = employee_create(
        actor=cast.enterprise_admin,
        enterprise=enterprise,
        data=EmployeeInput(
            name=f"员工{n}",
            mobile=f"139{n:08d}",
            document_type="passport",
            document_number=f"E{n:08d}",
        ),
    )
    made.site = cast.site if enterprise == cast.enterprise else cast.other_site
    made.is_critical = critical
    made.save(update_fields=["site", "is_critical"])
    return made


def in_shenzhen(cast: Any, person: Employee) -> Any:
    return services.declaration_save(
        employee=person,
        data=services.DeclarationInput(
            in_shenzhen=True, district=Division.objects.get(code="440303")
        ),
        via="manager",
        actor=cast.enterprise_admin,
    )


def from_hubei(
    cast: Any, person: Employee, *, travel_on: dt.date | None = None, isolation: bool = False
) -> Any:
    return services.declaration_save(
        employee=person,
        data=services.DeclarationInput(
            in_shenzhen=False,
            province=Division.objects.get(code="420000"),
            city=Division.objects.get(code="420100"),
            planned_travel_on=travel_on or timezone.localdate(),
            travel_mode="train",
            needs_isolation=isolation,
        ),
        via="manager",
        actor=cast.enterprise_admin,
    )


def application(
    cast: Any, *, share: int = 50, start: dt.date | None = None, rooms: int = 0, submit: bool = True
) -> ResumptionApplication:
    app = services.application_create(
        actor=cast.enterprise_admin,
        enterprise=cast.enterprise,
        title="第一批复工",
        normal_headcount=20,
        isolation_rooms=rooms,
    )
    services.phase_add(
        actor=cast.enterprise_admin,
        application=app,
        starts_on=start or timezone.localdate(),
        share_pct=share,
        sites=[cast.site],
        shifts=services.parse_shifts("08:00-16:00, 16:00-24:00"),
    )
    app.refresh_from_db()
    app = services.application_update(
        actor=cast.enterprise_admin,
        application=app,
        title=app.title,
        normal_headcount=20,
        isolation_rooms=rooms,
        committed=True,
        version=app.version,
    )
    if submit:
        app = services.application_transition(
            actor=cast.enterprise_admin, application=app, to="submitted", acting_for=cast.enterprise
        )
    return app


def approve(cast: Any, app: ResumptionApplication) -> ResumptionApplication:
    return services.application_transition(
        actor=cast.association_officer, application=app, to="approved", acting_for=cast.association
    )
