"""Reads of the audit log: an admin sees the events of their own organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import RoleGrant
from audit.models import AuditEvent


def audit_event_list(
    *, viewer: RoleGrant, action: str = "", personal_only: bool = False
) -> QuerySet[AuditEvent]:
    """Events scoped to the viewer's organisation, newest first."""
    qs = AuditEvent.objects.filter(scope_id=viewer.organization_id)
    if action:
        qs = qs.filter(action__startswith=action)
    if personal_only:
        qs = qs.filter(personal_data=True)
    return qs.order_by("-at", "-id")
