"""Template helpers of the plans pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Mapping[str, Any], key: str) -> Any:
    """mapping[key], or 0 when it has none (counts)."""
    return mapping.get(key, 0) if hasattr(mapping, "get") else 0
