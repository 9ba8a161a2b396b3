import pytest

from scheduling.model import (
    Employee,
    FederationProblem,
    Group,
    ModelError,
    Phase,
    Site,
    gap_of,
    phased_capacity,
)
from scheduling.tests.helpers import START, enterprise, site


def test_phase_share_over_100_percent_is_refused():
    with pytest.raises(ValueError, match=r"outside 0 %\.\.100 %") as exc:
        Phase(10, 1.2)
    assert isinstance(exc.value, ModelError)
    assert exc.value.code == "phase_share_out_of_range"
    assert exc.value.params["share"] == 1.2


def test_negative_phase_share_is_refused():
    with pytest.raises(ModelError):
        Phase(0, -0.1)


def test_phased_capacity_follows_the_phase_in_force():
    phases = [Phase(20, 1.0), Phase(0, 0.3), Phase(10, 0.6)]
    caps = phased_capacity(10, phases, 25)
    assert caps[:10] == (3,) * 10
    assert caps[10:20] == (6,) * 10
    assert caps[20:] == (10,) * 5


def test_capacity_before_the_first_phase_is_zero():
    assert phased_capacity(10, [Phase(2, 0.5)], 4) == (0, 0, 5, 5)


def test_negative_capacity_is_refused():
    with pytest.raises(ModelError, match="negative"):
        Site("s", {"day": (1, -1)})
    with pytest.raises(ModelError):
        phased_capacity(-1, [Phase(0, 1.0)], 3)


def test_duplicate_employee_ids_are_refused():
    e = Employee("a", "s1")
    with pytest.raises(ModelError, match="duplicate employee"):
        enterprise([e, e], [site("s1", {"day": [1, 1]})], days=2)


def test_short_quota_series_is_refused():
    with pytest.raises(ModelError) as exc:
        enterprise([], [site("s1", {"day": [1, 1, 1]})], days=3, quota=[1])
    assert exc.value.code == "series_too_short"


def test_empty_horizon_is_refused():
    with pytest.raises(ModelError):
        enterprise([], [], days=0)


def test_priority_must_be_positive():
    with pytest.raises(ModelError):
        Employee("a", "s1", priority=0)
    with pytest.raises(ModelError):
        Group("g", "E", "s", count=-1)


def test_federation_series_must_cover_the_horizon():
    with pytest.raises(ModelError):
        FederationProblem(
            horizon_start=START,
            days=3,
            groups=(),
            site_capacity={"s": (1, 1)},
            site_district={"s": "D"},
            district_caps={},
        )


def test_gap():
    assert gap_of(90, 100) == pytest.approx(0.1)
    assert gap_of(0, 0) == 0.0
    assert gap_of(100, 100) == 0.0
