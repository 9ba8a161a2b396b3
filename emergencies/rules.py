"""The registry of rule tables: each key names a pydantic schema for its data.

Capabilities register their tables here (check-in thresholds, quarantine days, density
limits…). The foundation registers `personal_data.retention`, which the purge job reads.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal
from pydantic import BaseModel, Field

REGISTRY: dict[str, type[BaseModel]] = {}

# Sent when a rule version is published or the current emergency changes, so that
# capabilities can drop what they derived from the old rules (caches only: no workflow).
rules_changed = Signal()


def announce_rules_changed() -> None:
    """Send `rules_changed` now (this process reads the new rules at once) and again
    after the commit (in case something re-read the old ones meanwhile)."""
    rules_changed.send(sender=None)
    transaction.on_commit(lambda: rules_changed.send(sender=None))


def register(key: str, schema: type[BaseModel]) -> type[BaseModel]:
    """Make a rule table known; its versions must validate against `schema`."""
    REGISTRY[key] = schema
    return schema


class RetentionRules(BaseModel):
    """How long each category of personal data is kept after the emergency closes."""

    roster_days: int = Field(ge=0, le=3650)
    health_days: int = Field(ge=0, le=3650)
    audit_days: int = Field(ge=180, le=3650)


register("personal_data.retention", RetentionRules)
