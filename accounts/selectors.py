"""Reads of accounts data."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import ApiKey, Invitation, RoleGrant, User

_KIND_ORDER = Case(
    When(organization__kind="federation", then=Value(0)),
    When(organization__kind="association", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def grant_list_for_user(*, user: User) -> QuerySet[RoleGrant]:
    """The user's grants, federation first, with their organisations."""
    return (
        RoleGrant.objects.filter(user=user)
        .select_related("organization")
        .order_by(_KIND_ORDER, "organization__name")
    )


def grant_active(*, user: User, chosen_id: int | None) -> RoleGrant | None:
    """The grant the user chose, if it is still theirs, else their first grant."""
    grants = list(grant_list_for_user(user=user))
    for grant in grants:
        if grant.pk == chosen_id:
            return grant
    return grants[0] if grants else None


def grant_list_for_organization(*, viewer: RoleGrant) -> QuerySet[RoleGrant]:
    """People with a role in the viewer's organisation."""
    return (
        RoleGrant.objects.filter(organization=viewer.organization)
        .select_related("user")
        .order_by("role", "user__name")
    )


def invitation_list(*, viewer: RoleGrant) -> QuerySet[Invitation]:
    """Invitations the viewer's organisation sent."""
    return Invitation.objects.filter(sent_by=viewer.organization).select_related(
        "organization", "invited_by"
    )


def api_key_list(*, viewer: RoleGrant) -> QuerySet[ApiKey]:
    """The API keys of the viewer's organisation."""
    return ApiKey.objects.filter(organization=viewer.organization).select_related("created_by")
