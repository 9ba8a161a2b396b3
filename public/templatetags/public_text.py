"""Template filters of the public site: highlight a search term, excerpt a notice."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from notices.models import Notice
from public import text

register = template.Library()


@register.filter
def highlight(value: str, query: str) -> SafeString:
    """Escape `value` and mark every occurrence of `query`."""
    return text.highlight(str(value), str(query or ""))


@register.filter
def excerpt_for(notice: Notice, query: str) -> str:
    """The summary, or the part of the text around the query."""
    return text.excerpt(summary=notice.summary, body_html=notice.body_html, query=str(query or ""))


@register.filter
def summary_or_text(notice: Notice, length: int = 120) -> str:
    """The summary, else the beginning of the text."""
    return text.summary_or_text(summary=notice.summary, body_html=notice.body_html, length=length)
