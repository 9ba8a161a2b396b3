"""The employee's pages: tenancy of the link, the quiz never shows the right answers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from training.models import Attempt, Completion
from training.tests.helpers import FIVE, assign, course, employee, right_answers
from workforce.links import link_revoke, link_token

pytestmark = pytest.mark.django_db


def _url(name: str, e, **kwargs) -> str:  # type: ignore[no-untyped-def]
    return reverse(f"my_training:{name}", kwargs={"token": link_token(e), **kwargs})


def test_it_lists_my_courses_and_reads_one(cast: Cast) -> None:
    c = course(cast, title="酒店防疫课", questions=FIVE)
    assign(cast.association, c)
    e = employee(cast)
    response = Client().get(_url("list", e))
    assert response.status_code == 200
    assert "酒店防疫课" in response.content.decode()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    assert Client().get(_url("course", e, pk=c.pk)).status_code == 200


def test_it_never_sends_the_right_answers_before_submission(cast: Cast) -> None:
    c = course(cast, questions=FIVE)
    assign(cast.association, c)
    e = employee(cast)
    html = Client().get(_url("quiz", e, pk=c.pk)).content.decode()
    for q in c.questions.all():
        for choice in q.choices.all():
            # Every choice renders the same way, right or wrong: its id and text only.
            assert f'value="{choice.pk}"> {choice.text}</label>' in html
    assert "correct" not in html.lower()
    assert "check-lg" not in html


def test_it_grades_a_submission_on_the_server(cast: Cast) -> None:
    c = course(cast, questions=FIVE)
    assign(cast.association, c)
    e = employee(cast)
    data: dict[str, list[str]] = {f"q{k}": v for k, v in right_answers(c).items()}
    data["q999999"] = ["1"]
    data["score"] = ["100"]  # a client's own idea of its score is ignored
    response = Client().post(_url("quiz", e, pk=c.pk), data)
    assert response.status_code == 200
    done = Completion.objects.get(course=c, employee=e)
    assert done.passed
    assert done.best_score == 100
    response = Client().post(_url("quiz", e, pk=c.pk), {"score": "100"})
    assert Attempt.objects.filter(employee=e).order_by("-id")[0].score == 0


def test_it_refuses_a_revoked_link(cast: Cast) -> None:
    c = course(cast)
    assign(cast.association, c)
    e = employee(cast)
    old = link_token(e)
    link_revoke(actor=cast.enterprise_admin, employee=e)
    for url in (
        reverse("my_training:list", kwargs={"token": old}),
        reverse("my_training:course", kwargs={"token": old, "pk": c.pk}),
    ):
        assert Client().get(url).status_code == 404
    assert (
        Client().post(reverse("my_training:quiz", kwargs={"token": old, "pk": c.pk})).status_code
        == 404
    )


def test_it_hides_a_course_that_is_not_mine(cast: Cast) -> None:
    mine = course(cast, title="A1 的课", publisher=cast.enterprise, questions=FIVE)
    assign(cast.enterprise, mine)
    b1 = employee(cast, enterprise=cast.other_enterprise)
    assert Client().get(_url("course", b1, pk=mine.pk)).status_code == 404
    assert Client().get(_url("quiz", b1, pk=mine.pk)).status_code == 404
    answers = {f"q{k}": v for k, v in right_answers(mine).items()}
    assert Client().post(_url("quiz", b1, pk=mine.pk), answers).status_code == 404
    assert "A1 的课" not in Client().get(_url("list", b1)).content.decode()
    assert not Attempt.objects.exists()


def test_it_completes_a_course_without_quiz_by_confirming(cast: Cast) -> None:
    c = course(cast)
    assign(cast.association, c)
    e = employee(cast)
    response = Client().post(_url("course", e, pk=c.pk))
    assert response.status_code == 302
    assert Completion.objects.get(course=c, employee=e).passed


def test_it_sanitises_the_course_body(cast: Cast) -> None:
    body = (
        "<script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n"
        '<img src="x" onerror="alert(2)">\n\n<a href="data:text/html,hi">d</a>'
    )
    c = course(cast, body_md=body)
    assign(cast.association, c)
    e = employee(cast)
    html = Client().get(_url("course", e, pk=c.pk)).content.decode()
    assert "<script>alert" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert "data:text" not in html
    officer = cast.client(cast.association_officer)
    html = officer.get(reverse("training:course_detail", kwargs={"pk": c.pk})).content.decode()
    assert "<script>alert" not in html
    assert "javascript:" not in html
