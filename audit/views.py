"""The audit log page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import GrantRequest
from audit.selectors import audit_event_list
from lib.access import Audience, access
from lib.pages import paginate


@access(Audience.MEMBER, admin=True)
def event_list(request: GrantRequest) -> HttpResponse:
    """Who did what in the viewer's organisation; personal-data access can be filtered."""
    events = audit_event_list(
        viewer=request.grant,
        action=request.GET.get("action", "").strip()[:80],
        personal_only=request.GET.get("personal") == "1",
    )
    return render(request, "audit/event_list.html", paginate(request, events))
