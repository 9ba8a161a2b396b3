"""The directory: the federation and its associations, their public profile only."""

from __future__ import annotations

from django.urls import reverse

from conftest import Cast, make_enterprise
from notices.models import Category
from orgs.models import Membership, MembershipStatus, Sector
from public.tests.factories import make_notice


def _profile(cast: Cast) -> None:
    cast.association.short_name = "酒店商会"
    cast.association.description = "由深圳星级酒店组成。"
    cast.association.phone = "0755-88886666"
    cast.association.website = "https://hotel.example.org"
    cast.association.address = "深圳市福田区华强北路1号"
    cast.association.contact_name = "王秘书长"
    cast.association.contact_mobile = "13711112222"
    cast.association.save()


def test_it_lists_the_federation_and_its_associations(cast: Cast) -> None:
    _profile(cast)
    page = cast.client(None).get(reverse("public:directory")).content.decode()
    assert cast.federation.name in page
    assert "2 associations" in page
    for text in ("深圳市酒店业商会", "0755-88886666", "https://hotel.example.org", "王秘书长"):
        assert text in page
    assert "深圳市福田区华强北路1号" in page
    assert cast.other_association.name in page
    assert reverse("public:organization_detail", args=[cast.association.pk]) in page


def test_it_counts_only_active_members(cast: Cast) -> None:
    hotel = Sector.objects.get(code="hotel")
    for index, status in enumerate(
        [MembershipStatus.ACTIVE, MembershipStatus.APPLIED, MembershipStatus.LEFT]
    ):
        enterprise = make_enterprise(f"酒店{index}", f"9144030000000000{index}X", hotel)
        Membership.objects.create(
            enterprise=enterprise, association=cast.association, status=status
        )
    page = cast.client(None).get(reverse("public:directory")).content.decode()
    card = page[page.index("深圳市酒店业商会") :]
    assert "2 members" in card[:400]  # A1 and the active one


def test_it_shows_no_enterprise_and_no_contact_mobile(cast: Cast) -> None:
    _profile(cast)
    client = cast.client(None)
    pages = [
        client.get(reverse("public:directory")),
        client.get(reverse("public:organization_detail", args=[cast.association.pk])),
        client.get(reverse("public:organization_detail", args=[cast.federation.pk])),
        client.get(reverse("public:home")),
    ]
    for response in pages:
        html = response.content.decode()
        assert "13711112222" not in html  # the association's contact mobile
        assert "13900000000" not in html  # the enterprises' contact mobiles
        assert cast.enterprise.name not in html
        assert cast.enterprise.uscc not in html  # type: ignore[operator]


def test_it_answers_404_for_an_enterprise_profile(cast: Cast) -> None:
    client = cast.client(None)
    url = reverse("public:organization_detail", args=[cast.enterprise.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("public:organization_detail", args=[987654])).status_code == 404


def test_it_shows_an_association_with_its_latest_public_notices(cast: Cast) -> None:
    _profile(cast)
    make_notice(cast.association, "商会召开视频会议")
    make_notice(cast.association, "商会经验", category=Category.PRACTICE)
    make_notice(cast.association, "商会内部通知", is_public=False)
    make_notice(cast.other_association, "别的协会的资讯")
    page = (
        cast.client(None)
        .get(reverse("public:organization_detail", args=[cast.association.pk]))
        .content.decode()
    )
    assert "<h1" in page
    assert "深圳市酒店业商会" in page
    assert "由深圳星级酒店组成。" in page
    assert 'href="tel:0755-88886666"' in page
    assert "商会召开视频会议" in page
    assert "商会经验" in page
    assert "商会内部通知" not in page
    assert "别的协会的资讯" not in page
    assert "1 member" in page


def test_it_never_links_a_website_that_is_not_a_web_address(cast: Cast) -> None:
    cast.association.website = "javascript:alert(1)"
    cast.association.save()
    page = cast.client(None).get(reverse("public:directory")).content.decode()
    assert "javascript:" not in page


def test_it_says_what_to_do_when_there_are_no_associations(db: None) -> None:
    from django.test import Client

    page = Client().get(reverse("public:directory")).content.decode()
    assert "No associations are listed yet." in page
