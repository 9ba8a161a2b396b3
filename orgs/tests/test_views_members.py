"""Memberships: the association's member list and decisions, the enterprise's side."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role, RoleGrant, User
from conftest import PASSWORD, Cast, make_enterprise
from lib.ids import uscc_check_char
from orgs import services
from orgs.models import Membership, MembershipEvent, MembershipStatus, Sector

pytestmark = pytest.mark.django_db


def make_uscc(number: int) -> str:
    body = f"91440300{number:09d}"
    return body + uscc_check_char(body)


@pytest.fixture
def application(cast: Cast) -> Membership:
    """B1 (a beauty salon) applies to association A as well."""
    return services.membership_apply(
        actor=cast.other_admin, enterprise=cast.other_enterprise, association=cast.association
    )


def decide(client: Client, membership: Membership, decision: str, reason: str = "") -> None:
    url = reverse("orgs:membership_decide", args=[membership.pk])
    response = client.post(url, {"decision": decision, "reason": reason})
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:membership_detail", args=[membership.pk])


def association_viewer(cast: Cast) -> User:
    user = User.objects.create_user("13800000010", PASSWORD, name="商会只读")
    RoleGrant.objects.create(user=user, organization=cast.association, role=Role.VIEWER)
    return user


def test_it_lets_the_association_approve_and_the_enterprise_see_it(
    cast: Cast, application: Membership
) -> None:
    decide(cast.client(cast.association_officer), application, "approve")
    application.refresh_from_db()
    assert application.status == MembershipStatus.ACTIVE
    assert application.decided_at is not None
    assert list(application.events.values_list("from_status", "to_status")) == [
        ("", "applied"),
        ("applied", "active"),
    ]
    page = cast.client(cast.other_admin).get(reverse("orgs:my_memberships"))
    memberships = [m for m, _history in page.context["memberships"]]
    assert {m.association_id: m.status for m in memberships}[cast.association.pk] == "active"


def test_it_lets_the_association_reject_with_a_reason_the_enterprise_reads(
    cast: Cast, application: Membership
) -> None:
    decide(cast.client(cast.association_officer), application, "reject", "营业执照照片不清晰")
    application.refresh_from_db()
    assert application.status == MembershipStatus.REJECTED
    assert application.reason == "营业执照照片不清晰"
    html = cast.client(cast.other_admin).get(reverse("orgs:my_memberships")).content.decode()
    assert "营业执照照片不清晰" in html


def test_it_refuses_a_rejection_without_a_reason(cast: Cast, application: Membership) -> None:
    client = cast.client(cast.association_officer)
    url = reverse("orgs:membership_decide", args=[application.pk])
    response = client.post(url, {"decision": "reject", "reason": "   "}, follow=True)
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPLIED
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert MembershipEvent.objects.filter(membership=application).count() == 1


def test_it_suspends_with_a_reason_and_reinstates(cast: Cast) -> None:
    membership = Membership.objects.get(enterprise=cast.enterprise, association=cast.association)
    client = cast.client(cast.association_officer)
    decide(client, membership, "suspend", "未按要求报备复工")
    membership.refresh_from_db()
    assert (membership.status, membership.reason) == ("suspended", "未按要求报备复工")
    html = cast.client(cast.enterprise_admin).get(reverse("orgs:my_memberships")).content.decode()
    assert "未按要求报备复工" in html
    decide(client, membership, "reinstate")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_it_shows_the_service_error_for_a_transition_the_state_machine_refuses(
    cast: Cast, application: Membership
) -> None:
    client = cast.client(cast.association_officer)
    url = reverse("orgs:membership_decide", args=[application.pk])
    response = client.post(url, {"decision": "suspend", "reason": "x"}, follow=True)
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPLIED
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_it_refuses_an_unknown_decision(cast: Cast, application: Membership) -> None:
    client = cast.client(cast.association_officer)
    url = reverse("orgs:membership_decide", args=[application.pk])
    client.post(url, {"decision": "delete"})
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPLIED


def test_it_offers_only_the_decisions_the_state_allows(cast: Cast, application: Membership) -> None:
    client = cast.client(cast.association_officer)
    detail = client.get(reverse("orgs:membership_detail", args=[application.pk]))
    assert detail.context["decisions"] == ["approve", "reject"]
    active = Membership.objects.get(enterprise=cast.enterprise, association=cast.association)
    detail = client.get(reverse("orgs:membership_detail", args=[active.pk]))
    assert detail.context["decisions"] == ["suspend"]


def test_it_forbids_a_viewer_of_the_association_to_decide(
    cast: Cast, application: Membership
) -> None:
    client = cast.client(association_viewer(cast))
    url = reverse("orgs:membership_decide", args=[application.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPLIED
    detail = client.get(reverse("orgs:membership_detail", args=[application.pk]))
    assert detail.status_code == 200
    assert detail.context["decisions"] == []


def test_it_hides_another_associations_membership(cast: Cast) -> None:
    theirs = Membership.objects.get(enterprise=cast.other_enterprise)
    client = cast.client(cast.association_officer)
    assert client.get(reverse("orgs:membership_detail", args=[theirs.pk])).status_code == 404
    url = reverse("orgs:membership_decide", args=[theirs.pk])
    assert client.post(url, {"decision": "suspend", "reason": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == MembershipStatus.ACTIVE


def test_it_lets_the_federation_view_but_not_decide(cast: Cast, application: Membership) -> None:
    client = cast.client(cast.federation_officer)
    detail = client.get(reverse("orgs:membership_detail", args=[application.pk]))
    assert detail.status_code == 200
    assert detail.context["decisions"] == []
    url = reverse("orgs:membership_decide", args=[application.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404


@pytest.mark.parametrize("who", ["enterprise_admin", "enterprise_viewer", "other_enterprise"])
def test_it_hides_the_member_pages_from_enterprises(cast: Cast, who: str) -> None:
    client = cast.client(cast.members[who])
    assert client.get(reverse("orgs:member_list")).status_code == 404
    membership = Membership.objects.get(enterprise=cast.enterprise)
    assert client.get(reverse("orgs:membership_detail", args=[membership.pk])).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in(cast: Cast) -> None:
    response = Client().get(reverse("orgs:member_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_it_masks_the_contact_mobile_on_the_membership_page(
    cast: Cast, application: Membership
) -> None:
    client = cast.client(cast.association_officer)
    html = client.get(reverse("orgs:membership_detail", args=[application.pk])).content.decode()
    assert "139****0000" in html
    assert "13900000000" not in html


def test_it_filters_members_by_status_search_and_sector(
    cast: Cast, application: Membership
) -> None:
    client = cast.client(cast.association_officer)
    url = reverse("orgs:member_list")

    def names(**params: str) -> list[str]:
        page = client.get(url, params)
        return [m.enterprise.name for m in page.context["page_obj"].object_list]

    assert sorted(names()) == sorted([cast.enterprise.name, cast.other_enterprise.name])
    assert names(status="applied") == [cast.other_enterprise.name]
    assert names(status="active") == [cast.enterprise.name]
    assert names(q="丽人") == [cast.other_enterprise.name]
    assert names(q=cast.enterprise.uscc or "") == [cast.enterprise.name]
    assert names(sector="beauty") == [cast.other_enterprise.name]
    assert sorted(names(status="nonsense")) == sorted(names())
    tabs = {t["label"]: t["count"] for t in client.get(url).context["tabs"]}
    assert sum(tabs.values()) == 4  # "all" (2) plus applied (1) and active (1)


def test_it_lists_members_in_a_fixed_number_of_queries(cast: Cast) -> None:
    hotel = Sector.objects.get(code="hotel")
    client = cast.client(cast.association_officer)
    url = reverse("orgs:member_list")

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def add_members(start: int, count: int) -> None:
        for number in range(start, start + count):
            enterprise = make_enterprise(f"企业{number:03d}", make_uscc(number), hotel)
            Membership.objects.create(
                enterprise=enterprise, association=cast.association, status="active"
            )

    add_members(100, 9)  # ten members with A1
    client.get(url)  # the first request of a session stores the chosen grant
    small = count_queries()
    add_members(200, 50)  # sixty members: a full page of fifty
    large = count_queries()
    assert large == small
    assert len(client.get(url).context["page_obj"].object_list) == 50


def test_it_lets_an_enterprise_apply_to_another_association(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    page = client.get(reverse("orgs:my_memberships"))
    choices = list(page.context["form"].fields["association"].queryset)
    assert choices == [cast.other_association]
    response = client.post(
        reverse("orgs:membership_apply"), {"association": cast.other_association.pk}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(
        enterprise=cast.enterprise, association=cast.other_association
    )
    assert membership.status == MembershipStatus.APPLIED


def test_it_refuses_a_second_application_to_the_same_association(cast: Cast) -> None:
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("orgs:membership_apply"), {"association": cast.association.pk}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Membership.objects.filter(enterprise=cast.enterprise).count() == 1


def test_it_lets_a_rejected_enterprise_apply_again(cast: Cast, application: Membership) -> None:
    decide(cast.client(cast.association_officer), application, "reject", "资料不全")
    client = cast.client(cast.other_admin)
    client.post(reverse("orgs:membership_apply"), {"association": cast.association.pk})
    application.refresh_from_db()
    assert application.status == MembershipStatus.APPLIED


def test_it_forbids_an_enterprise_viewer_to_apply(cast: Cast) -> None:
    client = cast.client(cast.enterprise_viewer)
    assert client.get(reverse("orgs:my_memberships")).status_code == 200
    response = client.post(
        reverse("orgs:membership_apply"), {"association": cast.other_association.pk}
    )
    assert response.status_code == 403
    assert Membership.objects.filter(enterprise=cast.enterprise).count() == 1


def test_it_shows_the_directory_of_associations_to_every_member(cast: Cast) -> None:
    for who, user in cast.members.items():
        response = cast.client(user).get(reverse("orgs:association_list"))
        if who == "anonymous":
            assert response.status_code == 302
            continue
        assert response.status_code == 200
        counts = {a.pk: a.member_count for a in response.context["associations"]}
        assert counts == {cast.association.pk: 1, cast.other_association.pk: 1}
