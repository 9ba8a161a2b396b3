"""Re-encrypt every encrypted field with the newest FIELD_ENCRYPTION_KEYS key: the rosters'
personal fields, and notify's robot webhooks and queued delivery addresses."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notify.services import notify_rotate_field_keys
from workforce import services


class Command(BaseCommand):
    help = (
        "Re-encrypt employees' mobile and document numbers, group-robot webhooks and "
        "delivery addresses with the first key of FIELD_ENCRYPTION_KEYS; run it after "
        "adding a key, before removing the old one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Rows re-encrypted per transaction."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = services.rotate_field_keys(batch_size=max(1, options["batch_size"]))
        self.stdout.write(f"Re-encrypted {count} employees.")
        rotated = notify_rotate_field_keys()
        self.stdout.write(f"Re-encrypted notification secrets and addresses: {rotated}.")
