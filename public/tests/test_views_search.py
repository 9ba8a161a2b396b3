"""Site search over public notices: finds, highlights safely, never breaks."""

from __future__ import annotations

from django.urls import reverse

from conftest import Cast
from public.tests.factories import make_notice


def _search(cast: Cast, q: str, **extra: str) -> str:
    response = cast.client(None).get(reverse("public:search"), {"q": q, **extra})
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_a_hint_without_a_query(cast: Cast) -> None:
    page = cast.client(None).get(reverse("public:search")).content.decode()
    assert "Type a word or two" in page
    assert "in all" not in page
    assert '<meta name="robots" content="noindex">' in page


def test_it_finds_words_in_title_summary_and_text(cast: Cast) -> None:
    make_notice(cast.federation, "关于口罩的通知")
    make_notice(cast.federation, "摘要里有", summary="请备好口罩")
    make_notice(
        cast.federation, "正文里有", body_html="<p>员工须佩戴<strong>口罩</strong>上岗。</p>"
    )
    make_notice(cast.federation, "无关的资讯")
    page = _search(cast, "口罩")
    for title in ("关于<mark>口罩</mark>的通知", "摘要里有", "正文里有"):
        assert title in page
    assert "无关的资讯" not in page
    assert "员工须佩戴<mark>口罩</mark>上岗。" in page  # an excerpt of the text, marked
    assert "3 in all" in page


def test_it_matches_regardless_of_case(cast: Cast) -> None:
    make_notice(cast.federation, "Return to WORK plan")
    assert "<mark>WORK</mark>" in _search(cast, "work")


def test_it_says_when_nothing_is_found(cast: Cast) -> None:
    page = _search(cast, "不存在的词")
    assert "Nothing found for “不存在的词”." in page


def test_it_never_reflects_live_markup(cast: Cast) -> None:
    make_notice(cast.federation, "标题 <script>alert(1)</script> 测试")
    for q in ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'):
        page = _search(cast, q)
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x onerror=alert(1)>" not in page
    page = _search(cast, "<script>")
    assert 'value="&lt;script&gt;"' in page
    assert "标题 <mark>&lt;script&gt;</mark>alert(1)&lt;/script&gt; 测试" in page


def test_it_caps_a_long_query(cast: Cast) -> None:
    make_notice(cast.federation, "复" * 120)
    page = _search(cast, "复" * 10_000)
    assert "Only the first 100 characters were searched." in page
    assert 'value="' + "复" * 100 + '"' in page
    assert "1 in all" in page


def test_it_refuses_a_nul_character(cast: Cast) -> None:
    response = cast.client(None).get(reverse("public:search"), {"q": "口罩\x00"})
    assert response.status_code == 400


def test_it_survives_hostile_paging_and_sql_looking_input(cast: Cast) -> None:
    make_notice(cast.federation, "资讯")
    for q, page in [("' OR 1=1 --", "1"), ("%", "-1"), ("_", "9" * 30), ("资讯", "abc")]:
        _search(cast, q, page=page)


def test_it_keeps_the_query_when_paging(cast: Cast) -> None:
    for day in range(25):
        make_notice(cast.federation, f"复工资讯{day}", days_ago=day + 1)
    page = _search(cast, "复工")
    assert "?q=%E5%A4%8D%E5%B7%A5&amp;page=2" in page
    second = _search(cast, "复工", page="2")
    assert second.count('class="tz-news-item"') == 5
