"""Template context: the signed-in user's unread inbox count, for the navbar's badge."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from notify.selectors import inbox_unread_count


class UnreadCount:
    """Counted on first use only (one indexed COUNT), then remembered for the request."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    def __call__(self) -> int:
        known: int | None = getattr(self.request, "inbox_unread", None)
        if known is None:
            known = inbox_unread_count(user=self.request.user)  # type: ignore[arg-type]
            self.request.inbox_unread = known  # type: ignore[attr-defined]
        return known


def inbox(request: HttpRequest) -> dict[str, Any]:
    """`inbox_unread`: a callable the template resolves to the number of unread messages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": UnreadCount(request)}
