"""Online registration of an enterprise, and the street picker it uses."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.middleware import SESSION_KEY
from accounts.models import Role, RoleGrant, User
from conftest import Cast
from lib.ids import uscc_check_char
from orgs.models import Membership, MembershipStatus, Organization

pytestmark = pytest.mark.django_db

URL = reverse("orgs:register")
NEW_USCC = "91440300MA5G0000" + "1"
NEW_USCC += uscc_check_char(NEW_USCC)
PASSWORD = "tongzhou-Crossing-2020"


def form_data(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "深圳市新开酒店有限公司",
        "uscc": NEW_USCC,
        "legal_representative": "王五",
        "sector": "hotel",
        "district": "440303",
        "street": "440303001",
        "address": "深圳市罗湖区桂园街道2号",
        "contact_name": "王五",
        "contact_mobile": "13700000001",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "associations": [cast.association.pk, cast.other_association.pk],
    }
    data.update(overrides)
    return data


def errors_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200
    return dict(response.context["form"].errors)


def test_it_registers_the_enterprise_its_admin_and_applications_and_signs_in(cast: Cast) -> None:
    client = Client()
    response = client.post(URL, form_data(cast))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboards:home")
    enterprise = Organization.objects.get(uscc=NEW_USCC)
    assert enterprise.is_enterprise
    user = User.objects.get(mobile="13700000001")
    grant = RoleGrant.objects.get(user=user, organization=enterprise)
    assert grant.role == Role.ADMIN
    statuses = set(
        Membership.objects.filter(enterprise=enterprise).values_list("status", "association")
    )
    assert statuses == {
        (MembershipStatus.APPLIED, cast.association.pk),
        (MembershipStatus.APPLIED, cast.other_association.pk),
    }
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.session[SESSION_KEY] == grant.pk
    page = client.get(reverse("orgs:my_memberships"))
    assert page.status_code == 200
    assert cast.association.name in page.content.decode()


def test_it_shows_a_waiting_message_after_registering(cast: Cast) -> None:
    client = Client()
    response = client.post(URL, form_data(cast), follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any("深圳市新开酒店有限公司" in text for text in texts)


def test_it_refuses_a_credit_code_with_a_wrong_check_character(cast: Cast) -> None:
    wrong = NEW_USCC[:17] + ("0" if NEW_USCC[17] != "0" else "1")
    errors = errors_of(Client().post(URL, form_data(cast, uscc=wrong)))
    assert "uscc" in errors
    assert not Organization.objects.filter(name="深圳市新开酒店有限公司").exists()


def test_it_refuses_a_street_outside_the_district(cast: Cast) -> None:
    errors = errors_of(Client().post(URL, form_data(cast, district="440304", street="440303001")))
    assert list(errors) == ["street"]


def test_it_accepts_a_dapeng_street_under_the_functional_area(cast: Cast) -> None:
    response = Client().post(URL, form_data(cast, district="SZ-DP", street="440307010"))
    assert response.status_code == 302


def test_it_refuses_a_credit_code_already_registered(cast: Cast) -> None:
    errors = errors_of(Client().post(URL, form_data(cast, uscc=cast.enterprise.uscc)))
    assert list(errors) == ["uscc"]
    assert Organization.objects.filter(uscc=cast.enterprise.uscc).count() == 1


def test_it_refuses_a_mobile_that_already_has_an_account(cast: Cast) -> None:
    errors = errors_of(Client().post(URL, form_data(cast, contact_mobile="13800000003")))
    assert list(errors) == ["contact_mobile"]


def test_it_requires_at_least_one_association(cast: Cast) -> None:
    errors = errors_of(Client().post(URL, form_data(cast, associations=[])))
    assert list(errors) == ["associations"]


def test_it_refuses_an_enterprise_chosen_as_association(cast: Cast) -> None:
    errors = errors_of(Client().post(URL, form_data(cast, associations=[cast.enterprise.pk])))
    assert list(errors) == ["associations"]


def test_it_applies_the_password_validators(cast: Cast) -> None:
    errors = errors_of(
        Client().post(URL, form_data(cast, password1="12345678", password2="12345678"))
    )
    assert list(errors) == ["password1"]


def test_it_refuses_two_different_passwords(cast: Cast) -> None:
    errors = errors_of(Client().post(URL, form_data(cast, password2=PASSWORD + "x")))
    assert list(errors) == ["password2"]


def test_it_stores_markup_in_the_name_and_shows_it_escaped(cast: Cast) -> None:
    payload = "<script>alert(1)</script>"
    client = Client()
    assert client.post(URL, form_data(cast, name=payload)).status_code == 302
    enterprise = Organization.objects.get(uscc=NEW_USCC)
    assert enterprise.name == payload
    for url in (
        reverse("orgs:enterprise_detail", args=[enterprise.pk]),
        reverse("dashboards:home"),
    ):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert payload not in html
    member_page = cast.client(cast.association_officer).get(reverse("orgs:member_list"))
    assert payload not in member_page.content.decode()
    assert "&lt;script&gt;" in member_page.content.decode()


def test_it_refuses_a_ten_megabyte_name_with_a_form_error(cast: Cast) -> None:
    response = Client().post(URL, form_data(cast, name="酒" * (10 * 1024 * 1024 // 3)))
    errors = errors_of(response)
    assert list(errors) == ["name"]
    assert not Organization.objects.filter(uscc=NEW_USCC).exists()


def test_it_makes_a_signed_in_user_the_admin_without_asking_for_a_password(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    page = client.get(URL)
    assert "password1" not in page.context["form"].fields
    data = form_data(cast, contact_mobile="13700000009")
    del data["password1"], data["password2"]
    assert client.post(URL, data).status_code == 302
    enterprise = Organization.objects.get(uscc=NEW_USCC)
    grant = RoleGrant.objects.get(user=cast.enterprise_admin, organization=enterprise)
    assert grant.role == Role.ADMIN
    assert client.session[SESSION_KEY] == grant.pk
    assert not User.objects.filter(mobile="13700000009").exists()


def test_it_lists_every_street_grouped_by_district_without_javascript(cast: Cast) -> None:
    html = Client().get(URL).content.decode()
    assert '<optgroup label="Luohu District">' in html  # English names in English
    assert 'hx-get="{}"'.format(reverse("orgs:streets")) in html


def test_it_limits_streets_to_the_chosen_district_after_a_failed_post(cast: Cast) -> None:
    response = Client().post(URL, form_data(cast, name=""))
    street_choices = response.context["form"].fields["street"].widget.choices
    assert all(not isinstance(label, list) for _value, label in street_choices)
    assert {str(value) for value, _label in street_choices} >= {"440303001", "440303010"}
    assert "440304001" not in {str(value) for value, _label in street_choices}


def test_it_serves_the_streets_of_a_district_as_options(cast: Cast) -> None:
    html = Client().get(reverse("orgs:streets"), {"district": "440303"}).content.decode()
    assert html.count("<option") == 11
    assert 'value="440303001"' in html
    dapeng = Client().get(reverse("orgs:streets"), {"district": "SZ-DP"}).content.decode()
    assert 'value="440307010"' in dapeng
    assert "440303001" not in dapeng


def test_it_serves_only_the_blank_option_for_an_unknown_district(cast: Cast) -> None:
    html = Client().get(reverse("orgs:streets"), {"district": "x" * 5000}).content.decode()
    assert html.count("<option") == 1


def test_it_answers_garbled_district_parameters_without_an_error(cast: Cast) -> None:
    client = Client()
    for value in ["\x00", "440303\x00", "' OR 1=1 --", "x" * 500]:
        expected = 400 if "\x00" in value else 200  # NUL is refused before any view
        streets = client.get(reverse("orgs:streets"), {"district": value})
        assert streets.status_code == expected
        assert '<option value="440303001"' not in streets.content.decode()
        page = client.post(URL, {"district": value, "street": "440303001"})
        assert page.status_code == expected
