"""Personal links: how an employee with no account reaches their own pages.

A link carries a signed token naming the employee and the link's generation. Revoking
bumps `Employee.link_generation`, which invalidates every earlier token at once; the
enterprise then issues (prints, or sends through `notify`) the new one. Tokens do not
expire by age — a printed QR code on a badge has to keep working — but they stop working
when the employee leaves the company or the link is revoked.
"""

from __future__ import annotations

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from accounts.models import User
from audit.services import audit_record
from workforce.models import Employee, EmploymentStatus

SALT = "tongzhou.workforce.personal-link"


class LinkInvalid(Exception):
    """The token is forged, revoked, or belongs to someone who has left."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "bad_signature" | "revoked" | "left" | "unknown"


def link_token(employee: Employee) -> str:
    """The signed token for the employee's current link generation."""
    return signing.dumps([employee.pk, employee.link_generation], salt=SALT, compress=False)


def link_path(employee: Employee) -> str:
    """The path of the employee's personal home page (prefix it with the site's origin)."""
    return reverse("personal:home", kwargs={"token": link_token(employee)})


def link_resolve(token: str) -> Employee:
    """The employee a token belongs to, or LinkInvalid saying why not."""
    try:
        pk, generation = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise LinkInvalid("bad_signature") from exc
    employee = (
        Employee.objects.select_related("enterprise", "site").filter(pk=pk).first()
        if isinstance(pk, int)
        else None
    )
    if employee is None:
        raise LinkInvalid("unknown")
    if employee.link_generation != generation:
        raise LinkInvalid("revoked")
    if employee.status == EmploymentStatus.LEFT:
        raise LinkInvalid("left")
    return employee


@transaction.atomic
def link_revoke(*, actor: User, employee: Employee) -> Employee:
    """Invalidate every earlier link of the employee; returns the employee with the new one."""
    Employee.objects.filter(pk=employee.pk).update(link_generation=F("link_generation") + 1)
    employee.refresh_from_db(fields=["link_generation"])
    audit_record(
        actor=actor,
        action="employee.link_reissue",
        scope=employee.enterprise,
        obj=employee,
        changes={"link_generation": employee.link_generation},
    )
    return employee
