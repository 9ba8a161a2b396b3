"""Re-encrypt every roster's personal fields with the newest FIELD_ENCRYPTION_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workforce import services


class Command(BaseCommand):
    help = (
        "Re-encrypt employees' mobile and document numbers with the first key of "
        "FIELD_ENCRYPTION_KEYS; run it after adding a key, before removing the old one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Rows re-encrypted per transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.rotate_field_keys(batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"Re-encrypted {count} employees.")
