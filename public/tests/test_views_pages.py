"""Every public page opens for anyone, signed in or not, and says what it is."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import Cast
from notices.models import Category
from public.tests.factories import make_notice

MEMBERS = [
    "federation",
    "association",
    "enterprise_admin",
    "enterprise_viewer",
    "other_enterprise",
    "anonymous",
]


def _urls(cast: Cast) -> list[str]:
    news = make_notice(cast.association, "酒店业复工指引", summary="复工前的十项准备")
    make_notice(cast.federation, "网传某酒店有确诊病例", category=Category.RUMOUR)
    return [
        reverse("public:home"),
        reverse("public:news"),
        *[reverse("public:category", args=[c.value]) for c in Category],
        reverse("public:notice_detail", args=[news.pk]),
        reverse("public:directory"),
        reverse("public:organization_detail", args=[cast.association.pk]),
        reverse("public:organization_detail", args=[cast.federation.pk]),
        reverse("public:rumours"),
        reverse("public:search"),
        reverse("public:search") + "?q=复工",
        reverse("public:feed_rss", args=["all"]),
        reverse("public:feed_atom", args=["news"]),
    ]


@pytest.mark.parametrize("member", MEMBERS)
def test_it_opens_every_page_for_anyone(cast: Cast, member: str) -> None:
    client = cast.client(cast.members[member])
    for url in _urls(cast):
        response = client.get(url)
        assert response.status_code == 200, url


def test_it_offers_a_signed_in_user_the_way_to_their_workspace(cast: Cast) -> None:
    page = cast.client(cast.enterprise_admin).get(reverse("public:home"))
    assert reverse("dashboards:home").encode() in page.content
    anonymous = cast.client(None).get(reverse("public:home"))
    assert reverse("accounts:login").encode() in anonymous.content


def test_it_shows_the_public_navigation_to_visitors_only(cast: Cast) -> None:
    anonymous = cast.client(None).get(reverse("accounts:login")).content.decode()
    assert reverse("public:directory") in anonymous
    assert f'action="{reverse("public:search")}"' in anonymous
    signed_in = cast.client(cast.enterprise_admin).get(reverse("dashboards:home")).content
    assert f'action="{reverse("public:search")}"'.encode() not in signed_in


def test_it_refuses_to_write(cast: Cast) -> None:
    assert cast.client(None).post(reverse("public:news"), {}).status_code == 405


def test_it_answers_404_to_an_unknown_category(cast: Cast) -> None:
    client = cast.client(None)
    assert client.get(reverse("public:category", args=["secret"])).status_code == 404
    assert client.get(reverse("public:feed_rss", args=["secret"])).status_code == 404
    assert client.get(reverse("public:feed_atom", args=["Policy"])).status_code == 404


def test_it_titles_a_category_page_for_search_engines(cast: Cast) -> None:
    cast.federation.short_name = "生活服务业联委会"
    cast.federation.save()
    page = cast.client(None).get(reverse("public:category", args=["news"])).content.decode()
    assert "<title>Industry news - News centre - 生活服务业联委会</title>" in page
    assert '<link rel="canonical" href="http://testserver/news/news/">' in page
    assert '<meta property="og:image" content="http://testserver/static/img/share.png">' in page
    assert 'type="application/rss+xml"' in page
    assert 'href="/feeds/news/rss/"' in page
    assert 'href="/feeds/news/atom/"' in page
    assert "breadcrumb" in page


def test_it_names_the_site_after_the_federation(cast: Cast) -> None:
    page = cast.client(None).get(reverse("public:home")).content.decode()
    assert f"<title>{cast.federation.name}</title>" in page
    assert 'href="/feeds/all/rss/"' in page


def test_it_keeps_the_page_number_in_the_canonical_link(cast: Cast) -> None:
    for day in range(25):
        make_notice(cast.federation, f"第{day}条", days_ago=day + 1)
    page = cast.client(None).get(reverse("public:news") + "?page=2").content.decode()
    assert '<link rel="canonical" href="http://testserver/news/?page=2">' in page
