"""Refuse query strings and form fields that contain NUL characters.

No field of tongzhou accepts NUL, and PostgreSQL refuses it in text (a query with one in a
filter would fail with a server error instead of a clear answer). Django's form fields
already reject it; this catches the parameters that reach a filter before a form does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class RefuseNulMiddleware:
    """Answer 400 to a request whose GET or form parameters carry a NUL character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API answers in its own error format
        if _has_nul(request.GET) or (
            request.method == "POST"
            and request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}
            and _has_nul(request.POST)
        ):
            return HttpResponseBadRequest(
                _("The request contains a character that is not allowed (NUL)."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(params: object) -> bool:
    lists = getattr(params, "lists", None)
    if lists is None:
        return False
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in lists())
