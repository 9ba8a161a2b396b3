"""URL arguments for the cross-cutting access test: the personal-link pages of an
employee of enterprise A1 (every workforce page is personal data)."""

from __future__ import annotations

from typing import Any

PERSONAL: set[str] = {
    "workforce:links",
    "workforce:link_sheet",
    "workforce:link_send",
    "workforce:link_detail",
    "workforce:link_reissue",
}


def objects(name: str, cast: Any) -> dict[str, Any] | None:
    if name in {"workforce:link_detail", "workforce:link_reissue"}:
        from tongzhou.tests.test_url_access import _employee

        return {"pk": _employee(cast).pk}
    return None
