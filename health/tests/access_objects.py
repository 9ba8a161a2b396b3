"""URL arguments for the cross-cutting access test (tongzhou/tests/test_url_access.py):
pages of an employee of enterprise A1 (with consent, so the personal pages render), a pass
of theirs to verify, and an isolation of theirs."""

from __future__ import annotations

import datetime as dt
from typing import Any

# Personal-link pages (Audience.TOKEN: open to whoever holds the link) and the enterprise's
# pages about one person: they show personal data, so only A1's own people may open them.
TOKEN_PAGES = {
    "personal:home",
    "checkin:consent",
    "checkin:form",
    "checkin:quick",
    "checkin:pass",
    "checkin:history",
}
PERSONAL: set[str] = TOKEN_PAGES | {"health:checkin_on_behalf", "health:observation_release"}


def _employee(cast: Any) -> Any:
    from health.services import NOTICE_VERSION, consent_give
    from tongzhou.tests.test_url_access import _employee as a1_employee

    employee = a1_employee(cast)
    consent_give(employee=employee, kinds={"health", "travel"}, notice_version=NOTICE_VERSION)
    return employee


def _observation(cast: Any) -> Any:
    from health.models import Observation

    employee = _employee(cast)
    today = dt.date.today()
    return Observation.objects.filter(employee=employee).first() or Observation.objects.create(
        employee=employee,
        enterprise=cast.enterprise,
        kind=Observation.Kind.HOME_ISOLATION,
        reason=Observation.Reason.ARRIVAL,
        starts_on=today,
        planned_end_on=today + dt.timedelta(days=13),
    )


def objects(name: str, cast: Any) -> dict[str, Any] | None:
    if name in TOKEN_PAGES:
        from workforce.links import link_token

        return {"token": link_token(_employee(cast))}
    if name == "clearance:verify":
        from health.passes import pass_token

        return {"pass_token": pass_token(_employee(cast))}
    if name == "health:import_status":
        from health.models import CheckInImport

        job = CheckInImport.objects.filter(enterprise=cast.enterprise).first()
        if job is None:
            job = CheckInImport.objects.create(
                enterprise=cast.enterprise,
                created_by=cast.enterprise_admin,
                filename="checkins.xlsx",
                status=CheckInImport.Status.DONE,
            )
        return {"pk": job.pk}
    if name == "health:checkin_on_behalf":
        return {"pk": _employee(cast).pk}
    if name == "health:observation_release":
        return {"pk": _observation(cast).pk}
    return None
