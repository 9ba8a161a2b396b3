"""Training in the clearance pass: an employee who has not passed a required course that is
past its due date is not cleared to work (health.services.clearance_check; imported from
`TrainingConfig.ready`)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from health.services import ClearanceFacts, clearance_check
from training.selectors import training_status


@clearance_check("training", order=60)
def _required_training(facts: ClearanceFacts) -> str | None:
    complete, missing = training_status(facts.employee, facts.on)
    if complete:
        return None
    return _("Required training not passed yet: %(courses)s.") % {"courses": "、".join(missing)}
