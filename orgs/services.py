"""Writes to organisations, memberships and sites; each is audited in its transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record, diff_fields
from lib.ids import normalize_mobile, validate_uscc
from orgs.models import (
    Division,
    Membership,
    MembershipEvent,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
    Site,
)

ENTERPRISE_FIELDS = (
    "name",
    "uscc",
    "legal_representative",
    "sector",
    "district",
    "street",
    "address",
    "contact_name",
    "contact_mobile",
)


# Sent when an enterprise's active memberships may have changed (caches derived from
# them, such as the composed check-in form, drop their copy; no workflow hangs on it).
memberships_changed = Signal()


def _announce_memberships_changed(enterprise_id: int) -> None:
    memberships_changed.send(sender=None, enterprise_id=enterprise_id)
    transaction.on_commit(
        lambda: memberships_changed.send(sender=None, enterprise_id=enterprise_id)
    )


def _check_street(district: Division | None, street: Division | None) -> None:
    if street is None:
        return
    if (
        district is None
        or street.level != Division.Level.STREET
        or (street.parent_id != district.pk and street.managed_by_id != district.pk)
    ):
        raise ValidationError({"street": _("This street is not in the chosen district.")})


def _check_associations(associations: Iterable[Organization]) -> list[Organization]:
    chosen = list(associations)
    if not chosen:
        raise ValidationError({"associations": _("Choose at least one association.")})
    if any(a.kind != OrganizationKind.ASSOCIATION for a in chosen):
        raise ValidationError({"associations": _("Only associations can be chosen.")})
    return chosen


@dataclass(frozen=True)
class EnterpriseData:
    """The registration details of an enterprise, as a form or the API collects them."""

    name: str
    uscc: str
    legal_representative: str
    sector: Sector
    district: Division
    street: Division
    address: str
    contact_name: str
    contact_mobile: str


def _on_field(field: str, check: Callable[[str], str], value: str) -> str:
    """Run a lib.ids check and file its error under `field`, so forms and the API can show it."""
    try:
        return check(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from None


def _check_lengths(model: type[models.Model], fields: dict[str, Any]) -> None:
    """Refuse text longer than its column (PostgreSQL would raise a DataError)."""
    for name, value in fields.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise ValidationError(
                {name: _("Keep this under %(limit)d characters.") % {"limit": limit}}
            )


def _clean_enterprise(data: EnterpriseData) -> dict[str, Any]:
    name = data.name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the enterprise's registered name.")})
    _check_street(data.district, data.street)
    fields = {
        "name": name,
        "uscc": _on_field("uscc", validate_uscc, data.uscc),
        "legal_representative": data.legal_representative.strip(),
        "sector": data.sector,
        "district": data.district,
        "street": data.street,
        "address": data.address.strip(),
        "contact_name": data.contact_name.strip(),
        "contact_mobile": _on_field("contact_mobile", normalize_mobile, data.contact_mobile),
    }
    _check_lengths(Organization, fields)
    return fields


def _ensure_unique_uscc(uscc: str, exclude_pk: int | None = None) -> None:
    qs = Organization.objects.filter(uscc=uscc)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError(
            {"uscc": _("An enterprise with this credit code is already registered.")}
        )


@transaction.atomic
def enterprise_register(
    *,
    data: EnterpriseData,
    associations: Iterable[Organization],
    admin_name: str,
    password: str,
    user: User | None = None,
) -> Organization:
    """Register an enterprise online, with its first admin, applying to associations.

    When `user` is given (signed in), that user becomes the admin; otherwise a new
    account is created for the contact mobile.
    """
    fields = _clean_enterprise(data)
    chosen = _check_associations(associations)
    _ensure_unique_uscc(fields["uscc"])
    if user is None:
        if User.objects.filter(mobile=fields["contact_mobile"]).exists():
            raise ValidationError(
                {
                    "contact_mobile": _(
                        "This mobile number already has an account. Sign in first, then "
                        "register the enterprise from your account."
                    )
                }
            )
        user = User.objects.create_user(
            fields["contact_mobile"], password, name=admin_name.strip() or fields["contact_name"]
        )
    enterprise = Organization.objects.create(kind=OrganizationKind.ENTERPRISE, **fields)
    RoleGrant.objects.create(user=user, organization=enterprise, role=Role.ADMIN)
    audit_record(actor=user, action="enterprise.register", scope=enterprise, obj=enterprise)
    for association in chosen:
        membership_apply(actor=user, enterprise=enterprise, association=association)
    return enterprise


@transaction.atomic
def enterprise_create(*, actor: User, data: EnterpriseData) -> Organization:
    """Record an existing enterprise without an account (an association importing its members)."""
    fields = _clean_enterprise(data)
    _ensure_unique_uscc(fields["uscc"])
    enterprise = Organization.objects.create(kind=OrganizationKind.ENTERPRISE, **fields)
    audit_record(actor=actor, action="enterprise.create", scope=enterprise, obj=enterprise)
    return enterprise


@transaction.atomic
def enterprise_update(
    *, actor: User, enterprise: Organization, data: EnterpriseData, version: int
) -> Organization:
    """Edit an enterprise's details; a stale `version` is refused, not overwritten."""
    fields = _clean_enterprise(data)
    _ensure_unique_uscc(fields["uscc"], exclude_pk=enterprise.pk)
    before = {k: getattr(enterprise, k) for k in fields}
    updated = Organization.objects.filter(pk=enterprise.pk, version=version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ValidationError(
            _("Someone else changed this enterprise while you were editing. Reload and try again."),
            code="stale",
        )
    enterprise.refresh_from_db()
    changes = diff_fields(
        {k: str(v) for k, v in before.items()}, {k: str(v) for k, v in fields.items()}
    )
    changes.pop("contact_mobile", None)  # personal data stays out of the log
    audit_record(
        actor=actor, action="enterprise.update", scope=enterprise, obj=enterprise, changes=changes
    )
    return enterprise


@transaction.atomic
def membership_apply(
    *, actor: User, enterprise: Organization, association: Organization
) -> Membership:
    """Apply for membership; re-applying after rejection or leaving reopens the application."""
    if association.kind != OrganizationKind.ASSOCIATION:
        raise ValidationError(_("Only associations can be applied to."))
    existing = Membership.objects.filter(enterprise=enterprise, association=association).first()
    if existing is not None:
        if existing.status in {MembershipStatus.REJECTED, MembershipStatus.LEFT}:
            return membership_transition(
                actor=actor, membership=existing, to=MembershipStatus.APPLIED, reason=""
            )
        raise ValidationError(_("The enterprise has already applied to this association."))
    membership = Membership.objects.create(
        enterprise=enterprise, association=association, status=MembershipStatus.APPLIED
    )
    MembershipEvent.objects.create(
        membership=membership, from_status="", to_status=MembershipStatus.APPLIED, actor=actor
    )
    audit_record(actor=actor, action="membership.apply", scope=enterprise, obj=membership)
    return membership


@transaction.atomic
def membership_admit(
    *, actor: User, enterprise: Organization, association: Organization
) -> tuple[Membership, bool]:
    """Make an enterprise an active member on the association's word (its own member list).

    Returns the membership and whether it changed; a suspended membership stays suspended.
    """
    if association.kind != OrganizationKind.ASSOCIATION or not enterprise.is_enterprise:
        raise ValidationError(_("Only enterprises can be admitted to associations."))
    existing = Membership.objects.filter(enterprise=enterprise, association=association).first()
    if existing is None:
        membership = Membership.objects.create(
            enterprise=enterprise,
            association=association,
            status=MembershipStatus.ACTIVE,
            decided_at=timezone.now(),
        )
        MembershipEvent.objects.create(
            membership=membership, from_status="", to_status=MembershipStatus.ACTIVE, actor=actor
        )
        audit_record(actor=actor, action="membership.admit", scope=association, obj=membership)
        _announce_memberships_changed(enterprise.pk)
        return membership, True
    if existing.status in {MembershipStatus.REJECTED, MembershipStatus.LEFT}:
        existing = membership_transition(
            actor=actor, membership=existing, to=MembershipStatus.APPLIED
        )
    if existing.status == MembershipStatus.APPLIED:
        return membership_transition(
            actor=actor, membership=existing, to=MembershipStatus.ACTIVE
        ), True
    return existing, False


@transaction.atomic
def membership_transition(
    *, actor: User, membership: Membership, to: str, reason: str = ""
) -> Membership:
    """Move a membership to a new status: the only code that assigns `status`."""
    current = Membership.objects.select_for_update().get(pk=membership.pk)
    allowed = Membership.ALLOWED_TRANSITIONS.get(current.status, set())
    if to not in allowed:
        raise ValidationError(
            _("A membership that is “%(current)s” cannot become “%(to)s”.")
            % {
                "current": MembershipStatus(current.status).label,
                "to": MembershipStatus(to).label if to in MembershipStatus.values else to,
            },
            code="transition",
        )
    reason = reason.strip()
    if to in {MembershipStatus.REJECTED, MembershipStatus.SUSPENDED} and not reason:
        raise ValidationError({"reason": _("Give the enterprise a reason.")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("Keep the reason under 500 characters.")})
    from_status = current.status
    current.status = to
    current.reason = reason
    current.decided_at = timezone.now() if to != MembershipStatus.APPLIED else None
    current.save(update_fields=["status", "reason", "decided_at"])
    _announce_memberships_changed(current.enterprise_id)
    MembershipEvent.objects.create(
        membership=current, from_status=from_status, to_status=to, reason=reason, actor=actor
    )
    audit_record(
        actor=actor,
        action=f"membership.{to}",
        scope=current.association,
        obj=current,
        changes={"status": [from_status, to], "reason": reason},
    )
    return current


@dataclass(frozen=True)
class SiteData:
    """The editable details of a site."""

    name: str
    address: str
    district: Division
    street: Division
    floor_area_m2: Decimal
    kind: str
    service_mode: str


def _clean_site(data: SiteData) -> dict[str, Any]:
    if not data.name.strip():
        raise ValidationError({"name": _("Give the site a name.")})
    if not data.address.strip():
        raise ValidationError({"address": _("Enter the site's address.")})
    _check_street(data.district, data.street)
    area = Decimal(data.floor_area_m2)
    if not area.is_finite() or area < 1 or area > 1_000_000:
        raise ValidationError(
            {"floor_area_m2": _("Floor area must be between 1 and 1,000,000 m².")}
        )
    if data.kind not in Site.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of site.")})
    if data.service_mode not in Site.ServiceMode.values:
        raise ValidationError({"service_mode": _("Choose how the site serves customers now.")})
    fields = {
        "name": data.name.strip(),
        "address": data.address.strip(),
        "district": data.district,
        "street": data.street,
        "floor_area_m2": area.quantize(Decimal("0.1")),
        "kind": data.kind,
        "service_mode": data.service_mode,
    }
    _check_lengths(Site, fields)
    return fields


@transaction.atomic
def site_create(*, actor: User, enterprise: Organization, data: SiteData) -> Site:
    """Add a site to an enterprise."""
    if not enterprise.is_enterprise:
        raise ValidationError(_("Only enterprises have sites."))
    site = Site.objects.create(enterprise=enterprise, **_clean_site(data))
    audit_record(actor=actor, action="site.create", scope=enterprise, obj=site)
    return site


@transaction.atomic
def site_update(*, actor: User, site: Site, data: SiteData, version: int) -> Site:
    """Edit a site; a stale `version` is refused."""
    fields = _clean_site(data)
    before = {k: str(getattr(site, k)) for k in fields}
    updated = Site.objects.filter(pk=site.pk, version=version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ValidationError(
            _("Someone else changed this site while you were editing. Reload and try again."),
            code="stale",
        )
    site.refresh_from_db()
    audit_record(
        actor=actor,
        action="site.update",
        scope=site.enterprise,
        obj=site,
        changes=diff_fields(before, {k: str(v) for k, v in fields.items()}),
    )
    return site


@transaction.atomic
def site_delete(*, actor: User, site: Site) -> None:
    """Remove a site; its employees stay on the roster without a site."""
    audit_record(actor=actor, action="site.delete", scope=site.enterprise, obj=site)
    try:
        site.delete()
    except IntegrityError as exc:  # pragma: no cover - protected by later capabilities
        raise ValidationError(_("This site is still in use and cannot be removed.")) from exc
