"""Compliance at a glance: the figures (checked against the apps' own selectors), who sees
what, counts only upward, and a fixed number of queries whatever the number of members."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import RoleGrant
from conftest import Cast, make_enterprise
from dashboards import compliance
from orgs.models import Membership, MembershipStatus, Organization, Sector
from plans.checklist import gaps_by_plan, min_cover_by_plan
from plans.models import Plan, PlanStatus
from plans.services import SupplyInput, plan_start, supplies_save
from plans.tests.helpers import ready, started
from sitelogs import selectors as sitelog_selectors
from sitelogs.services import entry_correct, entry_record
from sitelogs.tests.helpers import at, schedule, staff_of
from training.models import Assignment, Course
from training.selectors import training_status
from training.services import course_read
from training.tests.helpers import assign, course, employee

pytestmark = pytest.mark.django_db

TEAM_NAME = "欧阳防控QX"
EMPLOYEE_NAMES = ["司徒培训QX", "慕容学员QX", "上官未学QX"]


def _ids(*orgs: Organization) -> Any:
    return Organization.objects.filter(pk__in=[o.pk for o in orgs]).values("pk")


def _supplies(cast: Cast, plan: Plan, rows: list[tuple[str, str, str]]) -> Plan:
    return supplies_save(
        actor=cast.enterprise_admin,
        plan=plan,
        version=plan.version,
        rows=[SupplyInput(item, "个", on_hand, daily) for item, on_hand, daily in rows],
    )


# --- Plan figures -----------------------------------------------------------------------


def test_it_counts_gaps_and_cover_as_the_plans_app_does(cast: Cast) -> None:
    plan = ready(cast, skip={"EF-02", "M3", "G-DISINF"}, submit=False)
    plan = _supplies(cast, plan, [("口罩", "100", "40"), ("消毒液", "50", "5"), ("手套", "9", "0")])
    other = started(cast, enterprise=cast.other_enterprise, admin=cast.other_admin)
    expected_gaps = gaps_by_plan([plan, other])
    rows = {
        pk: (gaps, cover)
        for pk, _enterprise, _status, gaps, cover in compliance.plan_figures(
            _ids(cast.enterprise, cast.other_enterprise)
        )
    }
    assert rows[plan.pk][0] == expected_gaps[plan.pk]
    assert rows[other.pk][0] == expected_gaps[other.pk]
    assert expected_gaps[plan.pk] >= 1
    assert expected_gaps[other.pk] > expected_gaps[plan.pk]  # nothing answered
    assert compliance._cover(rows[plan.pk][1]) == min_cover_by_plan([plan.pk])[plan.pk]
    assert compliance._cover(rows[plan.pk][1]) == Decimal("2.5")  # 100 / 40
    assert rows[other.pk][1] is None  # no supplies
    row = compliance.member_rows(_ids(cast.enterprise))[0]
    assert row.low_cover
    assert row.gaps == expected_gaps[plan.pk]
    assert row.has_problems


def test_it_counts_an_item_set_back_to_not_yet(cast: Cast) -> None:
    from plans.checklist import checklist
    from plans.services import AnswerInput, answer_save

    plan = ready(cast, submit=False)
    assert gaps_by_plan([plan])[plan.pk] == 0
    item = next(r for s in checklist(plan) for r in s.rows if r.item.required)
    assert item.answer is not None
    answer_save(
        actor=cast.enterprise_admin,
        plan=plan,
        item=item.item,
        data=AnswerInput(state="not_yet", note="  ", number="", version=item.answer.version),
        upload=None,
    )
    rows = {row[0]: row[3] for row in compliance.plan_figures(_ids(cast.enterprise))}
    assert rows[plan.pk] == gaps_by_plan([plan])[plan.pk] == 1


# --- Training -----------------------------------------------------------------------------


def _training(cast: Cast) -> dict[str, Any]:
    """Three employees of A1 and one of B1; required courses from the association (due at
    once), the federation (due in a week: not counted yet) and A1 itself (position
    cleaner); one optional course."""
    today = timezone.localdate()
    people = [
        employee(cast, name=EMPLOYEE_NAMES[0], position=" Cleaner "),
        employee(cast, name=EMPLOYEE_NAMES[1], site=cast.site),
        employee(cast, name=EMPLOYEE_NAMES[2]),
    ]
    other = employee(cast, enterprise=cast.other_enterprise, name="B1员工QX")
    basics = course(cast, title="防疫基础")
    assign(cast.association, basics)
    later = course(cast, publisher=cast.federation, title="服务规范")
    assign(cast.federation, later, due_on=today + dt.timedelta(days=7))
    legal = course(cast, publisher=cast.federation, title="法律风险")
    assign(cast.federation, legal, due_on=today - dt.timedelta(days=1))
    own = course(cast, publisher=cast.enterprise, title="本店保洁")
    assign(cast.enterprise, own, rule=Assignment.Rule.POSITION, position="cleaner")
    optional = course(cast, title="选修")
    assign(cast.association, optional, required=False)
    # people[0] passes everything due; people[1] passes basics only; people[2] nothing.
    for item in (basics, legal, own):
        course_read(employee=people[0], course=item)
    course_read(employee=people[1], course=basics)
    course_read(employee=other, course=legal)
    return {"people": people, "other": other, "basics": basics, "own": own}


def test_it_counts_training_completion_per_enterprise(cast: Cast) -> None:
    data = _training(cast)
    scope = _ids(cast.enterprise, cast.other_enterprise)
    everything = compliance.training_by_enterprise(scope, stewards_only=False)
    # The enterprise's own view agrees with training_status person by person.
    missing = sum(1 for person in data["people"] if not training_status(person)[0])
    assert everything[cast.enterprise.pk] == (3, 3, missing) == (3, 3, 2)
    # B1 is not a member of the hotel association: only the federation's course reaches it.
    assert everything[cast.other_enterprise.pk] == (1, 1, 0)
    stewards = compliance.training_by_enterprise(scope, stewards_only=True)
    assert stewards[cast.enterprise.pk] == (3, 3, 2)
    # Passing the enterprise's own course does not matter to stewards; people[1]'s does not.
    course_read(employee=data["people"][1], course=Course.objects.get(title="法律风险"))
    assert compliance.training_by_enterprise(scope, stewards_only=True)[cast.enterprise.pk] == (
        3,
        3,
        1,
    )
    row = compliance.member_rows(_ids(cast.enterprise))[0]
    assert row.training_rate == 67  # 2 of 3 employees passed all that is due


def test_it_waits_for_the_earliest_due_date_like_training_status(cast: Cast) -> None:
    """Two required assignments of one course, one undated and one due next week: the
    course is due next week (the earliest dated one), not at once."""
    person = employee(cast)
    item = course(cast, title="双重分配")
    assign(cast.association, item)
    assign(cast.enterprise, item, due_on=timezone.localdate() + dt.timedelta(days=7))
    assert training_status(person)[0] is True
    figures = compliance.training_by_enterprise(_ids(cast.enterprise), stewards_only=False)
    assert figures[cast.enterprise.pk] == (1, 0, 0)
    assert compliance.member_rows(_ids(cast.enterprise))[0].training_rate is None


def test_it_counts_site_and_sector_rules_and_only_active_members(cast: Cast) -> None:
    person = employee(cast, site=cast.site)
    employee(cast)  # no site
    by_site = course(cast, publisher=cast.enterprise, title="门店")
    assign(cast.enterprise, by_site, rule=Assignment.Rule.SITE, site=cast.site)
    hotel = Sector.objects.get(code="hotel")
    by_sector = course(cast, title="酒店")
    assign(cast.association, by_sector, rule=Assignment.Rule.SECTOR, sector=hotel)
    scope = _ids(cast.enterprise)
    assert compliance.training_by_enterprise(scope, stewards_only=False)[cast.enterprise.pk] == (
        2,
        2,
        2,
    )
    course_read(employee=person, course=by_site)
    course_read(employee=person, course=by_sector)
    assert compliance.training_by_enterprise(scope, stewards_only=False)[cast.enterprise.pk] == (
        2,
        2,
        1,
    )
    # Suspended from the association: its courses no longer reach A1.
    Membership.objects.filter(enterprise=cast.enterprise).update(status=MembershipStatus.SUSPENDED)
    assert compliance.training_by_enterprise(scope, stewards_only=False)[cast.enterprise.pk] == (
        2,
        1,
        0,
    )


# --- Site logs ----------------------------------------------------------------------------


def _record(cast: Cast, sched: Any, day: dt.date, hhmm: str) -> Any:
    return entry_record(
        actor=staff_of(cast),
        site=cast.site,
        schedule=sched,
        slot_date=day,
        slot_time=dt.time.fromisoformat(hhmm),
        done_at=at(day, hhmm) + dt.timedelta(minutes=5),
    )


def test_it_counts_overdue_rounds_like_the_site_logs(cast: Cast) -> None:
    today = timezone.localdate()
    sched = schedule(cast, slots=["09:00", "15:00"], days_ago=3)
    schedule(cast, kind="ventilation", slots=["08:30"], days_ago=1)
    yesterday = today - dt.timedelta(days=1)
    _record(cast, sched, yesterday, "09:00")
    wrong = _record(cast, sched, yesterday, "15:00")
    # Corrected into the 09:00 slot of two days ago? No: a correction stays on its day;
    # here it moves nothing and the slot stays done. A corrected entry no longer counts:
    entry_correct(actor=staff_of(cast), entry=wrong, note="补记区域", area="电梯")
    _record(cast, sched, today - dt.timedelta(days=3), "15:00")
    now = at(today, "10:30")
    scope = _ids(cast.enterprise, cast.other_enterprise)
    got = compliance.overdue_rounds(scope, today=today, now=now)
    grant = RoleGrant.objects.get(user=cast.enterprise_admin)
    week = sitelog_selectors.overdue_days(viewer=grant, until=today, days=7, now=now)
    total_today = sum(c.overdue for d, c in week if d == today)
    total_week = sum(c.overdue for _d, c in week)
    assert got == {cast.enterprise.pk: (total_today, total_week)}
    # today: 09:00 disinfection and 08:30 ventilation are overdue (grace 60 min), 15:00 not;
    # yesterday: ventilation; 2 days ago: both disinfections; 3 days ago: 09:00.
    assert got[cast.enterprise.pk] == (2, 6)
    per_site = compliance.overdue_rounds(scope, by="site_id", today=today, now=now)
    assert per_site == {cast.site.pk: (2, 6)}
    early = compliance.overdue_rounds(scope, today=today, now=at(today, "09:45"))
    assert early[cast.enterprise.pk] == (1, 5)  # 09:00 still within its grace


# --- Pages and tenancy --------------------------------------------------------------------


@pytest.fixture
def world(cast: Cast) -> dict[str, Any]:
    """A1 with a submitted plan (team member named), supplies, training and site logs; B1
    with a draft plan."""
    plan = ready(cast, skip={"EF-02"}, submit=False)
    plan = _supplies(cast, plan, [("口罩", "20", "10")])
    from plans.services import PersonInput, plan_submit, team_save

    plan = team_save(
        actor=cast.enterprise_admin,
        plan=plan,
        version=plan.version,
        members=[PersonInput(TEAM_NAME, "组长", "13712345678"), PersonInput("李二", "组员")],
    )
    from plans.checklist import checklist
    from plans.services import AnswerInput, answer_save

    row = next(r for s in checklist(plan) for r in s.rows if r.item.code == "EF-02")
    answer_save(
        actor=cast.enterprise_admin,
        plan=plan,
        item=row.item,
        data=AnswerInput(state="not_yet", note="ANSWER-QX 尚未落实", number="", version=0),
        upload=None,
    )
    plan.refresh_from_db()
    plan = plan_submit(actor=cast.enterprise_admin, plan=plan)
    plan_start(actor=cast.other_admin, enterprise=cast.other_enterprise)
    _training(cast)
    sched = schedule(cast, slots=["09:00", "15:00"], days_ago=2)
    _record(cast, sched, timezone.localdate() - dt.timedelta(days=1), "09:00")
    return {"plan": plan}


def _page(cast: Cast, user: Any, name: str = "dashboards:compliance", **kwargs: Any) -> Any:
    return cast.client(user).get(reverse(name, kwargs=kwargs or None), kwargs.pop("query", {}))


def test_it_shows_the_enterprise_its_own_figures_and_links(cast: Cast, world: Any) -> None:
    for user in (cast.enterprise_admin, cast.enterprise_viewer):
        response = _page(cast, user)
        assert response.status_code == 200
        row = response.context["row"]
        assert (row.plan_status, row.gaps) == (PlanStatus.SUBMITTED, 1)
        assert row.min_cover == Decimal("2.0")
        assert row.low_cover
        assert (row.employees, row.employees_due, row.employees_missing) == (3, 3, 2)
        assert row.overdue_week >= 3  # 2 days ago ×2, yesterday 15:00 (+ today's past slots)
        body = response.content.decode()
        for name in ("plans:mine", "training:list", "sitelogs:index"):
            assert reverse(name) in body
        assert reverse("sitelogs:site", args=[cast.site.pk]) in body
        assert [s.site for s in response.context["sites"]] == [cast.site]
    other = _page(cast, cast.other_admin)
    assert other.status_code == 200
    assert other.context["row"].enterprise_id == cast.other_enterprise.pk
    assert other.context["row"].plan_status == PlanStatus.DRAFT
    assert cast.site.name not in other.content.decode()


def test_it_shows_the_association_its_active_members_only(cast: Cast, world: Any) -> None:
    response = _page(cast, cast.association_officer)
    assert response.status_code == 200
    rows = list(response.context["page_obj"].object_list)
    assert [r.enterprise_id for r in rows] == [cast.enterprise.pk]
    assert rows[0].reviewable
    body = response.content.decode()
    assert reverse("plans:review", args=[world["plan"].pk]) in body
    assert cast.other_enterprise.name not in body
    total = response.context["total"]
    assert (total.enterprises, total.pending, total.with_gaps, total.low_cover) == (1, 1, 1, 1)
    assert [g.key for g in response.context["sectors"]] == ["hotel"]
    # A suspended member leaves the table.
    Membership.objects.filter(enterprise=cast.enterprise).update(status=MembershipStatus.SUSPENDED)
    empty = _page(cast, cast.association_officer)
    assert list(empty.context["page_obj"].object_list) == []
    assert "No active member yet" in empty.content.decode()


def test_it_never_links_a_draft_plan(cast: Cast) -> None:
    plan = started(cast)
    rows = _page(cast, cast.association_officer).context["page_obj"].object_list
    assert rows[0].plan_status == PlanStatus.DRAFT
    assert not rows[0].reviewable
    body = _page(cast, cast.association_officer).content.decode()
    assert reverse("plans:review", args=[plan.pk]) not in body


def test_it_filters_the_member_table(cast: Cast, world: Any) -> None:
    beauty = Sector.objects.get(code="beauty")
    extra = make_enterprise("美丽发廊QX", "91440300MA5FQX0001", beauty)
    Membership.objects.create(
        enterprise=extra, association=cast.association, status=MembershipStatus.ACTIVE
    )
    client = cast.client(cast.association_officer)

    def names(query: dict[str, str]) -> list[str]:
        response = client.get(reverse("dashboards:compliance"), query)
        assert response.status_code == 200
        return [r.name for r in response.context["page_obj"].object_list]

    assert sorted(names({})) == sorted([cast.enterprise.name, extra.name])
    assert names({"sector": "beauty"}) == [extra.name]
    assert names({"status": "none"}) == [extra.name]
    assert names({"status": "submitted"}) == [cast.enterprise.name]
    assert names({"status": "approved"}) == []
    assert sorted(names({"problems": "1"})) == sorted([cast.enterprise.name, extra.name])
    # Hostile and malformed input: ignored, never an error.
    for query in (
        {"status": "'; DROP TABLE plans_plan; --"},
        {"sector": "<script>x</script>" * 10},
        {"page": "abc"},
        {"page": "99999"},
        {"problems": "yes"},
    ):
        assert client.get(reverse("dashboards:compliance"), query).status_code == 200
    # NUL bytes are refused by the project's middleware before the view.
    assert client.get(reverse("dashboards:compliance"), {"sector": "a\x00"}).status_code == 400
    assert (
        "<script>x</script>"
        not in client.get(
            reverse("dashboards:compliance"), {"sector": "<script>x</script>"}
        ).content.decode()
    )


def test_it_groups_for_the_federation_and_drills_down(cast: Cast, world: Any) -> None:
    response = _page(cast, cast.federation_officer)
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.total.enterprises == 2
    by_association = {g.label: g.figures for g in overview.by_association}
    assert by_association[cast.association.name].enterprises == 1
    assert by_association[cast.association.name].pending == 1
    assert by_association[cast.other_association.name].drafts == 1
    assert {g.key for g in overview.by_sector} == {"hotel", "beauty"}
    assert [g.figures.enterprises for g in overview.by_district] == [2]
    assert overview.total.employees == 4
    link = reverse("dashboards:compliance_association", args=[cast.association.pk])
    assert link in response.content.decode()
    drill = cast.client(cast.federation_officer).get(link)
    assert drill.status_code == 200
    rows = list(drill.context["page_obj"].object_list)
    assert [r.enterprise_id for r in rows] == [cast.enterprise.pk]
    assert reverse("plans:review", args=[world["plan"].pk]) in drill.content.decode()


def test_it_keeps_each_page_to_its_audience(cast: Cast) -> None:
    drill = reverse("dashboards:compliance_association", args=[cast.association.pk])
    for user in (cast.association_officer, cast.enterprise_admin, cast.enterprise_viewer):
        assert cast.client(user).get(drill).status_code == 404
    federation = cast.client(cast.federation_officer)
    assert (
        federation.get(
            reverse("dashboards:compliance_association", args=[cast.enterprise.pk])
        ).status_code
        == 404
    )
    assert (
        federation.get(reverse("dashboards:compliance_association", args=[999999])).status_code
        == 404
    )
    anonymous = cast.client(None)
    for url in (reverse("dashboards:compliance"), drill):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]
    assert (
        cast.client(cast.enterprise_admin).post(reverse("dashboards:compliance")).status_code == 405
    )


# --- Counts only upward -------------------------------------------------------------------


def _leaks(response: Any, strings: list[str]) -> list[str]:
    text = response.content.decode()
    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return [s for s in strings if s in text or s in unescaped]


def test_it_shows_no_person_upward(cast: Cast, world: Any) -> None:
    from lib.ids import mask_name
    from workforce.models import Employee

    strings = [TEAM_NAME, "13712345678", "李二", "ANSWER-QX", "尚未落实", "防控负责人"]
    for person in Employee.objects.all():
        strings += [person.name, mask_name(person.name), person.mobile_masked]
    strings += [cast.enterprise_admin.name, cast.enterprise_admin.mobile]
    pages = [
        (cast.association_officer, reverse("dashboards:compliance")),
        (cast.federation_officer, reverse("dashboards:compliance")),
        (
            cast.federation_officer,
            reverse("dashboards:compliance_association", args=[cast.association.pk]),
        ),
    ]
    for user, url in pages:
        response = cast.client(user).get(url)
        assert response.status_code == 200
        assert _leaks(response, strings) == [], url
    # The check can see them where they belong: the enterprise's own plan page.
    own = cast.client(cast.enterprise_admin).get(reverse("plans:mine"))
    assert TEAM_NAME in _leaks(own, strings)


# --- Queries ------------------------------------------------------------------------------


def _more_members(cast: Cast, n: int) -> None:
    """`n` more members of the hotel association, each with a draft plan, an employee, a
    site and a schedule (made through the services, by an administrator of each)."""
    from accounts.models import Role
    from conftest import make_site
    from sitelogs.services import schedule_set
    from workforce.services import EmployeeInput, employee_create

    hotel = Sector.objects.get(code="hotel")
    admin = cast.enterprise_admin
    for i in range(n):
        extra = make_enterprise(f"酒店QX{i:03d}", f"91440300MA5FQ{i:05d}", hotel)
        Membership.objects.create(
            enterprise=extra, association=cast.association, status=MembershipStatus.ACTIVE
        )
        RoleGrant.objects.create(user=admin, organization=extra, role=Role.ADMIN)
        plan_start(actor=admin, enterprise=extra)
        employee_create(
            actor=admin,
            enterprise=extra,
            data=EmployeeInput(
                name=f"员工QX{i}",
                mobile=f"1370000{i:04d}",
                document_type="passport",
                document_number=f"Q{i:08d}",
            ),
        )
        site = make_site(extra, f"门店QX{i}")
        schedule_set(actor=admin, site=site, kind="disinfection", slots=["09:00"], areas=["大堂"])


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    ("member", "url_name"),
    [
        ("association_officer", "dashboards:compliance"),
        ("federation_officer", "dashboards:compliance"),
        ("federation_officer", "dashboards:compliance_association"),
        ("enterprise_admin", "dashboards:compliance"),
    ],
)
def test_it_reads_in_a_fixed_number_of_queries(
    cast: Cast, world: Any, member: str, url_name: str, django_assert_max_num_queries: Any
) -> None:
    client = cast.client(getattr(cast, member))
    args = [cast.association.pk] if url_name.endswith("_association") else []
    url = reverse(url_name, args=args)
    _queries(client, url)  # the session's first request saves it
    before = _queries(client, url)
    _more_members(cast, 25)
    assert _queries(client, url) == before
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200


# --- In a browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_it_reads_on_a_phone(browser: Any, live_server: Any, cast: Cast, phone: bool) -> None:
    from pathlib import Path

    from conftest import PASSWORD

    ready(cast)
    shots = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    for user, name in (
        (cast.association_officer, "association"),
        (cast.enterprise_admin, "enterprise"),
        (cast.federation_officer, "federation"),
    ):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", user.mobile)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/home/")
        page.goto(f"{live_server.url}{reverse('dashboards:compliance')}")
        if phone:
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 400, f"{name} scrolls sideways on a phone ({width} px)"
        page.screenshot(
            path=str(shots / f"compliance-{name}-{'phone' if phone else 'desktop'}.png"),
            full_page=True,
        )
        if name == "association":
            assert cast.enterprise.name in page.content()
        context.close()
