"""Writing audit events; every service calls `audit_record` inside its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from audit.models import AuditEvent

if TYPE_CHECKING:
    from accounts.models import User
    from orgs.models import Organization


def audit_record(
    *,
    actor: User | None,
    action: str,
    scope: Organization | None,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    personal_data: bool = False,
) -> AuditEvent:
    """Record one action; callers run inside the same transaction as the change."""
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.display_label if actor is not None else "system",
        scope=scope,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        personal_data=personal_data,
    )


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Return {field: [old, new]} for the fields whose value changed, as strings."""
    return {
        key: [str(before.get(key, "")), str(value)]
        for key, value in after.items()
        if before.get(key) != value
    }
