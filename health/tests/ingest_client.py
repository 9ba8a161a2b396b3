"""Run the check-in API tests against both implementations of `POST /api/v1/health/checkins`.

`TRANSPORTS` parametrizes a fixture (`service` in test_api.py): "django" is the Django
endpoint (health/api.py) through Django's test client; "ingest" is the ingest service
(health/ingest/app.py) through Starlette's test client (`ingest_service` in conftest.py),
on its own connection pool to the test database — so it needs PostgreSQL and a
transactional test (the rows the test made must be committed for another connection to
see them). `ApiClient` sends that one path to the service under test and every other path
to Django, with the same bearer key.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from health.ingest.app import PATH

# The ingest service is PostgreSQL only (data-modifying CTEs); on SQLite the Django
# endpoint is the only one, and these runs are skipped with the reason.
INGEST = pytest.param(
    "ingest",
    marks=[
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="the ingest service runs on PostgreSQL only",
        ),
    ],
)
TRANSPORTS = ["django", INGEST]


class Response:
    """An httpx response with the parts of Django's test response the tests read."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self.status_code: int = response.status_code
        self.content: bytes = response.content
        self.headers = response.headers

    def json(self) -> Any:
        return self._response.json()

    def __getitem__(self, header: str) -> str:
        return str(self._response.headers[header])

    def has_header(self, header: str) -> bool:
        return header in self._response.headers


class ApiClient:
    """Django's test client, but the check-in path goes to the ingest service."""

    def __init__(self, service: Any, headers: dict[str, str] | None = None) -> None:
        self.headers = dict(headers or {})
        self.django = Client(headers=self.headers)
        self.service = service

    def post(
        self,
        path: str,
        data: Any = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Any:
        if path != PATH:
            return self.django.post(
                path, data=data, content_type=content_type, headers=headers, **extra
            )
        sent = {**self.headers, "content-type": content_type, **(headers or {})}
        body = data.encode() if isinstance(data, str) else data
        return Response(self.service.post(PATH, content=body, headers=sent))

    def get(self, path: str, *args: Any, **kwargs: Any) -> Any:
        return self.django.get(path, *args, **kwargs)
