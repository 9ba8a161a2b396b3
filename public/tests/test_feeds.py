"""RSS and Atom feeds: well-formed, absolute links, public notices only."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.urls import reverse

from conftest import Cast
from notices.models import Category
from public.tests.factories import make_notice

ATOM = "{http://www.w3.org/2005/Atom}"


def _rss(cast: Cast, category: str) -> ET.Element:
    response = cast.client(None).get(reverse("public:feed_rss", args=[category]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own response


def _atom(cast: Cast, category: str) -> ET.Element:
    response = cast.client(None).get(reverse("public:feed_atom", args=[category]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own response


def test_it_lists_all_public_notices_in_rss(cast: Cast) -> None:
    older = make_notice(cast.federation, "较早的资讯", days_ago=2, summary="摘要")
    make_notice(cast.association, "最新的政策", category=Category.POLICY, days_ago=1)
    make_notice(cast.federation, "内部通知", is_public=False)
    channel = _rss(cast, "all").find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["最新的政策", "较早的资讯"]
    assert items[1].findtext("link") == f"http://testserver/news/{older.pk}/"
    assert items[1].findtext("description") == "摘要"
    assert items[1].findtext("pubDate")
    assert items[1].findtext("category") == "Industry news"
    assert channel.findtext("link") == "http://testserver/news/"


def test_it_lists_one_category_in_atom(cast: Cast) -> None:
    make_notice(cast.federation, "一条资讯")
    rumour = make_notice(
        cast.federation, "网传谣言", category=Category.RUMOUR, body_html="<p>不实<b>！</b></p>"
    )
    feed = _atom(cast, "rumour")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["网传谣言"]
    link = entries[0].find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"http://testserver/news/{rumour.pk}/"
    assert entries[0].findtext(f"{ATOM}summary") == "不实！"
    assert entries[0].findtext(f"{ATOM}published")
    assert entries[0].findtext(f"{ATOM}updated")


def test_it_keeps_the_latest_30(cast: Cast) -> None:
    for day in range(35):
        make_notice(cast.federation, f"资讯{day}", days_ago=day + 1)
    channel = _rss(cast, "news").find("channel")
    assert channel is not None
    assert len(channel.findall("item")) == 30


def test_it_escapes_markup_in_titles_and_descriptions(cast: Cast) -> None:
    make_notice(cast.federation, "<script>alert(1)</script>", summary="<img src=x onerror=y>")
    response = cast.client(None).get(reverse("public:feed_rss", args=["all"]))
    assert b"<script>" not in response.content
    assert b"&lt;script&gt;" not in response.content  # escaped twice: a reader shows text
    feed = ET.fromstring(response.content)  # noqa: S314 - our own response
    item = feed.find("channel/item")
    assert item is not None
    assert item.findtext("title") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert item.findtext("description") == "&lt;img src=x onerror=y&gt;"


def test_it_serves_a_feed_from_the_cache_for_a_minute(
    cast: Cast, django_assert_num_queries
) -> None:
    make_notice(cast.federation, "第一条")
    client = cast.client(None)
    url = reverse("public:feed_rss", args=["all"])
    first = client.get(url)
    make_notice(cast.federation, "第二条")
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.content == first.content
