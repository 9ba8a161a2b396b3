"""Run the periodic jobs once (scheduled publication, overdue flags, reminders…)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from lib.periodic import JOBS, run_all


class Command(BaseCommand):
    help = "Run every registered periodic job once; schedule it every minute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", nargs="*", help="job names to run (default: all)")
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for name in sorted(JOBS):
                self.stdout.write(name)
            return
        results = run_all(set(options["only"]) if options["only"] else None)
        for name, result in results.items():
            self.stdout.write(f"{name}: {result}")
        if any(isinstance(r, str) for r in results.values()):
            raise SystemExit(1)
