"""RSS and Atom feeds of the public notices: all of them, or one category.

Links are absolute (Feed builds them from the request through RequestSite; the sites
framework is not installed). Feeds are cached for a minute: they carry nothing personal
and feed readers poll them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from notices.models import Category, Notice
from public import selectors
from public.text import summary_or_text

FEED_ITEMS = 30
ALL = "all"


@dataclass(frozen=True)
class FeedScope:
    """What a feed covers: one category, or every one ("" = all)."""

    category: str
    label: str
    site: str


class NoticeRssFeed(Feed[Notice, FeedScope]):
    """The latest public notices as RSS 2.0."""

    def get_object(self, request: HttpRequest, *args: object, **kwargs: object) -> FeedScope:
        category = str(kwargs.get("category", ""))
        site = selectors.site_name() or _("Tongzhou")
        if category == ALL:
            return FeedScope("", _("All news"), site)
        if not selectors.is_public_category(category):
            raise Http404
        return FeedScope(category, str(Category(category).label), site)

    def title(self, obj: FeedScope) -> str:
        return f"{obj.label} - {obj.site}"

    def link(self, obj: FeedScope) -> str:
        if obj.category:
            return reverse("public:category", args=[obj.category])
        return reverse("public:news")

    def description(self, obj: FeedScope) -> str:
        return _("%(category)s from the news centre of %(name)s.") % {
            "category": obj.label,
            "name": obj.site,
        }

    def items(self, obj: FeedScope) -> list[Notice]:
        return list(
            selectors.notice_public_list(category=obj.category, with_body=True)[:FEED_ITEMS]
        )

    def item_title(self, item: Notice) -> str:
        # Readers may treat RSS titles as HTML: escaped, like Django's default.
        return escape(item.title)

    def item_description(self, item: Notice) -> str:
        # Descriptions are HTML to a reader; the plain summary is escaped so it stays text.
        return escape(summary_or_text(summary=item.summary, body_html=item.body_html, length=200))

    def item_link(self, item: Notice) -> str:
        return reverse("public:notice_detail", args=[item.pk])

    def item_pubdate(self, item: Notice) -> dt.datetime | None:
        return item.published_at

    def item_updateddate(self, item: Notice) -> dt.datetime:
        return item.updated_at

    def item_author_name(self, item: Notice) -> str:
        return item.publisher.short_name or item.publisher.name

    def item_categories(self, item: Notice) -> tuple[str, ...]:
        return (str(Category(item.category).label),)


class NoticeAtomFeed(NoticeRssFeed):
    """The same, as Atom 1.0."""

    feed_type = Atom1Feed

    def subtitle(self, obj: FeedScope) -> str:
        return self.description(obj)
