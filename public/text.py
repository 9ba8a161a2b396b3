"""Plain text from sanitised notice HTML, excerpts around a match, and safe highlighting."""

from __future__ import annotations

import html
import re

from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

_SPACE = re.compile(r"\s+")


def plain_text(body_html: str) -> str:
    """The words of a notice's HTML, without tags, entities decoded, spaces collapsed."""
    return _SPACE.sub(" ", html.unescape(strip_tags(body_html))).strip()


def summary_or_text(*, summary: str, body_html: str, length: int = 120) -> str:
    """The summary, else the beginning of the text, cut at `length` characters."""
    if summary:
        return summary
    return Truncator(plain_text(body_html)).chars(length)


def excerpt(*, summary: str, body_html: str, query: str, before: int = 40, after: int = 80) -> str:
    """The part of the summary or text that shows the query, for a search result."""
    if not query or query.casefold() in summary.casefold():
        return summary_or_text(summary=summary, body_html=body_html)
    text = plain_text(body_html)
    at = text.casefold().find(query.casefold())
    if at < 0:
        return summary_or_text(summary=summary, body_html=body_html)
    start, end = max(0, at - before), min(len(text), at + len(query) + after)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def highlight(text: str, query: str) -> SafeString:
    """`text` escaped, with every occurrence of `query` (any case) wrapped in <mark>."""
    if not query:
        return escape(text)
    parts = re.split(f"({re.escape(query)})", text, flags=re.IGNORECASE)
    marked = [
        f"<mark>{escape(part)}</mark>" if index % 2 else str(escape(part))
        for index, part in enumerate(parts)
    ]
    return mark_safe("".join(marked))  # noqa: S308 - every part is escaped above
