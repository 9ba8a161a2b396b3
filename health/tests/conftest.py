"""Fixtures shared by the check-in tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def ingest_service() -> Iterator[Any]:
    """The ingest app with its pool open on the test database (lifespan started)."""
    from starlette.testclient import TestClient

    from health.ingest.app import create_app

    with TestClient(create_app(pool_size=4), base_url="http://testserver") as client:
        yield client
