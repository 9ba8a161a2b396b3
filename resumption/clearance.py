"""The return plan in the clearance pass: an employee is not cleared before the first
working day their enterprise's published return plan gave them
(health.services.clearance_check; imported from `ResumptionConfig.ready`)."""

from __future__ import annotations

from health.services import ClearanceFacts, clearance_check
from resumption.planning import return_status


@clearance_check("return_date", order=70)
def _return_date(facts: ClearanceFacts) -> str | None:
    cleared, reason = return_status(facts.employee, facts.on)
    return None if cleared else reason
