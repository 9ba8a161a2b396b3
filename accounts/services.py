"""Writes to accounts: invitations, grants, API keys."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiKey, Invitation, Role, RoleGrant, User
from audit.services import audit_record
from lib.ids import normalize_mobile
from orgs.models import MembershipStatus, Organization

INVITATION_SALT = "tongzhou.invitation"
API_KEY_PREFIX = "tz_"


def _may_invite(grant: RoleGrant, organization: Organization, role: str) -> bool:
    """Admins invite into their own organisation; associations invite member admins."""
    if not grant.is_admin:
        return False
    if organization.pk == grant.organization_id:
        return True
    if grant.organization.is_association and organization.is_enterprise and role == Role.ADMIN:
        return organization.memberships.filter(
            association=grant.organization,
            status__in=[MembershipStatus.ACTIVE, MembershipStatus.APPLIED],
        ).exists()
    if grant.organization.is_federation and role == Role.ADMIN:
        return not organization.is_federation
    return False


@transaction.atomic
def invitation_create(
    *, actor: User, grant: RoleGrant, organization: Organization, role: str, mobile: str, name: str
) -> Invitation:
    """Invite someone (by mobile) to a role; returns the invitation to build its link from."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if not _may_invite(grant, organization, role):
        raise ValidationError(_("You cannot invite people to this organisation."), code="denied")
    mobile = normalize_mobile(mobile)
    if not name.strip():
        raise ValidationError({"name": _("Enter the person's name.")})
    if RoleGrant.objects.filter(organization=organization, user__mobile=mobile).exists():
        raise ValidationError({"mobile": _("This person already has a role here.")})
    invitation = Invitation.objects.create(
        organization=organization,
        role=role,
        mobile=mobile,
        name=name.strip()[:100],
        invited_by=actor,
        sent_by=grant.organization,
    )
    audit_record(
        actor=actor,
        action="invitation.create",
        scope=organization,
        obj=invitation,
        changes={"role": role},
    )
    return invitation


def invitation_token(invitation: Invitation) -> str:
    """The signed token in an invitation link."""
    return signing.dumps({"invitation": invitation.pk}, salt=INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a token names; expired, forged or used tokens are refused."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 86400
    try:
        payload = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This invitation has expired. Ask for a new one."), code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This invitation link is not valid."), code="invalid") from None
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(pk=payload.get("invitation"))
        .first()
    )
    if invitation is None or invitation.revoked_at is not None:
        raise ValidationError(_("This invitation has been withdrawn."), code="revoked")
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    return invitation


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None, name: str = "", password: str = ""
) -> RoleGrant:
    """Accept an invitation: as the signed-in user, or by creating the invited account."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if user is None:
        if User.objects.filter(mobile=invitation.mobile).exists():
            raise ValidationError(
                _("An account with this mobile number exists. Sign in to accept."), code="signin"
            )
        candidate = User(mobile=invitation.mobile, name=name.strip() or invitation.name)
        validate_password(password, candidate)
        candidate.set_password(password)
        candidate.save()
        user = candidate
    elif user.mobile != invitation.mobile:
        raise ValidationError(
            _("This invitation was sent to another mobile number."), code="other_user"
        )
    grant, _created = RoleGrant.objects.update_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(actor=user, action="invitation.accept", scope=invitation.organization, obj=grant)
    return grant


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw an invitation that has not been used."""
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, action="invitation.revoke", scope=invitation.organization, obj=invitation
        )
    return invitation


@transaction.atomic
def grant_update(*, actor: User, grant: RoleGrant, role: str) -> RoleGrant:
    """Change someone's role; an organisation always keeps at least one admin."""
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if grant.role == Role.ADMIN and role != Role.ADMIN:
        _keep_one_admin(grant)
    before = grant.role
    grant.role = role
    grant.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="grant.update",
        scope=grant.organization,
        obj=grant,
        changes={"role": [before, role]},
    )
    return grant


@transaction.atomic
def grant_delete(*, actor: User, grant: RoleGrant) -> None:
    """Remove someone's role; their sessions for it end with the grant."""
    if grant.role == Role.ADMIN:
        _keep_one_admin(grant)
    audit_record(actor=actor, action="grant.delete", scope=grant.organization, obj=grant)
    grant.delete()


def _keep_one_admin(grant: RoleGrant) -> None:
    others = RoleGrant.objects.filter(organization=grant.organization, role=Role.ADMIN).exclude(
        pk=grant.pk
    )
    if not others.exists():
        raise ValidationError(
            _("An organisation needs at least one administrator."), code="last_admin"
        )


def api_key_hash(secret: str) -> str:
    """What is stored of a key: its SHA-256 (the secret has 256 random bits, no salt needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, actor: User, organization: Organization, name: str, can_write: bool = True
) -> tuple[ApiKey, str]:
    """Create an API key for an enterprise; the secret is returned once and never stored."""
    if not organization.is_enterprise:
        raise ValidationError(_("API keys belong to enterprises."))
    if not name.strip():
        raise ValidationError({"name": _("Name the key after the system that will use it.")})
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        organization=organization,
        name=name.strip()[:100],
        prefix=secret[: len(API_KEY_PREFIX) + 8],
        key_hash=api_key_hash(secret),
        can_write=can_write,
        created_by=actor,
    )
    audit_record(actor=actor, action="api_key.create", scope=organization, obj=key)
    return key, secret


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey) -> ApiKey:
    """Revoke a key; requests with it are refused from now on."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoke", scope=key.organization, obj=key)
    return key


def api_key_authenticate(secret: str) -> ApiKey | None:
    """The live key matching a presented secret, its last-used time refreshed."""
    if not secret.startswith(API_KEY_PREFIX):
        return None
    key = (
        ApiKey.objects.select_related("organization", "created_by")
        .filter(key_hash=api_key_hash(secret), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
    return key
