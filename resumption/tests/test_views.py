import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import has_mobile_number
from resumption import planning, services
from resumption.models import ReturnDeclaration
from resumption.tests.helpers import application, approve, employee, in_shenzhen
from workforce.links import link_revoke, link_token

pytestmark = pytest.mark.django_db


def _url(person: Any) -> str:
    return reverse("my_return:declaration", kwargs={"token": link_token(person)})


def test_it_takes_a_declaration_through_the_personal_link(cast):
    person = employee(cast, 1)
    client = cast.client(None)
    page = client.get(_url(person))
    assert page.status_code == 200
    assert b"<script" not in page.content
    response = client.post(
        _url(person),
        {
            "in_shenzhen": "0",
            "province": "420000",
            "city": "420100",
            "planned_travel_on": timezone.localdate().isoformat(),
            "travel_mode": "train",
            "needs_isolation": "on",
        },
    )
    assert response.status_code == 302
    declaration = ReturnDeclaration.objects.get(employee=person)
    assert declaration.via == "personal"
    assert declaration.risk_level == "high"
    assert declaration.needs_isolation


def test_it_shows_the_errors_of_a_bad_declaration(cast):
    person = employee(cast, 1)
    response = cast.client(None).post(_url(person), {"in_shenzhen": "1"})
    assert response.status_code == 200
    assert b"Choose the district of Shenzhen" in response.content
    assert not ReturnDeclaration.objects.exists()


def test_it_refuses_a_revoked_link(cast):
    person = employee(cast, 1)
    url = _url(person)
    link_revoke(actor=cast.enterprise_admin, employee=person)
    assert cast.client(None).get(url).status_code == 404
    response = cast.client(None).post(url, {"in_shenzhen": "1", "district": "440303"})
    assert response.status_code == 404
    assert not ReturnDeclaration.objects.exists()


def test_it_keeps_other_enterprises_employees_out_of_the_manager_pages(cast):
    other = employee(cast, 2, enterprise=cast.other_enterprise)
    client = cast.client(cast.enterprise_admin)
    url = reverse("resumption:declaration_edit", kwargs={"pk": other.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"in_shenzhen": "1", "district": "440303"}).status_code == 404
    assert client.get(reverse("resumption:contacts", kwargs={"pk": other.pk})).status_code == 404
    assert not ReturnDeclaration.objects.exists()


def test_it_shows_the_employee_their_date_and_shift(cast):
    person = employee(cast, 1)
    in_shenzhen(cast, person)
    app = approve(cast, application(cast))
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    planning.plan_publish(actor=cast.enterprise_admin, plan=plan)
    a = plan.assignments.get(employee=person)
    page = cast.client(None).get(_url(person))
    assert a.first_day is not None
    assert a.first_day.isoformat().encode() in page.content
    assert b"08:00" in page.content


def test_it_imports_nothing_when_a_row_is_bad(cast):
    people = [employee(cast, n) for n in range(2)]
    csv = (
        "姓名,手机号码,是否在深,所在区,省份,城市,计划返深日期,交通方式,需要隔离住宿\n"
        f"员工0,{people[0].mobile_masked and '13900000000'},是,罗湖区,,,,,否\n"
        "员工1,13900000001,否,,火星,,2020-13-01,飞船,也许\n"
        "某人,13911112222,是,罗湖区,,,,,否\n"
    ).encode()
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("resumption:declaration_import"),
        {"file": SimpleUploadedFile("d.csv", csv, content_type="text/csv")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was imported" in body
    for problem in ("No such place", "YYYY-MM-DD", "是 or 否", "No employee on your roster"):
        assert problem in body
    assert not ReturnDeclaration.objects.exists()


def test_it_imports_good_rows(cast):
    employee(cast, 0)
    employee(cast, 1)
    csv = (
        "姓名,手机号码,是否在深,所在区,省份,城市,计划返深日期,交通方式,需要隔离住宿\n"
        "员工0,13900000000,是,罗湖区,,,,,否\n"
        f"员工1,13900000001,否,,湖北省,武汉市,{timezone.localdate().isoformat()},火车,是\n"
    ).encode()
    response = cast.client(cast.enterprise_admin).post(
        reverse("resumption:declaration_import"),
        {"file": SimpleUploadedFile("d.csv", csv, content_type="text/csv")},
    )
    assert response.status_code == 302
    assert ReturnDeclaration.objects.filter(via="import").count() == 2


def test_it_lets_the_viewer_read_but_not_write(cast):
    client = cast.client(cast.enterprise_viewer)
    assert client.get(reverse("resumption:home")).status_code == 200
    assert client.get(reverse("resumption:application_new")).status_code == 403


def test_it_walks_the_review_through_the_pages(cast):
    app = application(cast)
    url = reverse("resumption:application_detail", kwargs={"pk": app.pk})
    officer = cast.client(cast.association_officer)
    page = officer.get(url)
    assert page.status_code == 200
    assert b"Return with comments" in page.content
    transition = reverse("resumption:application_transition", kwargs={"pk": app.pk})
    officer.post(transition, {"to": "returned", "comment": "补充材料"})
    app.refresh_from_db()
    assert app.status == "returned"
    # Another enterprise's admin cannot see or move it.
    other = cast.client(cast.other_admin)
    assert other.get(url).status_code == 404
    assert other.post(transition, {"to": "resubmitted"}).status_code == 404
    # The other association cannot see it either (a different sector, not a member).
    app.refresh_from_db()
    assert app.status == "returned"


def test_it_shows_the_plan_with_calendar_and_load(cast, django_assert_max_num_queries):
    people = [employee(cast, n) for n in range(5)]
    for p in people:
        in_shenzhen(cast, p)
    app = application(cast)
    planning.plan_compute(actor=cast.enterprise_admin, application=app)
    client = cast.client(cast.enterprise_admin)
    with django_assert_max_num_queries(40):
        page = client.get(reverse("resumption:plan", kwargs={"pk": app.pk}))
    assert page.status_code == 200
    assert "员工0" in page.content.decode()
    assert b"Load per site" in page.content


def test_it_refuses_a_pin_with_its_reason_on_the_page(cast):
    p = employee(cast, 1)
    from resumption.tests.helpers import from_hubei

    from_hubei(cast, p)
    app = application(cast)
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    a = plan.assignments.get()
    response = cast.client(cast.enterprise_admin).post(
        reverse("resumption:assignment_pin", kwargs={"pk": a.pk}),
        {"first_day": timezone.localdate().isoformat(), "shift": "0", "site": cast.site.pk},
    )
    assert response.status_code == 200
    assert b"quarantine" in response.content


def test_it_shows_aggregates_without_personal_fields(cast):
    people = [employee(cast, n) for n in range(3)]
    for p in people:
        in_shenzhen(cast, p)
    app = approve(cast, application(cast, start=timezone.localdate() - dt.timedelta(days=2)))
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    planning.plan_publish(actor=cast.enterprise_admin, plan=plan)
    services.attendance_materialise(day=timezone.localdate())
    for user in (cast.association_officer, cast.federation_officer):
        page = cast.client(user).get(reverse("resumption:overview"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "员工" not in body
        assert not has_mobile_number(body)
        assert "%" in body
    assert cast.client(cast.enterprise_admin).get(reverse("resumption:overview")).status_code == 404
    detail = cast.client(cast.association_officer).get(
        reverse("resumption:application_detail", kwargs={"pk": app.pk})
    )
    assert "员工" not in detail.content.decode()


def test_it_lists_declarations_and_attendance_in_few_queries(
    cast: Any, django_assert_max_num_queries: Any
) -> None:
    people = [employee(cast, n) for n in range(12)]
    for p in people:
        in_shenzhen(cast, p)
    app = approve(cast, application(cast, start=timezone.localdate() - dt.timedelta(days=1)))
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    planning.plan_publish(actor=cast.enterprise_admin, plan=plan)
    services.attendance_materialise(day=timezone.localdate())
    client = cast.client(cast.enterprise_admin)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("resumption:declarations"))
    assert page.content.decode().count("员工") >= 12
    with django_assert_max_num_queries(20):
        page = client.get(reverse("resumption:attendance"))
    assert page.status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("resumption:home")).status_code == 200


def test_it_shows_the_history_of_a_declaration(cast: Any) -> None:
    from resumption.tests.helpers import from_hubei

    person = employee(cast, 1)
    in_shenzhen(cast, person)
    from_hubei(cast, person)
    page = cast.client(cast.enterprise_admin).get(
        reverse("resumption:declaration_edit", kwargs={"pk": person.pk})
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert "Revision 2" in body
    assert "Revision 1" in body
