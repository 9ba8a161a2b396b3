"""Users (login by mainland mobile), role grants on organisations, invitations, API keys."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by their mobile number."""

    use_in_migrations = True

    def create_user(self, mobile: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(mobile=mobile, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, mobile: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(mobile, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with a mainland mobile number and a password."""

    mobile = models.CharField(_("mobile number"), max_length=11, unique=True)
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("site operator"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "mobile"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.mobile

    @property
    def display_label(self) -> str:
        """Name and masked mobile, safe to show in audit logs."""
        return f"{self.name} ({self.mobile[:3]}****{self.mobile[-4:]})"


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    STAFF = "staff", _("Staff")
    VIEWER = "viewer", _("Viewer")


class RoleGrant(models.Model):
    """A user's role in one organisation; the active grant decides what they see."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="grants"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                name="one_grant_per_user_and_organization",
                violation_error_message=_("This person already has a role here."),
            )
        ]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"

    @property
    def can_write(self) -> bool:
        return self.role in {Role.ADMIN, Role.STAFF}

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Invitation(models.Model):
    """An invitation to take a role in an organisation, accepted through a signed link."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    mobile = models.CharField(_("mobile number"), max_length=11)
    name = models.CharField(_("name"), max_length=100)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.name} → {self.organization} ({self.role})"


class ApiKey(models.Model):
    """A secret for API clients of one enterprise; only its hash is stored."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    can_write = models.BooleanField(_("may write"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first response to a POST with an Idempotency-Key, replayed on retries."""

    principal = models.CharField(max_length=80)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="one_record_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.principal}:{self.key}"
