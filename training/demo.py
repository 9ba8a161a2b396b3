"""Demo training: the federation's three seed courses, published to every member
enterprise, and the results of a realistic share of the demo employees.

The courses go through the same services as real ones (`courses_seed`, `assignment_add`);
only the employees' results are written in bulk (an attempt and a completion per person
and course), as the check-in demo does.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from orgs.models import Organization
from training.models import Assignment, Attempt, Completion
from training.selectors import Assigned, assigned_courses
from training.services import AssignmentInput, assignment_add, courses_seed
from workforce.models import Employee, EmploymentStatus

# Course index → (due in days from today, share passed, share failed) of those it applies to.
PLAN: tuple[tuple[int, float, float], ...] = (
    (-3, 0.72, 0.08),  # prevention basics: due three days ago, most have passed
    (7, 0.45, 0.10),  # service standards: due next week
    (14, 0.30, 0.05),  # legal and risk awareness: due in two weeks
)


def write_training(*, federation: Organization, seed: int) -> int:
    """Seed and publish the courses, assign them to all members' employees (required),
    and record results; returns how many completions were written."""
    rng = random.Random(seed)  # noqa: S311 - a seeded PRNG on purpose: the same demo everywhere
    today = timezone.localdate()
    courses = courses_seed(federation=federation, actor=None)
    for course, (due_in, _passed, _failed) in zip(courses, PLAN, strict=True):
        if not Assignment.objects.filter(course=course, organization=federation).exists():
            assignment_add(
                actor=None,
                organization=federation,
                course=course,
                data=AssignmentInput(
                    rule=Assignment.Rule.ALL,
                    required=True,
                    due_on=today + dt.timedelta(days=due_in),
                ),
            )
    shares = {course.pk: plan for course, plan in zip(courses, PLAN, strict=True)}
    now = timezone.now()
    attempts: list[Attempt] = []
    completions: list[Completion] = []
    employees = Employee.objects.filter(status=EmploymentStatus.ACTIVE).select_related("enterprise")
    done = set(Completion.objects.values_list("employee_id", "course_id"))
    cached: dict[tuple[int, int | None, str], list[Assigned]] = {}
    for employee in employees.order_by("pk").iterator(chunk_size=2000):
        key = (employee.enterprise_id, employee.site_id, employee.position)
        if key not in cached:
            cached[key] = assigned_courses(employee=employee)
        for assigned in cached[key]:
            course = assigned.course
            if course.pk not in shares or (employee.pk, course.pk) in done:
                continue
            _due, passed_share, failed_share = shares[course.pk]
            roll = rng.random()
            if roll >= passed_share + failed_share:
                continue  # not taken yet
            passed = roll < passed_share
            tries = 1 if passed and rng.random() < 0.8 else 2
            score = rng.choice((80, 100)) if passed else rng.choice((40, 60))
            at = now - dt.timedelta(days=rng.randint(0, 9), minutes=rng.randint(0, 600))
            seconds = rng.randint(240, 1500)
            for number in range(tries):
                last = number == tries - 1
                attempts.append(
                    Attempt(
                        course=course,
                        employee=employee,
                        enterprise_id=employee.enterprise_id,
                        answers={},
                        score=score if last else 60,
                        passed=passed if last else False,
                        course_version=course.version,
                        started_at=at - dt.timedelta(seconds=seconds),
                        submitted_at=at - dt.timedelta(hours=tries - 1 - number),
                    )
                )
            completions.append(
                Completion(
                    course=course,
                    employee=employee,
                    enterprise_id=employee.enterprise_id,
                    best_score=score,
                    passed=passed,
                    passed_at=at if passed else None,
                    attempts=tries,
                    last_at=at,
                    seconds_spent=seconds,
                    course_version=course.version,
                )
            )
    Attempt.objects.bulk_create(attempts, batch_size=2000)
    Completion.objects.bulk_create(completions, batch_size=2000)
    return len(completions)
