"""Notice text: Markdown rendered to HTML, then sanitised with an explicit allowlist (nh3).

Whatever a publisher types — or pastes from a hostile page — the stored HTML carries no
script, no event handler, no `javascript:`/`data:` URL, no style attribute or `<style>`
element, no form, frame or object. Links get `rel="noopener noreferrer nofollow"`;
images load only from http(s) addresses. Titles and summaries are plain text: control
and bidirectional-override characters are removed and templates escape the rest.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape

import markdown as md  # type: ignore[import-untyped]
import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
        "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# Removed together with their content (not just the tags).
DROPPED_WITH_CONTENT: frozenset[str] = frozenset({"script", "style", "template", "noscript"})

MAX_TITLE = 200
_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "nl2br"]
_NUMBER = re.compile(r"^[0-9]{1,4}$")
_SPACES = re.compile(r"\s+")
# Bidirectional overrides and isolates can make text read differently from what it is.
_FORMAT_CHARACTERS = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.lower().startswith(("https://", "http://")) else None
    if attribute in {"width", "height", "colspan", "rowspan", "start"}:
        return value if _NUMBER.match(value) else None
    return value


def _relative_url(url: str) -> str | None:
    """Keep links within this site ("/notices/5/", "#part-2"); drop the rest
    (protocol-relative "//elsewhere", backslash tricks, bare words)."""
    if url.startswith("#") or (url.startswith("/") and not url.startswith(("//", "/\\"))):
        return url
    return None


def sanitize_html(html: str) -> str:
    """Sanitise an HTML fragment with the notice allowlist."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=set(URL_SCHEMES),
        url_relative=_relative_url,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """The sanitised HTML of a notice's Markdown text."""
    text = clean_text(text, multiline=True)
    if not text.strip():
        return ""
    html = md.markdown(text, extensions=_EXTENSIONS, output_format="html")
    return sanitize_html(html)


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Text without control or invisible direction-changing characters (NFC)."""
    text = unicodedata.normalize("NFC", text or "")
    text = _FORMAT_CHARACTERS.sub("", text)
    keep = {"\n", "\t"} if multiline else set()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch if ch in keep or unicodedata.category(ch) != "Cc" else ("" if multiline else " ")
        for ch in text
    )


def clean_line(text: str, *, max_length: int = MAX_TITLE) -> str:
    """A title or summary: one line of plain text, spaces collapsed, trimmed."""
    return _SPACES.sub(" ", clean_text(text)).strip()[:max_length]


def plain_text(text: str, *, max_length: int = 200) -> str:
    """Markdown reduced to plain text (for a message body or a preview line)."""
    html = render_markdown(text)
    stripped = nh3.clean(html, tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT))
    words = _SPACES.sub(" ", unescape(stripped)).strip()
    return words if len(words) <= max_length else words[: max_length - 1].rstrip() + "…"
