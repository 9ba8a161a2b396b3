"""manage.py rotate_field_keys re-encrypts roster fields with the newest key."""

from __future__ import annotations

import io
from typing import Any

from cryptography.fernet import Fernet
from django.core.management import call_command

from conftest import Cast
from lib import crypto
from workforce.models import Employee
from workforce.tests.roster import add_employee, mobile


def test_it_reencrypts_with_the_newest_key(cast: Cast, settings: Any) -> None:
    add_employee(cast.enterprise_admin, cast.enterprise, 1)
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "1" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    employee = Employee.objects.get()
    assert crypto.decrypt(employee.mobile_enc) == mobile(1)
