import pytest


@pytest.fixture
def real_plan_gate() -> None:
    """Request this fixture to keep the real prevention-plan check."""


@pytest.fixture(autouse=True)
def _no_plan_gate(request, monkeypatch):
    """Most tests are not about the prevention-plan gate: open it (tests that request
    `real_plan_gate` keep the real check)."""
    if "real_plan_gate" not in request.fixturenames:
        monkeypatch.setattr("resumption.services.prevention_plan_approved", lambda e: None)
