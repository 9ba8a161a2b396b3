"""Request types that say what the middleware has attached."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import RoleGrant, User


class GrantRequest(HttpRequest):
    """A request from a signed-in user acting for an organisation (`request.grant`)."""

    user: User  # type: ignore[assignment]
    grant: RoleGrant


class UserRequest(HttpRequest):
    """A request from a signed-in user, who may hold no grant yet."""

    user: User  # type: ignore[assignment]
    grant: RoleGrant | None
