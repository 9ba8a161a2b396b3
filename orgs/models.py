"""The federation, associations, enterprises, memberships, sites and reference data."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Division(models.Model):
    """An administrative division: province, city, county, Shenzhen street or functional area."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County / district")
        FUNCTIONAL_AREA = "functional_area", _("Functional area")
        STREET = "street", _("Street")

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Streets run by a functional area (Dapeng, Shen-Shan) rather than their GB district.
    managed_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "parent"])]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Sector(models.Model):
    """A life-service sector (hotels, beauty, pet clinics…); rules and templates hang off it."""

    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        language = get_language() or ""
        if language.startswith("en"):
            return self.name_en
        if language == "zh-hant":
            return self.name_zh_hant
        return self.name


class OrganizationKind(models.TextChoices):
    FEDERATION = "federation", _("Federation")
    ASSOCIATION = "association", _("Association")
    ENTERPRISE = "enterprise", _("Enterprise")


class Organization(models.Model):
    """The federation, an association or an enterprise."""

    kind = models.CharField(_("kind"), max_length=12, choices=OrganizationKind.choices)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("federation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="associations",
    )
    uscc = models.CharField(_("unified social credit code"), max_length=18, null=True, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), null=True, blank=True, on_delete=models.PROTECT
    )
    district = models.ForeignKey(
        Division,
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    street = models.ForeignKey(
        Division,
        verbose_name=_("street"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_mobile = models.CharField(_("contact mobile"), max_length=11, blank=True)
    phone = models.CharField(_("public phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("introduction"), blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["uscc"],
                condition=Q(uscc__isnull=False),
                name="unique_uscc",
                violation_error_message=_("An organisation with this credit code is registered."),
            ),
            models.CheckConstraint(
                condition=Q(kind="enterprise") | Q(sector__isnull=False) | Q(kind="federation"),
                name="association_has_sector",
                violation_error_message=_("An association needs a sector."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"])]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_enterprise(self) -> bool:
        return self.kind == OrganizationKind.ENTERPRISE

    @property
    def is_association(self) -> bool:
        return self.kind == OrganizationKind.ASSOCIATION

    @property
    def is_federation(self) -> bool:
        return self.kind == OrganizationKind.FEDERATION


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")


class Membership(models.Model):
    """An enterprise's membership of one association."""

    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        MembershipStatus.APPLIED: {MembershipStatus.ACTIVE, MembershipStatus.REJECTED},
        MembershipStatus.ACTIVE: {MembershipStatus.SUSPENDED, MembershipStatus.LEFT},
        MembershipStatus.SUSPENDED: {MembershipStatus.ACTIVE, MembershipStatus.LEFT},
        MembershipStatus.REJECTED: {MembershipStatus.APPLIED},
        MembershipStatus.LEFT: {MembershipStatus.APPLIED},
    }

    enterprise = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    association = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="member_links"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, db_index=True
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    applied_at = models.DateTimeField(_("applied"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "association"],
                name="one_membership_per_pair",
                violation_error_message=_(
                    "The enterprise has already applied to this association."
                ),
            )
        ]
        indexes = [models.Index(fields=["association", "status"])]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.enterprise} ∈ {self.association} ({self.status})"


class MembershipEvent(models.Model):
    """One status change of a membership: an immutable history row."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status}→{self.to_status}"


class Site(models.Model):
    """A place where an enterprise works or serves customers."""

    class Kind(models.TextChoices):
        STORE = "store", _("Shop or outlet")
        OFFICE = "office", _("Office")
        HOTEL = "hotel", _("Hotel or lodging")
        CLINIC = "clinic", _("Clinic")
        SCHOOL = "school", _("Training venue")
        WORKSHOP = "workshop", _("Workshop or garage")
        WAREHOUSE = "warehouse", _("Warehouse")
        OTHER = "other", _("Other")

    class ServiceMode(models.TextChoices):
        OPEN = "open", _("Open")
        APPOINTMENT = "appointment", _("By appointment")
        ONLINE = "online", _("Online only")
        CLOSED = "closed", _("Closed for now")

    enterprise = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    district = models.ForeignKey(
        Division, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+"
    )
    street = models.ForeignKey(
        Division, verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"),
        max_digits=9,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    service_mode = models.CharField(
        _("serving customers"), max_length=12, choices=ServiceMode.choices
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_area_m2__gte=1) & Q(floor_area_m2__lte=1_000_000),
                name="site_floor_area_range",
                violation_error_message=_("Floor area must be between 1 and 1,000,000 m²."),
            )
        ]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name
