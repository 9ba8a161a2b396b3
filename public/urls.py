from collections.abc import Callable

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.cache import cache_page

from lib.access import Audience, access
from public import feeds, views

app_name = "public"

FEED_CACHE_SECONDS = 60


def _feed(feed: feeds.NoticeRssFeed) -> Callable[..., HttpResponse]:
    """A feed open to anyone, cached for a minute (it carries nothing personal)."""
    return access(Audience.PUBLIC)(cache_page(FEED_CACHE_SECONDS, key_prefix="public-feed")(feed))


urlpatterns = [
    path("", views.home, name="home"),
    path("news/", views.news, name="news"),
    path("news/<int:pk>/", views.notice_detail, name="notice_detail"),
    path(
        "news/<int:notice_pk>/attachments/<int:pk>/",
        views.attachment,
        name="attachment",
    ),
    path("news/<slug:category>/", views.category, name="category"),
    path("directory/", views.directory, name="directory"),
    path("directory/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("rumours/", views.rumours, name="rumours"),
    path("search/", views.search, name="search"),
    path("feeds/<slug:category>/rss/", _feed(feeds.NoticeRssFeed()), name="feed_rss"),
    path("feeds/<slug:category>/atom/", _feed(feeds.NoticeAtomFeed()), name="feed_atom"),
]
