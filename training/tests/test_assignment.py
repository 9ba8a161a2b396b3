"""Which courses apply to whom: rules, publishers' reach, required vs optional, status."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import RoleGrant
from conftest import Cast
from orgs.models import Sector
from training.models import Assignment
from training.selectors import assigned_courses, completion_counts, training_status
from training.services import AssignmentInput, assignment_add, attempt_submit, course_read
from training.tests.helpers import FIVE, assign, course, employee, right_answers

pytestmark = pytest.mark.django_db


def _titles(e) -> set[str]:  # type: ignore[no-untyped-def]
    return {a.course.title for a in assigned_courses(employee=e)}


def test_it_reaches_members_of_the_publishing_association_only(cast: Cast) -> None:
    c = course(cast, title="酒店课")
    assign(cast.association, c)
    a1 = employee(cast)
    b1 = employee(cast, enterprise=cast.other_enterprise)
    assert _titles(a1) == {"酒店课"}
    assert _titles(b1) == set()


def test_it_reaches_all_members_for_a_federation_course_by_sector(cast: Cast) -> None:
    c = course(cast, publisher=cast.federation, title="美容课")
    assign(
        cast.federation, c, rule=Assignment.Rule.SECTOR, sector=Sector.objects.get(code="beauty")
    )
    assert _titles(employee(cast)) == set()
    assert _titles(employee(cast, enterprise=cast.other_enterprise)) == {"美容课"}


def test_it_matches_position_and_site(cast: Cast) -> None:
    c = course(cast, publisher=cast.enterprise, title="前台课")
    assign(cast.enterprise, c, rule=Assignment.Rule.POSITION, position="前台")
    s = course(cast, publisher=cast.enterprise, title="门店课")
    assign(cast.enterprise, s, rule=Assignment.Rule.SITE, site=cast.site)
    assert _titles(employee(cast, position=" 前台 ")) == {"前台课"}
    assert _titles(employee(cast, site=cast.site)) == {"门店课"}
    assert _titles(employee(cast, position="保洁")) == set()


def test_it_keeps_an_enterprises_assignment_to_its_own_employees(cast: Cast) -> None:
    c = course(cast, publisher=cast.federation, title="联委会课")  # published, not assigned
    assign(cast.enterprise, c)
    assert _titles(employee(cast)) == {"联委会课"}
    assert _titles(employee(cast, enterprise=cast.other_enterprise)) == set()


def test_it_hides_drafts_and_refuses_assigning_a_course_out_of_reach(cast: Cast) -> None:
    draft = course(cast, title="草稿", publish=False)
    assign(cast.association, draft)
    assert _titles(employee(cast)) == set()
    beauty = course(cast, publisher=cast.other_association, title="美容协会课")
    with pytest.raises(PermissionDenied):
        assignment_add(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            course=beauty,
            data=AssignmentInput(rule=Assignment.Rule.ALL),
        )
    own = course(cast, publisher=cast.enterprise, title="自有课")
    with pytest.raises(ValidationError):  # another enterprise's site
        assign(cast.enterprise, own, rule=Assignment.Rule.SITE, site=cast.other_site)
    with pytest.raises(ValidationError):  # sectors are for stewards
        assign(
            cast.enterprise,
            own,
            rule=Assignment.Rule.SECTOR,
            sector=Sector.objects.get(code="hotel"),
        )
    with pytest.raises(PermissionDenied):  # a viewer does not assign
        assignment_add(
            actor=cast.enterprise_viewer,
            organization=cast.enterprise,
            course=own,
            data=AssignmentInput(rule=Assignment.Rule.ALL),
        )


def test_it_makes_a_course_required_if_any_assignment_is(cast: Cast) -> None:
    today = timezone.localdate()
    c = course(cast, title="课")
    assign(cast.association, c, required=False, due_on=today + dt.timedelta(days=1))
    e = employee(cast, position="店长")
    [only] = assigned_courses(employee=e)
    assert not only.required
    assign(
        cast.enterprise,
        c,
        rule=Assignment.Rule.POSITION,
        position="店长",
        due_on=today + dt.timedelta(days=9),
    )
    [only] = assigned_courses(employee=e)
    assert only.required
    assert only.due_on == today + dt.timedelta(days=9)


def test_it_reports_missing_required_courses_for_the_clearance_pass(cast: Cast) -> None:
    today = timezone.localdate()
    quiz = course(cast, title="必修测验", questions=FIVE)
    assign(cast.association, quiz)
    reading = course(cast, title="必修阅读")
    assign(cast.association, reading)
    later = course(cast, title="下周到期")
    assign(cast.association, later, due_on=today + dt.timedelta(days=7))
    optional = course(cast, title="选修")
    assign(cast.association, optional, required=False)
    e = employee(cast)
    complete, missing = training_status(e, on=today)
    assert not complete
    assert sorted(missing) == sorted(["必修测验", "必修阅读"])
    attempt_submit(employee=e, course=quiz, answers={})  # failed: still missing
    assert "必修测验" in training_status(e, on=today)[1]
    attempt_submit(employee=e, course=quiz, answers=right_answers(quiz))
    course_read(employee=e, course=reading)
    assert training_status(e, on=today) == (True, [])
    # The course due next week counts once its due date has passed.
    assert training_status(e, on=today + dt.timedelta(days=8)) == (False, ["下周到期"])
    # A pass made today does not count for yesterday.
    assert not training_status(e, on=today - dt.timedelta(days=1))[0]


def test_it_counts_completion_per_enterprise_and_sector(cast: Cast) -> None:
    c = course(cast, title="课", questions=FIVE)
    assign(cast.association, c)
    passed, failed, _missing = employee(cast), employee(cast), employee(cast)
    attempt_submit(employee=passed, course=c, answers=right_answers(c))
    attempt_submit(employee=failed, course=c, answers={})
    own = course(cast, publisher=cast.enterprise, title="自有")
    assign(cast.enterprise, own)
    association_view = completion_counts(viewer=RoleGrant(organization=cast.association))
    total = association_view.total
    # The enterprise's own course is not the association's to count.
    assert (total.required, total.passed, total.failed, total.missing) == (3, 1, 1, 1)
    assert total.rate == 33
    assert [c.label for c in association_view.by_enterprise] == [cast.enterprise.name]
    enterprise_view = completion_counts(viewer=RoleGrant(organization=cast.enterprise))
    assert enterprise_view.total.required == 6
    federation_view = completion_counts(viewer=RoleGrant(organization=cast.federation))
    assert federation_view.total.required == 3
    assert {s.key for s in federation_view.by_sector} == {"hotel", "beauty"}
