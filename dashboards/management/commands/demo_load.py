"""Load the demo federation once, then print the demo logins (used by `make run`)."""

from __future__ import annotations

import unicodedata
from argparse import ArgumentParser
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from dashboards.demo import demo_load, demo_logins


def _width(text: str) -> int:
    """Columns a terminal gives text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def login_table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows laid out in aligned columns, a header first."""
    header = (_("Role"), _("Organisation"), _("Mobile"), _("Password"))
    table = [header, *rows]
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    return [
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in table
    ]


class Command(BaseCommand):
    help = "Load the demo federation, its 19 associations, members and accounts (only once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Fraction of the demo's enterprises to create (default 1: about 300).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_load(scale=options["scale"])
        if summary is None:
            self.stdout.write(
                _("The demo is already there (a federation exists); nothing was changed.")
            )
        else:
            self.stdout.write(
                _(
                    "Loaded the demo in {seconds:.1f} s: {associations} associations, "
                    "{enterprises} enterprises, {sites} sites, {employees} employees, "
                    "{users} demo accounts, {notices} notices, {checkins} check-ins."
                ).format(
                    seconds=summary.seconds,
                    associations=summary.associations,
                    enterprises=summary.enterprises,
                    sites=summary.sites,
                    employees=summary.employees,
                    users=summary.users,
                    notices=summary.notices,
                    checkins=summary.checkins,
                )
            )
        rows = demo_logins()
        if rows:
            self.stdout.write("")
            for line in login_table(rows):
                self.stdout.write(line)
