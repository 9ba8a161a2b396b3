"""Shared builders for the training tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conftest import Cast
from orgs.models import Organization, Site
from training.models import Assignment, Course
from training.services import (
    AssignmentInput,
    CourseInput,
    assignment_add,
    course_create,
    course_publish,
    question_add,
)

_counter = {"n": 0}


def employee(
    cast: Cast,
    *,
    enterprise: Organization | None = None,
    name: str = "王小明",
    position: str = "",
    site: Site | None = None,
) -> Any:
    from workforce.services import EmployeeInput, employee_create

    _counter["n"] += 1
    n = _counter["n"]
    enterprise = enterprise or cast.enterprise
    actor = cast.enterprise_admin if enterprise == cast.enterprise else cast.other_admin
    return employee_create(
        actor=actor,
        enterprise=enterprise,
        data=EmployeeInput(
            name=name,
            mobile=f"139{n:08d}",
            document_type="passport",
            document_number=f"E{n:08d}",
            position=position,
            site=site,
        ),
    )


def course(
    cast: Cast,
    *,
    publisher: Organization | None = None,
    title: str = "防疫基础",
    questions: Sequence[tuple[str, bool, Sequence[tuple[str, bool]]]] = (),
    publish: bool = True,
    body_md: str = "正文",
    pass_mark: int = 80,
) -> Course:
    publisher = publisher or cast.association
    actor = {
        cast.federation.pk: cast.federation_officer,
        cast.association.pk: cast.association_officer,
        cast.enterprise.pk: cast.enterprise_admin,
        cast.other_enterprise.pk: cast.other_admin,
    }.get(publisher.pk)
    result = course_create(
        actor=actor,
        publisher=publisher,
        data=CourseInput(title=title, body_md=body_md, pass_mark=pass_mark),
    )
    for text, multiple, choices in questions:
        question_add(actor=actor, course=result, text=text, multiple=multiple, choices=choices)
    result.refresh_from_db()
    if publish:
        result = course_publish(actor=actor, course=result)
    return result


def assign(
    organization: Organization,
    course: Course,
    *,
    rule: str = Assignment.Rule.ALL,
    required: bool = True,
    **kwargs: Any,
) -> Assignment:
    return assignment_add(
        actor=None,
        organization=organization,
        course=course,
        data=AssignmentInput(rule=rule, required=required, **kwargs),
    )


FIVE = (
    ("Q1", False, (("right", True), ("wrong", False))),
    ("Q2", False, (("right", True), ("wrong", False))),
    ("Q3", False, (("right", True), ("wrong", False))),
    ("Q4", False, (("right", True), ("wrong", False))),
    ("Q5", True, (("right a", True), ("right b", True), ("wrong", False))),
)


def right_answers(course: Course) -> dict[str, list[str]]:
    return {
        str(q.pk): [str(c.pk) for c in q.choices.all() if c.is_correct]
        for q in course.questions.all()
    }
