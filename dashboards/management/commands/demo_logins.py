"""Print the demo logins (used by `make run`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dashboards.demo import demo_logins


class Command(BaseCommand):
    help = "Print the demo accounts and their password."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = demo_logins()
        if not rows:
            self.stdout.write("No demo data loaded.")
            return
        self.stdout.write("  Demo logins (sign in with the mobile number):")
        for role, organisation, mobile, password in rows:
            self.stdout.write(f"    {mobile}  {password}  {role} · {organisation}")
