"""Template context: the active grant and the others the user may switch to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.selectors import grant_list_for_user


def active_grant(request: HttpRequest) -> dict[str, Any]:
    grant = getattr(request, "grant", None)
    if not request.user.is_authenticated:
        return {"grant": None, "other_grants": []}
    return {
        "grant": grant,
        "other_grants": [
            g
            for g in grant_list_for_user(user=request.user)
            if grant is None or g.pk != grant.pk  # type: ignore[arg-type]
        ],
    }
