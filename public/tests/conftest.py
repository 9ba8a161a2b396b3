from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The feeds are cached for a minute; each test starts without what another cached."""
    cache.clear()
    yield
    cache.clear()
