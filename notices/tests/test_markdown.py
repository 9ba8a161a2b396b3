"""Hostile Markdown and titles: every vector of a published XSS list (a sample of the OWASP
XSS filter evasion cheat sheet, notices/tests/data/xss_vectors.txt) comes out without a
script, an event handler, a javascript:/data: URL, a style or any tag outside the allowlist;
pages show titles and summaries as text."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import Cast
from notices.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    clean_line,
    plain_text,
    render_markdown,
    sanitize_html,
)
from notices.models import AudienceKind, Category
from notices.services import NoticeInput, notice_create

DATA = Path(__file__).parent / "data" / "xss_vectors.txt"
FILE_VECTORS = [
    line
    for line in DATA.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("# ")
]
# Vectors with characters a text file would mangle (from the same cheat sheet).
BUILT_VECTORS = [
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    '<IMG SRC=java\x00script:alert("XSS")>',
    "<SCRIPT\nSRC=http://xss.rocks/xss.js></SCRIPT>",
    '<a href="java\nscript:alert(1)">x</a>',
    "<IMG\nSRC\n=\n\"\nj\na\nv\na\ns\nc\nr\ni\np\nt\n:\na\nl\ne\nr\nt\n(\n'\nX\nS\nS\n'\n)\n\"\n>",
    "[x](java\tscript:alert(1))",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x][r]\n\n[r]: data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<img src=x\x0conerror=alert(1)>",
    '<a href="\x01javascript:alert(1)">x</a>',
    "\u202e<script>alert(1)</script>",
]
VECTORS = FILE_VECTORS + BUILT_VECTORS
URL_ATTRIBUTES = {"href", "src"}
SAFE_SCHEMES = {"http", "https", "mailto"}


class _Audit(HTMLParser):
    """Everything in an HTML fragment that could run or restyle: should stay empty."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            if name.startswith("on") or name not in allowed:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value is not None:
                problem = _url_problem(tag, value)
                if problem:
                    self.problems.append(problem)
            if name == "rel" and value != "noopener noreferrer nofollow":
                self.problems.append(f"rel={value!r}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.problems.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.problems.append("processing instruction")


def _url_problem(tag: str, value: str) -> str | None:
    squeezed = re.sub(r"[\x00-\x20\x7f]+", "", unescape(value)).lower()
    if squeezed.startswith("//"):
        return f"protocol-relative URL {value!r}"
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", squeezed)
    if scheme and scheme.group(1) not in SAFE_SCHEMES:
        return f"{scheme.group(1)}: URL {value!r}"
    if tag == "img" and not squeezed.startswith(("http://", "https://")):
        return f"image from {value!r}"
    return None


def _audit(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def test_it_reads_a_good_sample_of_the_cheat_sheet() -> None:
    assert len(FILE_VECTORS) >= 100
    assert any("onerror" in v for v in FILE_VECTORS)
    assert any("expression(" in v for v in FILE_VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=[f"v{i}" for i in range(len(VECTORS))])
def test_it_neutralises_the_vector_in_markdown(vector: str) -> None:
    html = render_markdown(vector)
    assert _audit(html) == []
    lowered = html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in re.sub(r"\s+", "", unescape(_attributes_only(html))).lower()
    assert "style=" not in lowered


def _attributes_only(html: str) -> str:
    """The text of every tag's attributes (a javascript: in prose is harmless text)."""
    return " ".join(re.findall(r"<[a-z0-9]+\s([^>]*)>", html, flags=re.IGNORECASE))


@pytest.mark.parametrize("vector", VECTORS, ids=[f"v{i}" for i in range(len(VECTORS))])
def test_it_sanitises_raw_html_the_same_way(vector: str) -> None:
    assert _audit(sanitize_html(vector)) == []


@pytest.mark.parametrize("vector", VECTORS, ids=[f"v{i}" for i in range(len(VECTORS))])
def test_it_makes_titles_one_line_of_text(vector: str) -> None:
    title = clean_line(vector)
    assert len(title) <= 200
    assert not re.search(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", title)


def test_it_keeps_ordinary_markdown() -> None:
    html = render_markdown(
        "# 标题\n\n**加粗** *斜体* ~~x~~\n\n- 一\n- 二\n\n1. 甲\n2. 乙\n\n"
        "| 项目 | 要求 |\n|---|---|\n| 测温 | 每日两次 |\n\n"
        "[卫健委](https://wjw.sz.gov.cn/) [邮件](mailto:a@b.cn) [本站](/notices/)\n\n"
        "![图](https://example.com/a.png)\n\n```\n<b>代码</b>\n```\n\n> 引用"
    )
    for fragment in (
        "<h1>标题</h1>",
        "<strong>加粗</strong>",
        "<em>斜体</em>",
        "<li>一</li>",
        "<ol>",
        "<table>",
        "<td>每日两次</td>",
        '<a href="https://wjw.sz.gov.cn/" rel="noopener noreferrer nofollow">卫健委</a>',
        'href="mailto:a@b.cn"',
        'href="/notices/"',
        '<img alt="图" src="https://example.com/a.png">',
        "&lt;b&gt;代码&lt;/b&gt;",
        "<blockquote>",
    ):
        assert fragment in html, fragment
    assert _audit(html) == []


def test_it_breaks_single_newlines_and_drops_control_characters() -> None:
    assert render_markdown("一行\n二行\x00\x07") == "<p>一行<br>\n二行</p>"
    assert render_markdown("   ") == ""


def test_it_makes_plain_text_for_messages() -> None:
    assert plain_text("**注意** <script>alert(1)</script> [链接](https://x.cn) & 其他") == (
        "注意 链接 & 其他"
    )
    assert plain_text("字" * 300, max_length=10) == "字" * 9 + "…"


def _start_tags(html: bytes) -> list[tuple[str, tuple[str, ...]]]:
    tags: list[tuple[str, tuple[str, ...]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append((tag, tuple(sorted(name for name, _ in attrs))))

    Collect().feed(html.decode())
    return tags


PAGE_VECTORS = [v for v in VECTORS if clean_line(v)]


def test_it_shows_hostile_titles_summaries_and_sources_as_text_on_the_pages(
    cast: Cast,
) -> None:
    """Each vector as the title, summary, source name and verifier of a notice: the pages
    have exactly the markup they have for a harmless notice."""
    client = cast.client(cast.federation_officer)

    def page(text: str) -> bytes:
        notice = notice_create(
            actor=cast.federation_officer,
            publisher=cast.federation,
            data=NoticeInput(
                category=Category.GOVERNMENT,
                title=text[:200],
                summary=text[:300],
                source_url="https://www.gd.gov.cn/",
                source_name=text[:120],
                verified_by=text[:60],
                audience_kind=AudienceKind.ALL_ASSOCIATIONS,
            ),
        )
        detail = client.get(f"/notices/{notice.pk}/")
        assert detail.status_code == 200
        return detail.content

    baseline = _start_tags(page("一则普通的政府信息"))
    failures = []
    for index, vector in enumerate(PAGE_VECTORS):
        if _start_tags(page(vector)) != baseline:
            failures.append(index)
    assert failures == []
    listing = client.get("/notices/")
    assert listing.status_code == 200
    for marker in (b"<script>alert", b"<img src=x onerror", b"<svg/onload"):
        assert marker not in listing.content.lower()


def test_it_publishes_hostile_text_without_live_markup_on_the_page(cast: Cast) -> None:
    client = cast.client(cast.federation_officer)
    body = "\n\n".join(VECTORS)
    notice = notice_create(
        actor=cast.federation_officer,
        publisher=cast.federation,
        data=NoticeInput(
            category=Category.RUMOUR,
            title="辟谣",
            body_md=body,
            audience_kind=AudienceKind.ALL_ASSOCIATIONS,
        ),
    )
    assert _audit(notice.body_html) == []
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    start = page.index('<div class="tz-notice-body">')
    end = page.index("</article>")
    fragment = page[start:end]
    assert notice.body_html in fragment
    assert _audit(fragment.replace('<div class="tz-notice-body">', "<div>", 1)) == []
