"""Attach the user's active role grant to every request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.selectors import grant_active

SESSION_KEY = "tongzhou_grant_id"


class ActiveGrantMiddleware:
    """Sets `request.grant` from the session choice, validated against the user's grants."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.grant = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            chosen = request.session.get(SESSION_KEY)
            grant = grant_active(user=request.user, chosen_id=chosen)  # type: ignore[arg-type]
            request.grant = grant  # type: ignore[attr-defined]
            if grant is not None and grant.pk != chosen:
                request.session[SESSION_KEY] = grant.pk
        return self.get_response(request)
