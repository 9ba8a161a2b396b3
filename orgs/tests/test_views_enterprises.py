"""The enterprise directory, an enterprise's profile, and editing one's own profile."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from orgs.models import Organization

pytestmark = pytest.mark.django_db


def names(response: Any) -> list[str]:
    assert response.status_code == 200
    return [e.name for e in response.context["page_obj"].object_list]


def profile(cast: Cast, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": cast.enterprise.name,
        "uscc": cast.enterprise.uscc,
        "legal_representative": "赵六",
        "sector": "hotel",
        "district": "440303",
        "street": "440303002",
        "address": "深圳市罗湖区黄贝街道8号",
        "contact_name": "联系人",
        "contact_mobile": "13900000000",
        "version": 1,
    }
    data.update(overrides)
    return data


def test_it_shows_the_federation_every_enterprise(cast: Cast) -> None:
    client = cast.client(cast.federation_officer)
    response = client.get(reverse("orgs:enterprise_list"))
    assert sorted(names(response)) == sorted([cast.enterprise.name, cast.other_enterprise.name])


def test_it_shows_an_association_only_its_members(cast: Cast) -> None:
    client = cast.client(cast.association_officer)
    assert names(client.get(reverse("orgs:enterprise_list"))) == [cast.enterprise.name]


def test_it_filters_the_directory(cast: Cast) -> None:
    client = cast.client(cast.federation_officer)
    url = reverse("orgs:enterprise_list")
    assert names(client.get(url, {"q": "丽人"})) == [cast.other_enterprise.name]
    assert names(client.get(url, {"sector": "hotel"})) == [cast.enterprise.name]
    assert names(client.get(url, {"association": cast.other_association.pk})) == [
        cast.other_enterprise.name
    ]
    assert names(client.get(url, {"district": "440304"})) == []
    assert len(names(client.get(url, {"district": "not-a-district"}))) == 2


@pytest.mark.parametrize("who", ["enterprise_admin", "enterprise_viewer", "other_enterprise"])
def test_it_keeps_the_directory_from_enterprises(cast: Cast, who: str) -> None:
    client = cast.client(cast.members[who])
    assert client.get(reverse("orgs:enterprise_list")).status_code == 404


def test_it_shows_a_member_to_its_association_with_a_masked_mobile(cast: Cast) -> None:
    client = cast.client(cast.association_officer)
    response = client.get(reverse("orgs:enterprise_detail", args=[cast.enterprise.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert cast.site.name in html
    assert "139****0000" in html
    assert "13900000000" not in html


def test_it_hides_enterprises_outside_the_viewers_scope(cast: Cast) -> None:
    other = reverse("orgs:enterprise_detail", args=[cast.other_enterprise.pk])
    assert cast.client(cast.association_officer).get(other).status_code == 404
    assert cast.client(cast.enterprise_admin).get(other).status_code == 404
    missing = reverse("orgs:enterprise_detail", args=[999_999])
    assert cast.client(cast.federation_officer).get(missing).status_code == 404
    association = reverse("orgs:enterprise_detail", args=[cast.association.pk])
    assert cast.client(cast.federation_officer).get(association).status_code == 404


def test_it_shows_an_enterprise_its_own_profile(cast: Cast) -> None:
    client = cast.client(cast.enterprise_viewer)
    response = client.get(reverse("orgs:enterprise_detail", args=[cast.enterprise.pk]))
    assert response.status_code == 200
    assert response.context["own"] is True
    assert reverse("orgs:enterprise_edit") not in response.content.decode()


def test_it_saves_the_enterprises_own_profile(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    form = client.get(reverse("orgs:enterprise_edit")).context["form"]
    assert form.initial["version"] == 1
    response = client.post(reverse("orgs:enterprise_edit"), profile(cast))
    assert response.status_code == 302
    cast.enterprise.refresh_from_db()
    assert cast.enterprise.legal_representative == "赵六"
    assert cast.enterprise.street_id == "440303002"
    assert cast.enterprise.version == 2


def test_it_refuses_a_stale_profile_edit_without_overwriting(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    url = reverse("orgs:enterprise_edit")
    assert client.post(url, profile(cast, legal_representative="第一位")).status_code == 302
    response = client.post(url, profile(cast, legal_representative="第二位"))
    assert response.status_code == 200
    assert len(response.context["form"].non_field_errors()) == 1
    cast.enterprise.refresh_from_db()
    assert (cast.enterprise.legal_representative, cast.enterprise.version) == ("第一位", 2)


def test_it_refuses_a_credit_code_of_another_organisation(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("orgs:enterprise_edit"), profile(cast, uscc=cast.other_enterprise.uscc)
    )
    assert list(response.context["form"].errors) == ["uscc"]
    assert Organization.objects.get(pk=cast.enterprise.pk).uscc == cast.enterprise.uscc


def test_it_forbids_a_viewer_to_edit_the_profile(cast: Cast) -> None:
    client = cast.client(cast.enterprise_viewer)
    assert client.get(reverse("orgs:enterprise_edit")).status_code == 403
    assert client.post(reverse("orgs:enterprise_edit"), profile(cast)).status_code == 403


def test_it_keeps_the_profile_editor_for_enterprises(cast: Cast) -> None:
    client = cast.client(cast.association_officer)
    assert client.get(reverse("orgs:enterprise_edit")).status_code == 404
