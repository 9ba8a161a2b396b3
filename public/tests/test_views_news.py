"""The news centre's lists: every public notice, one category, the home page, rumours."""

from __future__ import annotations

import re

from django.urls import reverse

from conftest import Cast
from notices.models import Category
from public.tests.factories import make_notice


def _titles(html: str) -> list[str]:
    return re.findall(r'class="tz-news-title" href="[^"]+">([^<]+)</a>', html)


def test_it_lists_public_notices_newest_first(cast: Cast) -> None:
    make_notice(cast.federation, "较早的资讯", days_ago=3)
    make_notice(cast.association, "最新的资讯", days_ago=1)
    make_notice(cast.federation, "中间的政策", category=Category.POLICY, days_ago=2)
    page = cast.client(None).get(reverse("public:news")).content.decode()
    assert _titles(page) == ["最新的资讯", "中间的政策", "较早的资讯"]


def test_it_lists_one_category(cast: Cast) -> None:
    make_notice(cast.federation, "一条资讯")
    make_notice(cast.federation, "一条政策", category=Category.POLICY)
    page = cast.client(None).get(reverse("public:category", args=["policy"])).content.decode()
    assert _titles(page) == ["一条政策"]
    assert 'aria-current="page">Policy document</a>' in page


def test_it_says_what_to_do_when_a_category_is_empty(cast: Cast) -> None:
    page = cast.client(None).get(reverse("public:category", args=["practice"])).content.decode()
    assert "Nothing has been published here yet." in page
    assert reverse("public:directory") in page


def test_it_pages_a_long_list(cast: Cast) -> None:
    for day in range(25):
        make_notice(cast.federation, f"资讯{day:02d}", days_ago=day + 1)
    client = cast.client(None)
    first = _titles(client.get(reverse("public:news")).content.decode())
    second = _titles(client.get(reverse("public:news") + "?page=2").content.decode())
    assert len(first) == 20
    assert second == [f"资讯{day:02d}" for day in range(20, 25)]
    junk = client.get(reverse("public:news") + "?page=abc")
    assert junk.status_code == 200


def test_it_shows_the_latest_initiative_and_each_category_on_the_home_page(cast: Cast) -> None:
    make_notice(cast.federation, "旧的倡议", category=Category.INITIATIVE, days_ago=5)
    make_notice(cast.federation, "同舟共济联合倡议书", category=Category.INITIATIVE, days_ago=1)
    for day in range(7):
        make_notice(cast.association, f"行业资讯{day}", days_ago=day + 1)
    make_notice(cast.federation, "网传谣言一则", category=Category.RUMOUR)
    page = cast.client(None).get(reverse("public:home")).content.decode()
    hero = page[page.index('class="tz-hero') : page.index("</section>")]
    assert "同舟共济联合倡议书" in hero
    assert "旧的倡议" not in hero
    assert cast.federation.name in hero
    # Five per category on the home page.
    assert "行业资讯4" in page
    assert "行业资讯5" not in page
    assert "网传谣言一则" in page
    assert reverse("public:rumours") in page
    assert reverse("public:directory") in page


def test_it_shows_rumours_as_rumour_and_truth(cast: Cast) -> None:
    make_notice(
        cast.federation,
        "网传喝板蓝根可以预防新冠",
        category=Category.RUMOUR,
        summary="不实。板蓝根不能预防新冠病毒感染。",
    )
    make_notice(
        cast.association,
        "网传理发店不得营业",
        category=Category.RUMOUR,
        body_html="<p>不实。<strong>备案</strong>后可以营业。</p>",
    )
    make_notice(cast.federation, "不是辟谣的资讯")
    page = cast.client(None).get(reverse("public:rumours")).content.decode()
    assert page.count('class="tz-card tz-rumour') == 2
    assert "不实。板蓝根不能预防新冠病毒感染。" in page
    assert "不实。备案后可以营业。" in page  # the text, without its markup
    assert "不是辟谣的资讯" not in page
    assert 'href="/feeds/rumour/rss/"' in page


def test_it_reads_few_queries_whatever_the_number_of_notices(
    cast: Cast, django_assert_max_num_queries
) -> None:
    for day in range(30):
        category = list(Category)[day % len(Category)]
        make_notice(cast.association, f"资讯{day}", category=category, days_ago=day + 1)
    anonymous = cast.client(None)
    signed_in = cast.client(cast.enterprise_admin)
    signed_in.get(reverse("public:news"))  # the session and grant are settled
    pages = {
        reverse("public:home"): 3,
        reverse("public:news"): 3,
        reverse("public:category", args=["news"]): 3,
        reverse("public:rumours"): 3,
        reverse("public:directory"): 2,
        reverse("public:organization_detail", args=[cast.association.pk]): 3,
        reverse("public:search") + "?q=资讯": 3,
    }
    for url, queries in pages.items():
        with django_assert_max_num_queries(queries):
            assert anonymous.get(url).status_code == 200
        # A signed-in visitor adds the session, the user and the grants of the navbar.
        with django_assert_max_num_queries(queries + 5):
            assert signed_in.get(url).status_code == 200
