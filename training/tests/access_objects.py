"""Objects of enterprise A1 behind the training app's parameterised URLs, for the
cross-cutting access probes (tongzhou/tests/test_url_access.py).

The course is association A's (the federation oversees it, A publishes it, A1 receives it;
B1 has nothing to do with it), published with a question, a file and an assignment to all
employees, and A1's own assignment of it; the employee is A1's.
"""

from __future__ import annotations

from typing import Any

from conftest import Cast

TOKEN_PAGES = {"my_training:list", "my_training:course", "my_training:quiz", "my_training:file"}
# Pages that show personal data (A1's employees, masked): only A1's own people.
PERSONAL: set[str] = TOKEN_PAGES | {"training:progress", "training:remind"}

_PROBE = "ACCESS PROBE course"
# `training:course_edit` is a GET form for the publisher's own people only: no object fits
# the probe's "A1's org-level data" expectation; training/tests/test_views.py probes it.


def _course(cast: Cast) -> Any:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from notices.tests.desk_helpers import PDF
    from training.models import Assignment, Course, CourseFile
    from training.services import (
        AssignmentInput,
        CourseInput,
        assignment_add,
        course_create,
        course_publish,
        question_add,
    )

    course = Course.objects.filter(title=_PROBE, publisher=cast.association).first()
    if course is None:
        course = course_create(
            actor=cast.association_officer,
            publisher=cast.association,
            data=CourseInput(title=_PROBE, body_md="防疫**基础**。"),
        )
        question_add(
            actor=cast.association_officer,
            course=course,
            text="洗手至少多久？",
            multiple=False,
            choices=[("20 秒", True), ("5 秒", False)],
        )
        stored = "training/coursefile/access-probe.pdf"
        if not default_storage.exists(stored):
            default_storage.save(stored, ContentFile(PDF))
        CourseFile.objects.create(
            course=course,
            file=stored,
            name="讲义.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
        )
        course = course_publish(actor=cast.association_officer, course=course)
        assignment_add(
            actor=cast.association_officer,
            organization=cast.association,
            course=course,
            data=AssignmentInput(rule=Assignment.Rule.ALL),
        )
        assignment_add(
            actor=cast.enterprise_admin,
            organization=cast.enterprise,
            course=course,
            data=AssignmentInput(rule=Assignment.Rule.SITE, site=cast.site),
        )
    return course


def objects(name: str, cast: Cast) -> dict[str, Any] | None:
    if not name.startswith(("training:", "my_training:")):
        return None
    if name in {
        "training:list",
        "training:course_create",
        "training:rollup",
        "training:course_edit",
    }:
        return None
    from tongzhou.tests.test_url_access import _employee
    from training.models import Assignment, CourseFile, Question
    from workforce.links import link_token

    course = _course(cast)
    if name in TOKEN_PAGES:
        token = link_token(_employee(cast))
        if name == "my_training:list":
            return {"token": token}
        if name == "my_training:file":
            return {"token": token, "pk": CourseFile.objects.filter(course=course)[0].pk}
        return {"token": token, "pk": course.pk}
    if name in {"training:file_download", "training:file_delete"}:
        return {"pk": CourseFile.objects.filter(course=course)[0].pk}
    if name == "training:question_delete":
        return {"pk": Question.objects.filter(course=course)[0].pk}
    if name == "training:assignment_delete":
        return {"pk": Assignment.objects.get(course=course, organization=cast.enterprise).pk}
    return {"pk": course.pk}
