"""Upward, aggregates only: no page or API response an association or the federation can
open carries a name, a phone or ID number, or an answer of an employee — and their
check-in overviews read the rollups only, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import Cast
from health.observations import ObservationInput, observation_create, observation_release
from health.services import checkin_submit
from health.tests.checkin_helpers import _fresh_cache, good_answers  # noqa: F401
from lib.access import Audience
from lib.ids import mask_name, resident_id_check_char
from orgs.models import Division, Membership, MembershipStatus
from tongzhou.tests.test_api_access import OPERATIONS, _object_path
from tongzhou.tests.test_url_access import ALL_PATTERNS, object_for, rule_of
from workforce.models import Employee
from workforce.services import EmployeeInput, employee_create

PEOPLE = [
    ("欧阳锋芒", "13987654321", "440303199001017771"),
    ("Zyxwvut Qoppa", "13912348765", "440303199001017792"),
    ("司徒雷霆", "13765432109", "440303199001017814"),
]
REMARK = "REMARK-QX7781 家里有人咳嗽"
PLACE = "PLACE-QX7781 宿舍"
NOTE = "NOTE-QX7781 解除"


def document(body17: str) -> str:
    return body17 + resident_id_check_char(body17)


@pytest.fixture
def people(cast: Cast) -> list[Employee]:
    """Distinctive employees of A1 with check-ins (one abnormal with a remark), one in
    observation and one released; and B1's, so that every rollup has rows."""
    from health.services import NOTICE_VERSION, consent_give

    staff = []
    for name, mobile, number in PEOPLE:
        employee = employee_create(
            actor=cast.enterprise_admin,
            enterprise=cast.enterprise,
            data=EmployeeInput(
                name=name,
                mobile=mobile,
                document_type="resident_id",
                document_number=document(number[:17]),
                site=cast.site,
            ),
        )
        consent_give(employee=employee, kinds={"health", "travel"}, notice_version=NOTICE_VERSION)
        staff.append(employee)
    today = timezone.localdate()
    checkin_submit(
        employee=staff[0],
        answers=good_answers(temperature="38.6", remarks=REMARK),
        via="self",
        actor=None,
    )
    checkin_submit(
        employee=staff[1],
        answers=good_answers(remarks=REMARK),
        via="manager",
        actor=cast.enterprise_admin,
        day=today - dt.timedelta(days=1),
    )
    observation_create(
        actor=cast.enterprise_admin,
        employee=staff[0],
        data=ObservationInput(
            kind="home_isolation",
            reason="arrival",
            starts_on=today,
            origin=Division.objects.get(code="420100"),
            arrived_on=today,
            place=PLACE,
        ),
    )
    released = observation_create(
        actor=cast.enterprise_admin,
        employee=staff[2],
        data=ObservationInput(kind="self_monitoring", reason="other", starts_on=today, place=PLACE),
    )
    observation_release(
        actor=cast.enterprise_admin, observation=released, released_on=today, note=NOTE, version=1
    )
    other = employee_create(
        actor=cast.other_admin,
        enterprise=cast.other_enterprise,
        data=EmployeeInput(
            name="慕容秋水",
            mobile="13611112222",
            document_type="resident_id",
            document_number=document("44030319900101783"),
        ),
    )
    consent_give(employee=other, kinds={"health", "travel"}, notice_version=NOTICE_VERSION)
    checkin_submit(employee=other, answers=good_answers(temperature="37.1"), via="self", actor=None)
    return [*staff, other]


def forbidden(people: list[Employee]) -> list[str]:
    """Every personal string, and the masked forms lists would show."""
    strings = [REMARK, "REMARK-QX7781", PLACE, "PLACE-QX7781", NOTE, "NOTE-QX7781", "家里有人咳嗽"]
    for employee in people:
        strings += [employee.name, mask_name(employee.name), employee.mobile_masked]
        strings += [employee.document_masked]
    strings += [mobile for _name, mobile, _doc in PEOPLE] + ["13611112222"]
    strings += [document(number[:17]) for _name, _mobile, number in PEOPLE]
    return strings


def _leaks(response: Any, strings: list[str]) -> list[str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8", errors="replace")
    # JSON escapes non-ASCII characters; compare both forms.
    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return [s for s in strings if s in text or s in unescaped]


UPWARD = ["association_officer", "federation_officer"]


@pytest.mark.parametrize("member", UPWARD)
def test_it_shows_no_person_on_any_page_upward(cast: Cast, people: Any, member: str) -> None:
    strings = forbidden(people)
    client = cast.client(getattr(cast, member))
    today = timezone.localdate().isoformat()
    opened = 0
    leaks: list[str] = []
    for name, pattern in ALL_PATTERNS:
        rule = rule_of(pattern)
        assert rule is not None
        if rule.audience == Audience.TOKEN:
            continue  # the employee's own pages: opened with their link, not a grant
        kwargs: dict[str, Any] | None = {}
        if pattern.pattern.converters:
            kwargs = object_for(name, cast)
            if kwargs is None:
                continue
        url = reverse(name, kwargs=kwargs)
        for query in ({}, {"day": today}) if name.startswith("health:") else ({},):
            response = client.get(url, query)
            opened += 1
            leaks += [f"{name}: {s}" for s in _leaks(response, strings)]
    assert opened > 40
    assert leaks == []
    # The same strings are found where they belong: the check can see them.
    own = cast.client(cast.enterprise_admin)
    assert {"欧阳锋芒", "139****4321"} <= set(_leaks(own.get(reverse("health:today")), strings))


@pytest.mark.parametrize("member", UPWARD)
def test_it_shows_no_person_in_any_api_response_upward(
    cast: Cast, people: Any, member: str
) -> None:
    strings = forbidden(people)
    client = cast.client(getattr(cast, member))
    read = 0
    leaks: list[str] = []
    for method, path, _func in OPERATIONS:
        if method != "GET":
            continue
        url = _object_path(path, cast)
        if url is None:
            continue
        response = client.get(url, {"day": timezone.localdate().isoformat()})
        read += 1
        leaks += [f"{url}: {s}" for s in _leaks(response, strings)]
    assert read >= 8
    assert leaks == []


def test_it_counts_what_the_association_and_federation_see(cast: Cast, people: Any) -> None:
    association = cast.client(cast.association_officer).get(reverse("health:association"))
    assert association.status_code == 200
    overview = association.context["overview"]
    assert (overview.totals.roster, overview.totals.submitted, overview.totals.abnormal) == (
        3,
        1,
        1,
    )
    assert overview.totals.in_observation == 1
    members = association.context["page_obj"].object_list
    assert [row.label for row in members] == [cast.enterprise.name]
    assert cast.other_enterprise.name not in association.content.decode()  # not its member
    assert overview.trend[-2].counts.submitted == 1  # yesterday
    federation = cast.client(cast.federation_officer).get(reverse("health:federation"))
    assert federation.status_code == 200
    whole = federation.context["overview"]
    assert (whole.totals.roster, whole.totals.submitted, whole.totals.attention) == (4, 2, 1)
    by_association = {row.label: row.counts.submitted for row in whole.groups["associations"]}
    assert by_association == {cast.association.name: 1, cast.other_association.name: 1}
    assert {row.key for row in whole.groups["sectors"]} == {"hotel", "beauty"}
    assert [row.label for row in whole.groups["districts"]] == ["Luohu District"]
    # An enterprise in two associations counts in both; a suspended member in neither.
    Membership.objects.create(
        enterprise=cast.enterprise,
        association=cast.other_association,
        status=MembershipStatus.ACTIVE,
    )
    Membership.objects.filter(enterprise=cast.other_enterprise).update(
        status=MembershipStatus.SUSPENDED
    )
    cache.clear()  # the group sums are cached for a minute
    whole = (
        cast.client(cast.federation_officer).get(reverse("health:federation")).context["overview"]
    )
    by_association = {row.label: row.counts.submitted for row in whole.groups["associations"]}
    assert by_association == {cast.association.name: 1, cast.other_association.name: 1}


def test_it_keeps_the_overviews_to_their_audience(cast: Cast) -> None:
    assert cast.client(cast.enterprise_admin).get(reverse("health:association")).status_code == 404
    assert (
        cast.client(cast.association_officer).get(reverse("health:federation")).status_code == 404
    )
    assert (
        cast.client(cast.federation_officer).get(reverse("health:association")).status_code == 404
    )


def _upward_queries(client: Any, name: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name)).status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    return len(sql), sql


@pytest.mark.parametrize(
    ("member", "name"),
    [("association_officer", "health:association"), ("federation_officer", "health:federation")],
)
def test_it_reads_rollups_only_in_constant_queries(
    cast: Cast, people: Any, member: str, name: str
) -> None:
    from health.tests.checkin_helpers import employee_of

    client = cast.client(getattr(cast, member))
    _upward_queries(client, name)  # the session's first request saves it
    cache.clear()
    before, sql = _upward_queries(client, name)
    for n in range(1, 31):
        employee = employee_of(cast, n)
        checkin_submit(employee=employee, answers=good_answers(), via="self", actor=None)
    cache.clear()
    after, sql = _upward_queries(client, name)
    assert after == before
    assert before <= 15
    # Within the minute the group sums come from the cache.
    cached, _sql = _upward_queries(client, name)
    assert cached < before
    touched = " ".join(sql)
    for table in (
        "health_checkin",
        "health_checkinrevision",
        "health_observation",
        "health_consent",
        "workforce_employee",
    ):
        assert f'"{table}"' not in touched, table
    assert '"health_dailyrollup"' in touched
