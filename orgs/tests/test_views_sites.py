"""An enterprise's sites: list, add, edit with optimistic locking, remove."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from conftest import Cast
from orgs.models import Site

pytestmark = pytest.mark.django_db


def site_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "南园店",
        "kind": "store",
        "service_mode": "appointment",
        "floor_area_m2": "85.5",
        "district": "440304",
        "street": "440304001",
        "address": "深圳市福田区南园街道3号",
    }
    data.update(overrides)
    return data


def test_it_lists_the_enterprises_own_sites(cast: Cast) -> None:
    response = cast.client(cast.enterprise_viewer).get(reverse("orgs:site_list"))
    assert response.status_code == 200
    assert list(response.context["sites"]) == [cast.site]
    html = response.content.decode()
    assert cast.site.name in html
    assert cast.other_site.name not in html


def test_it_shows_what_to_do_when_there_are_no_sites(cast: Cast) -> None:
    cast.site.delete()
    html = cast.client(cast.enterprise_admin).get(reverse("orgs:site_list")).content.decode()
    assert "tz-empty" in html
    assert reverse("orgs:site_create") in html


def test_it_adds_a_site(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("orgs:site_create"), site_data())
    assert response.status_code == 302
    site = Site.objects.get(enterprise=cast.enterprise, name="南园店")
    assert site.floor_area_m2 == Decimal("85.5")
    assert site.service_mode == Site.ServiceMode.APPOINTMENT
    assert site.street_id == "440304001"
    assert AuditEvent.objects.filter(action="site.create", object_id=str(site.pk)).exists()


@pytest.mark.parametrize("area", ["-5", "0", "0.5", "1000000.1", "1e12", "NaN", "Infinity", "abc"])
def test_it_refuses_an_impossible_floor_area(cast: Cast, area: str) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("orgs:site_create"), site_data(floor_area_m2=area))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["floor_area_m2"]
    assert not Site.objects.filter(name="南园店").exists()


def test_it_refuses_a_street_outside_the_district(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("orgs:site_create"), site_data(street="440303001"))
    assert list(response.context["form"].errors) == ["street"]


def test_it_edits_a_site_and_bumps_its_version(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    url = reverse("orgs:site_edit", args=[cast.site.pk])
    form = client.get(url).context["form"]
    assert form.initial["version"] == 1
    response = client.post(url, site_data(name="罗湖旗舰店", version=1))
    assert response.status_code == 302
    cast.site.refresh_from_db()
    assert (cast.site.name, cast.site.version) == ("罗湖旗舰店", 2)


def test_it_refuses_a_stale_edit_and_keeps_the_other_change(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    url = reverse("orgs:site_edit", args=[cast.site.pk])
    assert client.post(url, site_data(name="第一次修改", version=1)).status_code == 302
    response = client.post(url, site_data(name="过期的修改", version=1))
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert "Reload" in errors[0] or "刷新" in errors[0] or "重新" in errors[0]
    cast.site.refresh_from_db()
    assert (cast.site.name, cast.site.version) == ("第一次修改", 2)


def test_it_removes_a_site(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(reverse("orgs:site_delete", args=[cast.site.pk]))
    assert response.status_code == 302
    assert not Site.objects.filter(pk=cast.site.pk).exists()
    assert AuditEvent.objects.filter(action="site.delete").exists()


def test_it_only_removes_with_post(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    assert client.get(reverse("orgs:site_delete", args=[cast.site.pk])).status_code == 405
    assert Site.objects.filter(pk=cast.site.pk).exists()


def test_it_hides_another_enterprises_site(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    other = cast.other_site
    edit = reverse("orgs:site_edit", args=[other.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, site_data(version=1)).status_code == 404
    assert client.post(reverse("orgs:site_delete", args=[other.pk])).status_code == 404
    missing = reverse("orgs:site_edit", args=[999_999])
    assert client.get(missing).status_code == 404
    other.refresh_from_db()
    assert other.name == "福田店"


def test_it_forbids_a_viewer_to_change_sites(cast: Cast) -> None:
    client = cast.client(cast.enterprise_viewer)
    assert client.get(reverse("orgs:site_create")).status_code == 403
    assert client.post(reverse("orgs:site_create"), site_data()).status_code == 403
    edit = reverse("orgs:site_edit", args=[cast.site.pk])
    assert client.post(edit, site_data(version=1)).status_code == 403
    assert client.post(reverse("orgs:site_delete", args=[cast.site.pk])).status_code == 403
    cast.site.refresh_from_db()
    assert cast.site.version == 1
    html = client.get(reverse("orgs:site_list")).content.decode()
    assert reverse("orgs:site_create") not in html


@pytest.mark.parametrize("who", ["federation", "association"])
def test_it_keeps_the_site_pages_for_enterprises(cast: Cast, who: str) -> None:
    client = cast.client(cast.members[who])
    assert client.get(reverse("orgs:site_list")).status_code == 404
    assert client.get(reverse("orgs:site_edit", args=[cast.site.pk])).status_code == 404
