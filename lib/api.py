"""API plumbing shared by every app's `api.py`: auth, access rules, one error format.

A principal is a `RoleGrant`: the signed-in user's active grant, or for an API key an
unsaved grant on the key's enterprise (staff when the key may write, else viewer), so the
same scoped selectors serve the pages and the API.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.constants import NOT_SET
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf
from pydantic import AfterValidator

from accounts.models import Role, RoleGrant
from accounts.services import api_key_authenticate
from lib.access import _KINDS, AccessRule, Audience

F = TypeVar("F", bound=Callable[..., Any])

# C0 controls other than tab and newlines, and DEL: PostgreSQL refuses NUL in text
# (a 500 instead of a 422), and none of them belong in a name or an address.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control_characters(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError(_("Control characters are not allowed."))
    return value


# A string field of an input schema; give it a `Field(max_length=...)` as well.
Text = Annotated[str, AfterValidator(_refuse_control_characters)]


def enforce(rule: AccessRule | None, grant: RoleGrant) -> RoleGrant:
    """Apply an operation's rule to a principal: out of scope → 404, not allowed → 403."""
    if rule is None:
        return grant
    if rule.audience not in {Audience.PUBLIC, Audience.TOKEN, Audience.SIGNED_IN} and (
        grant.organization.kind not in _KINDS[rule.audience]
    ):
        raise HttpError(404, _("Not found."))
    if rule.admin and not grant.is_admin:
        raise HttpError(403, _("Your role may not do this."))
    if rule.write and not grant.can_write:
        raise HttpError(403, _("Your role may not make changes."))
    return grant


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer tz_…` with an enterprise's API key.

    Given the operation's rule (see `ScopedRouter`), it applies it as soon as the key is
    known, before ninja parses the body.
    """

    openapi_description = "An enterprise API key (Authorization: Bearer tz_...)."

    def __init__(self, rule: AccessRule | None = None) -> None:
        super().__init__()
        self.rule = rule

    def authenticate(self, request: HttpRequest, token: str) -> RoleGrant | None:
        key = api_key_authenticate(token)
        if key is None:
            return None
        request.api_key = key  # type: ignore[attr-defined]
        grant = RoleGrant(
            user=key.created_by,
            organization=key.organization,
            role=Role.STAFF if key.can_write else Role.VIEWER,
        )
        return enforce(self.rule, grant)


class GrantSessionAuth(SessionAuth):
    """The browser session of a signed-in user, acting through their active grant.

    CSRF is checked only when there is a session to protect, so an anonymous POST is
    told to authenticate (401) rather than that its CSRF token is missing (403).
    """

    def __init__(self, rule: AccessRule | None = None) -> None:
        super().__init__()
        self.rule = rule

    def __call__(self, request: HttpRequest) -> RoleGrant | None:
        grant: RoleGrant | None = getattr(request, "grant", None)
        if not request.user.is_authenticated or grant is None:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header."))
        return enforce(self.rule, grant)

    def authenticate(self, request: HttpRequest, key: str | None) -> RoleGrant | None:
        grant: RoleGrant | None = getattr(request, "grant", None)
        if request.user.is_authenticated and grant is not None:
            return enforce(self.rule, grant)
        return None


AUTH = [ApiKeyAuth(), GrantSessionAuth()]


def api_access(audience: Audience, *, write: bool = False, admin: bool = False) -> Callable[[F], F]:
    """Declare and enforce who may call an API operation (out of scope → 404, read-only → 403)."""
    rule = AccessRule(audience, write=write, admin=admin)

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if audience not in {Audience.PUBLIC, Audience.TOKEN}:
                grant: RoleGrant | None = getattr(request, "auth", None)
                if grant is None:
                    raise HttpError(401, _("Authentication required."))
                enforce(rule, grant)
            return func(request, *args, **kwargs)

        wrapper.access_rule = rule  # type: ignore[attr-defined]
        # ninja resolves string annotations (`from __future__ import annotations`) in the
        # globals of the function it is given, which would be this module's: hand it the
        # signature already evaluated in the view's own module.
        wrapper.__signature__ = inspect.signature(func, eval_str=True)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def grant_of(request: HttpRequest) -> RoleGrant:
    """The principal that `api_access` has already checked."""
    grant: RoleGrant = request.auth  # type: ignore[attr-defined]
    return grant


def version_required(version: int | None) -> int:
    """The `version` an update must carry for optimistic locking; without it 428."""
    if version is None:
        raise HttpError(
            428, _("Send the version you last read, so that a newer change is not overwritten.")
        )
    return version


class ScopedRouter(Router):
    """A router whose operations apply their `@api_access` rule during authentication.

    A caller out of scope then gets 404, and a read-only one 403, whatever body it sends
    (rather than 422 for a body that does not parse); `api_access` still checks again.
    """

    def add_api_operation(
        self, path: str, methods: list[str], view_func: Callable[..., Any], **kwargs: Any
    ) -> None:
        rule: AccessRule | None = getattr(view_func, "access_rule", None)
        if rule is not None and kwargs.get("auth", NOT_SET) is NOT_SET:
            if rule.audience in {Audience.PUBLIC, Audience.TOKEN}:
                kwargs["auth"] = None
            else:
                kwargs["auth"] = [ApiKeyAuth(rule), GrantSessionAuth(rule)]
        super().add_api_operation(path, methods, view_func, **kwargs)
