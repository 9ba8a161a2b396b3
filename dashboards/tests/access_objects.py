"""URL arguments for the cross-cutting access test (tongzhou/tests/test_url_access.py):
the federation's drill-down into association A's member table (counts, no person)."""

from __future__ import annotations

from typing import Any

PERSONAL: set[str] = set()


def objects(name: str, cast: Any) -> dict[str, Any] | None:
    if name == "dashboards:compliance_association":
        return {"pk": cast.association.pk}
    return None
