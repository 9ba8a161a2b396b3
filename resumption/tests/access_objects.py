"""URL arguments for the cross-cutting access test (tongzhou/tests/test_url_access.py):
enterprise A1's employee (declaration, contacts), application, phase, assignment and
attendance record, and the employee's personal return page."""

from __future__ import annotations

from typing import Any

TOKEN_PAGES = {"my_return:declaration"}
PERSONAL: set[str] = TOKEN_PAGES | {
    "resumption:declaration_edit",
    "resumption:contacts",
    "resumption:assignment_pin",
    "resumption:attendance_correct",
}
APPLICATION_PAGES = {
    "resumption:application_detail",
    "resumption:application_edit",
    "resumption:phase_add",
    "resumption:application_transition",
    "resumption:plan",
    "resumption:plan_compute",
    "resumption:plan_publish",
}
# The plan pages show names: only A1's own people.
PERSONAL |= {"resumption:plan"}


def _employee(cast: Any) -> Any:
    from tongzhou.tests.test_url_access import _employee as a1_employee

    return a1_employee(cast)


def _application(cast: Any) -> Any:
    from django.utils import timezone

    from resumption import services
    from resumption.models import ResumptionApplication

    found = ResumptionApplication.objects.filter(enterprise=cast.enterprise).first()
    if found is not None:
        return found
    application = services.application_create(
        actor=cast.enterprise_admin,
        enterprise=cast.enterprise,
        title="复工申请",
        normal_headcount=10,
    )
    services.phase_add(
        actor=cast.enterprise_admin,
        application=application,
        starts_on=timezone.localdate(),
        share_pct=50,
        sites=[cast.site],
        shifts=services.parse_shifts("08:00-16:00"),
    )
    application.refresh_from_db()
    application = services.application_update(
        actor=cast.enterprise_admin,
        application=application,
        title=application.title,
        normal_headcount=10,
        isolation_rooms=0,
        committed=True,
        version=application.version,
    )
    # Submitted, so that its reviewer (association A) and the federation see it.
    return services.application_transition(
        actor=cast.enterprise_admin,
        application=application,
        to="submitted",
        acting_for=cast.enterprise,
    )


def _assignment(cast: Any) -> Any:
    from orgs.models import Division
    from resumption import planning, services

    employee = _employee(cast)
    services.declaration_save(
        employee=employee,
        data=services.DeclarationInput(
            in_shenzhen=True, district=Division.objects.get(code="440303")
        ),
        via="manager",
        actor=cast.enterprise_admin,
    )
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=_application(cast))
    return plan.assignments.get(employee=employee)


def _attendance(cast: Any) -> Any:
    from django.utils import timezone

    from resumption.models import AttendanceRecord

    employee = _employee(cast)
    return AttendanceRecord.objects.filter(employee=employee).first() or (
        AttendanceRecord.objects.create(
            enterprise=cast.enterprise,
            site=cast.site,
            day=timezone.localdate(),
            shift=0,
            employee=employee,
            source="plan",
        )
    )


def _wave(cast: Any) -> Any:
    from resumption.models import WavePlan

    return WavePlan.objects.filter(scope=cast.federation).first() or WavePlan.objects.create(
        scope=cast.federation, starts_on=_application(cast).phases.first().starts_on
    )


def objects(name: str, cast: Any) -> dict[str, Any] | None:
    if name in TOKEN_PAGES:
        from workforce.links import link_token

        return {"token": link_token(_employee(cast))}
    if name in {"resumption:declaration_edit", "resumption:contacts"}:
        return {"pk": _employee(cast).pk}
    if name in APPLICATION_PAGES:
        return {"pk": _application(cast).pk}
    if name == "resumption:phase_remove":
        return {"pk": _application(cast).phases.first().pk}
    if name == "resumption:assignment_pin":
        return {"pk": _assignment(cast).pk}
    if name == "resumption:wave_publish":
        return {"pk": _wave(cast).pk}
    if name == "resumption:attendance_correct":
        return {"pk": _attendance(cast).pk}
    return None
