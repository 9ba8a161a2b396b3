"""Quiz grading on the server, hostile answers, pass mark, retakes and best score."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from conftest import Cast
from training.models import Attempt, Completion
from training.services import attempt_submit, question_add, quiz_grade
from training.tests.helpers import FIVE, assign, course, employee, right_answers

pytestmark = pytest.mark.django_db


def _setup(cast: Cast, pass_mark: int = 80):  # type: ignore[no-untyped-def]
    c = course(cast, questions=FIVE, pass_mark=pass_mark)
    assign(cast.association, c)
    return c, employee(cast)


def test_it_grades_the_right_answers_as_full_marks(cast: Cast) -> None:
    c, e = _setup(cast)
    attempt, grade = attempt_submit(employee=e, course=c, answers=right_answers(c))
    assert (grade.score, grade.passed, attempt.passed) == (100, True, True)
    done = Completion.objects.get(course=c, employee=e)
    assert done.passed
    assert done.best_score == 100
    assert done.passed_at is not None


def test_it_passes_at_the_pass_mark_and_fails_below(cast: Cast) -> None:
    c, _e = _setup(cast)
    answers = right_answers(c)
    first = str(c.questions.first().pk)  # type: ignore[union-attr]
    answers[first] = []
    assert quiz_grade(questions=list(c.questions.all()), answers=answers, pass_mark=80).passed
    second = str(c.questions.all()[1].pk)
    answers[second] = []
    grade = quiz_grade(questions=list(c.questions.all()), answers=answers, pass_mark=80)
    assert (grade.score, grade.passed) == (60, False)


def test_it_ignores_unknown_and_foreign_choice_ids(cast: Cast) -> None:
    c, _e = _setup(cast)
    other = course(cast, title="别的课", questions=FIVE)
    questions = list(c.questions.all())
    foreign = right_answers(other)
    # Answers keyed by another course's questions count for nothing.
    grade = quiz_grade(questions=questions, answers=foreign, pass_mark=80)
    assert grade.score == 0
    # Another course's right choice ids under this course's questions count for nothing.
    foreign_ids = list(foreign.values())
    hostile = {
        str(q.pk): foreign_ids[i] + ["999999", "abc", "-1", "1e3", ""]
        for i, q in enumerate(questions)
    }
    assert quiz_grade(questions=questions, answers=hostile, pass_mark=80).score == 0


def test_it_takes_a_choice_of_another_question_of_the_same_course_as_wrong(cast: Cast) -> None:
    c, _e = _setup(cast)
    questions = list(c.questions.all())
    answers = right_answers(c)
    answers[str(questions[0].pk)] = answers[str(questions[1].pk)]
    grade = quiz_grade(questions=questions, answers=answers, pass_mark=80)
    assert grade.right[questions[0].pk] is False
    assert grade.score == 80


def test_it_counts_duplicates_once_and_refuses_two_answers_to_a_single_choice(cast: Cast) -> None:
    c, _e = _setup(cast)
    questions = list(c.questions.all())
    answers = right_answers(c)
    q1 = questions[0]
    right = answers[str(q1.pk)][0]
    answers[str(q1.pk)] = [right, right, right]
    assert quiz_grade(questions=questions, answers=answers, pass_mark=80).right[q1.pk]
    answers[str(q1.pk)] = [str(ch.pk) for ch in q1.choices.all()]  # both, to "cover" it
    assert not quiz_grade(questions=questions, answers=answers, pass_mark=80).right[q1.pk]


def test_it_wants_every_right_choice_of_a_multiple_choice_question(cast: Cast) -> None:
    c, _e = _setup(cast)
    questions = list(c.questions.all())
    q5 = questions[4]
    answers = right_answers(c)
    answers[str(q5.pk)] = answers[str(q5.pk)][:1]
    assert not quiz_grade(questions=questions, answers=answers, pass_mark=80).right[q5.pk]
    answers[str(q5.pk)] = [str(ch.pk) for ch in q5.choices.all()]
    assert not quiz_grade(questions=questions, answers=answers, pass_mark=80).right[q5.pk]


def test_it_keeps_the_best_score_over_retakes_and_a_pass_stays(cast: Cast) -> None:
    c, e = _setup(cast)
    attempt_submit(employee=e, course=c, answers={})
    done = Completion.objects.get(course=c, employee=e)
    assert (done.best_score, done.passed, done.attempts) == (0, False, 1)
    attempt_submit(employee=e, course=c, answers=right_answers(c))
    attempt_submit(employee=e, course=c, answers={})
    done.refresh_from_db()
    assert (done.best_score, done.passed, done.attempts) == (100, True, 3)
    assert Attempt.objects.filter(course=c, employee=e).count() == 3


def test_it_refuses_a_quiz_of_a_course_not_assigned_to_the_employee(cast: Cast) -> None:
    c = course(cast, questions=FIVE)  # published, assigned to nobody
    e = employee(cast)
    with pytest.raises(ValidationError):
        attempt_submit(employee=e, course=c, answers=right_answers(c))
    assert not Attempt.objects.exists()


def test_it_refuses_a_malformed_question(cast: Cast) -> None:
    c = course(cast, publish=False)
    for choices, multiple in (
        ([("only", True)], False),
        ([("a", False), ("b", False)], False),
        ([("a", True), ("b", True)], False),
        ([("a", True), ("a", False)], False),
    ):
        with pytest.raises(ValidationError):
            question_add(
                actor=cast.association_officer,
                course=c,
                text="问题",
                multiple=multiple,
                choices=choices,
            )
    assert not c.questions.exists()
