"""The clearance pass: a short-lived signed token that site staff verify by scanning.

The pass page shows a QR code of `/pass/<token>/`. The token names the employee, the
business day and the employee's link generation, and carries the time it was issued; it is
signed with the secret key. Verification answers "valid" only on the same business day,
within `PASS_MAX_AGE` seconds of issue, while the link has not been re-issued and the
employee has not left — so a screenshot from yesterday (or from an hour ago) fails. The
clearance shown by the verifier is computed at scan time, not copied from the token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from django.core import signing
from django.utils import timezone

from health.services import Clearance, clearance_for
from workforce.models import Employee, EmploymentStatus

SALT = "tongzhou.health.clearance-pass"
PASS_MAX_AGE = 10 * 60  # seconds a pass QR code stays valid
CLOCK_SKEW = 60  # seconds a token may seem to come from the future

PassState = Literal["valid", "expired", "other_day", "revoked", "invalid"]


def pass_token(employee: Employee, *, now: dt.datetime | None = None) -> str:
    """A pass token for the employee, issued now, for today's business day."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    payload = [employee.pk, day.toordinal(), employee.link_generation, int(now.timestamp())]
    return signing.Signer(salt=SALT).sign_object(payload, compress=False)


@dataclass(frozen=True)
class PassCheck:
    """What a verifier learns from a scanned pass (never any answer or ID number)."""

    state: PassState
    employee: Employee | None = None
    issued_at: dt.datetime | None = None
    clearance: Clearance | None = None

    @property
    def valid(self) -> bool:
        return self.state == "valid"


def pass_verify(token: str, *, now: dt.datetime | None = None) -> PassCheck:
    """Check a scanned pass token: forged or unknown → invalid; another day → other_day;
    older than PASS_MAX_AGE → expired; link re-issued or employee left → revoked; else
    valid, with the employee's clearance as of now."""
    now = now or timezone.now()
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token[:500])
    except (signing.BadSignature, ValueError, TypeError):
        return PassCheck("invalid")
    if not (
        isinstance(payload, list)
        and len(payload) == 4
        and all(isinstance(part, int) and not isinstance(part, bool) for part in payload)
    ):
        return PassCheck("invalid")
    pk, ordinal, generation, issued = payload
    try:
        day = dt.date.fromordinal(ordinal)
        issued_at = dt.datetime.fromtimestamp(issued, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return PassCheck("invalid")
    employee = Employee.objects.select_related("enterprise").filter(pk=pk).first()
    if employee is None:
        return PassCheck("invalid")
    if employee.link_generation != generation or employee.status == EmploymentStatus.LEFT:
        return PassCheck("revoked", employee, issued_at)
    age = (now - issued_at).total_seconds()
    if age < -CLOCK_SKEW:
        return PassCheck("invalid")
    if day != timezone.localdate(now):
        return PassCheck("other_day", employee, issued_at)
    if age > PASS_MAX_AGE:
        return PassCheck("expired", employee, issued_at)
    return PassCheck("valid", employee, issued_at, clearance_for(employee=employee, on=day))
