"""Periodic jobs: `manage.py tick` runs every job; one failure does not stop the others."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from lib import periodic


@pytest.fixture
def jobs() -> Iterator[list[str]]:
    saved = dict(periodic.JOBS)
    periodic.JOBS.clear()
    ran: list[str] = []

    @periodic.periodic("test.fails")
    def fails() -> int:
        ran.append("fails")
        raise RuntimeError("boom")

    @periodic.periodic("test.works")
    def works() -> int:
        ran.append("works")
        return 3

    yield ran
    periodic.JOBS.clear()
    periodic.JOBS.update(saved)


def test_it_runs_every_job_even_when_one_fails(jobs: list[str]) -> None:
    results = periodic.run_all()
    assert jobs == ["fails", "works"]
    assert results["test.works"] == 3
    assert str(results["test.fails"]).startswith("failed: boom")


def test_it_runs_only_the_named_jobs(jobs: list[str]) -> None:
    assert periodic.run_all({"test.works"}) == {"test.works": 3}
    assert jobs == ["works"]


def test_it_exits_non_zero_when_a_job_fails(jobs: list[str]) -> None:
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("tick", stdout=out)
    assert exit_info.value.code == 1
    assert "test.works: 3" in out.getvalue()


def test_it_lists_the_jobs(jobs: list[str]) -> None:
    out = StringIO()
    call_command("tick", "--list", stdout=out)
    assert out.getvalue().split() == ["test.fails", "test.works"]
