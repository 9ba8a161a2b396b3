"""Delete API idempotency records older than 24 hours (run daily by the purge timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lib.idempotency import idempotency_prune


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {idempotency_prune()} idempotency records.")
