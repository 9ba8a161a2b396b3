"""Writes to emergencies and rule tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from pydantic import ValidationError as SchemaError

from accounts.models import User
from audit.services import audit_record
from emergencies.models import Emergency, RuleVersion
from emergencies.rules import REGISTRY, announce_rules_changed
from orgs.models import Organization


@transaction.atomic
def emergency_create(
    *,
    actor: User,
    federation: Organization,
    name: str,
    kind: str,
    started_on: dt.date,
    retention_days: int = 30,
    make_current: bool = True,
) -> Emergency:
    """Open an emergency; by default it becomes the current one."""
    if kind not in Emergency.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of emergency.")})
    if not name.strip():
        raise ValidationError({"name": _("Name the emergency.")})
    if not 0 <= retention_days <= 3650:
        raise ValidationError({"retention_days": _("Retention must be between 0 and 3650 days.")})
    if make_current:
        Emergency.objects.filter(is_current=True).update(is_current=False)
    emergency = Emergency.objects.create(
        name=name.strip(),
        kind=kind,
        started_on=started_on,
        retention_days=retention_days,
        is_current=make_current,
    )
    audit_record(actor=actor, action="emergency.create", scope=federation, obj=emergency)
    announce_rules_changed()
    return emergency


@transaction.atomic
def emergency_close(
    *, actor: User, federation: Organization, emergency: Emergency, closed_on: dt.date
) -> Emergency:
    """Close an emergency; personal data is purged `retention_days` later."""
    if emergency.status == Emergency.Status.CLOSED:
        raise ValidationError(_("This emergency is already closed."), code="closed")
    if closed_on < emergency.started_on:
        raise ValidationError({"closed_on": _("An emergency cannot close before it starts.")})
    emergency.status = Emergency.Status.CLOSED
    emergency.closed_on = closed_on
    emergency.is_current = False
    emergency.save(update_fields=["status", "closed_on", "is_current"])
    audit_record(actor=actor, action="emergency.close", scope=federation, obj=emergency)
    announce_rules_changed()
    return emergency


@transaction.atomic
def rule_publish(
    *,
    actor: User | None,
    scope: Organization | None,
    emergency: Emergency,
    key: str,
    data: dict[str, Any],
    effective_from: dt.date,
    source_title: str,
    source_url: str = "",
    note: str = "",
) -> RuleVersion:
    """Publish a new version of a rule table; earlier versions stay as they were."""
    schema = REGISTRY.get(key)
    if schema is None:
        raise ValidationError({"key": _("Unknown rule table.")})
    if not source_title.strip():
        raise ValidationError({"source_title": _("Cite the source of these rules.")})
    try:
        cleaned = schema.model_validate(data).model_dump(mode="json")
    except SchemaError as exc:
        raise ValidationError(
            {"data": [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]}
        ) from None
    last = RuleVersion.objects.filter(emergency=emergency, key=key).aggregate(v=Max("version"))["v"]
    rule = RuleVersion.objects.create(
        emergency=emergency,
        key=key,
        version=(last or 0) + 1,
        effective_from=effective_from,
        data=cleaned,
        source_title=source_title.strip()[:300],
        source_url=source_url,
        note=note.strip()[:500],
        changed_by=actor,
    )
    audit_record(
        actor=actor, action="rule.publish", scope=scope, obj=rule, changes={"data": cleaned}
    )
    announce_rules_changed()
    return rule
