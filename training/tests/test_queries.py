"""List pages run a bounded number of queries whatever the number of employees."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import Cast
from training.services import attempt_submit
from training.tests.helpers import FIVE, assign, course, employee, right_answers
from workforce.links import link_token

pytestmark = pytest.mark.django_db


def _crowd(cast: Cast, n: int) -> Any:
    c = course(cast, questions=FIVE)
    assign(cast.association, c)
    people = [employee(cast) for _ in range(n)]
    for person in people[: n // 2]:
        attempt_submit(employee=person, course=c, answers=right_answers(c))
    return c, people


def test_it_pins_the_queries_of_the_progress_and_rollup_pages(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    c, _people = _crowd(cast, 12)
    admin = cast.client(cast.enterprise_admin)
    officer = cast.client(cast.association_officer)
    with django_assert_max_num_queries(20):
        assert admin.get(reverse("training:progress", kwargs={"pk": c.pk})).status_code == 200
    with django_assert_max_num_queries(20):
        assert officer.get(reverse("training:rollup")).status_code == 200
    with django_assert_max_num_queries(20):
        assert admin.get(reverse("training:list")).status_code == 200


def test_it_renders_the_personal_pages_in_chinese(cast: Cast) -> None:
    c, people = _crowd(cast, 2)
    token = link_token(people[-1])
    with translation.override("zh-hans"):
        for url in (
            reverse("my_training:list", kwargs={"token": token}),
            reverse("my_training:course", kwargs={"token": token, "pk": c.pk}),
            reverse("my_training:quiz", kwargs={"token": token, "pk": c.pk}),
        ):
            response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(url)
            assert response.status_code == 200, url
            assert "%(" not in response.content.decode()
        response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post(
            reverse("my_training:quiz", kwargs={"token": token, "pk": c.pk}), {}
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "0%" in html
        assert "%(" not in html
