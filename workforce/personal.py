"""Serving an employee's personal pages (`/me/<token>/…`): resolve the link, speak their
language, keep nothing in caches.

`personal_page` wraps a view taking `(request, employee, …)`: an invalid link (forged,
revoked, someone who left) gets the friendly "this link does not work" page with status
404; a valid one renders in `Employee.language` when set (else the browser's language, as
LocaleMiddleware chose it). Responses are `no-store` (personal data), not indexed, and
send the referrer (which holds the token) to this site only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from audit.services import audit_record
from workforce.links import LinkInvalid, link_resolve
from workforce.models import Employee

PersonalView = Callable[..., HttpResponse]


def personal_headers(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Never "no-referrer": browsers then send `Origin: null` with forms, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


def link_invalid_response(request: HttpRequest, reason: str) -> HttpResponse:
    """The friendly page for a link that does not work (404)."""
    response = render(request, "personal_invalid.html", {"reason": reason}, status=404)
    return personal_headers(response)


def personal_page(view: PersonalView) -> Callable[..., HttpResponse]:
    """Resolve `token` to the employee and call `view(request, employee, **kwargs)`."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            employee = link_resolve(token)
        except LinkInvalid as exc:
            return link_invalid_response(request, exc.reason)
        language = employee.language or translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = view(request, employee, *args, token=token, **kwargs)
            response.headers.setdefault("Content-Language", translation.get_language())
        return personal_headers(response)

    return wrapper


LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


@transaction.atomic
def employee_language_set(*, employee: Employee, language: str) -> Employee:
    """Store the language the employee reads their personal pages in ("" = the browser's)."""
    if language and language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if employee.language != language:
        Employee.objects.filter(pk=employee.pk).update(language=language)
        employee.language = language
        audit_record(
            actor=None,
            action="employee.language_set",
            scope=employee.enterprise,
            obj=employee,
            changes={"language": language},
        )
    return employee
