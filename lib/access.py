"""Access rules: every view declares one, and one decorator enforces it.

A test walks every URL pattern and fails when a view has no rule (deny by default).
Out-of-scope pages answer 404 (whether or not the object exists); a read-only role
trying to write answers 403; an anonymous visitor is sent to the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase


class Audience(StrEnum):
    PUBLIC = "public"  # anyone, signed in or not
    TOKEN = "token"  # noqa: S105 - not a secret: anyone holding a valid signed link; the view checks it
    SIGNED_IN = "signed_in"  # any signed-in user, with or without an organisation
    MEMBER = "member"  # a signed-in user acting for any organisation
    ENTERPRISE = "enterprise"  # acting for an enterprise
    ASSOCIATION = "association"  # acting for an association
    STEWARD = "steward"  # acting for an association or the federation
    FEDERATION = "federation"  # acting for the federation


_KINDS: dict[Audience, set[str]] = {
    Audience.MEMBER: {"federation", "association", "enterprise"},
    Audience.ENTERPRISE: {"enterprise"},
    Audience.ASSOCIATION: {"association"},
    Audience.STEWARD: {"association", "federation"},
    Audience.FEDERATION: {"federation"},
}


@dataclass(frozen=True)
class AccessRule:
    """Who may open a view: an audience, and whether it writes or needs an admin."""

    audience: Audience
    write: bool = False
    admin: bool = False


V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def check_access(request: HttpRequest, rule: AccessRule) -> HttpResponseBase | None:
    """Return a response that denies access, or None when the rule is met."""
    if rule.audience in {Audience.PUBLIC, Audience.TOKEN}:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if rule.audience == Audience.SIGNED_IN:
        return None
    grant = getattr(request, "grant", None)
    if grant is None or grant.organization.kind not in _KINDS[rule.audience]:
        raise Http404
    if rule.admin and not grant.is_admin:
        raise PermissionDenied
    if rule.write and not grant.can_write:
        raise PermissionDenied
    return None


def access(audience: Audience, *, write: bool = False, admin: bool = False) -> Callable[[V], V]:
    """Declare and enforce who may open the decorated view."""
    rule = AccessRule(audience, write=write, admin=admin)

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            denied = check_access(request, rule)
            if denied is not None:
                return denied
            return view(request, *args, **kwargs)

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
