"""The public site: home, news centre, directory, rumours, search. Reads only; nothing internal.

Every page is open to anyone (signed in or not) and shows only what `public.selectors`
lets out. A withdrawn public notice answers 410 Gone with the date and the stated reason
(not its text), so a shared link says what happened instead of "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import nh3
import segno
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from lib.access import Audience, access
from lib.pages import paginate
from notices.models import SOURCED_CATEGORIES, Category, Notice
from public import selectors
from public.text import summary_or_text

NEWS_PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 20
QUERY_MAX_CHARS = 100
SHARE_IMAGE = "img/share.png"


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str


@dataclass(frozen=True)
class FeedLink:
    title: str
    rss: str
    atom: str


@dataclass(frozen=True)
class CategoryTab:
    value: str
    label: str
    url: str


@dataclass
class Page:
    """What every public page tells the browser, search engines and WeChat about itself."""

    heading: str
    crumbs: list[Crumb] = field(default_factory=list)
    description: str = ""
    share_title: str = ""
    kind: str = "website"
    feeds: list[FeedLink] = field(default_factory=list)
    noindex: bool = False
    section: str = "news"


def _home_crumb() -> Crumb:
    return Crumb(_("Home"), reverse("public:home"))


def _news_crumbs() -> list[Crumb]:
    return [_home_crumb(), Crumb(_("News centre"), reverse("public:news"))]


def _feed_link(category: str, label: str) -> FeedLink:
    return FeedLink(
        title=label,
        rss=reverse("public:feed_rss", kwargs={"category": category}),
        atom=reverse("public:feed_atom", kwargs={"category": category}),
    )


def _all_feed() -> FeedLink:
    return _feed_link("all", _("All news"))


def _category_tabs() -> list[CategoryTab]:
    return [
        CategoryTab(c.value, str(c.label), reverse("public:category", args=[c.value]))
        for c in selectors.CATEGORY_ORDER
    ]


def _render(
    request: HttpRequest,
    template: str,
    page: Page,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    site = selectors.site_name() or _("Tongzhou")
    parts = [page.heading, *(c.label for c in reversed(page.crumbs[1:])), site]
    title = " - ".join(part for part in dict.fromkeys(parts) if part)
    canonical = request.build_absolute_uri(request.path)
    number = request.GET.get("page", "")
    if number.isdigit() and number != "1":
        canonical += f"?page={number}"
    meta = {
        "title": title,
        "site_name": site,
        "heading": page.heading,
        "crumbs": page.crumbs,
        "description": page.description
        or _(
            "News, policies, initiatives and rumour clarifications from %(name)s and its"
            " associations."
        )
        % {"name": site},
        "share_title": page.share_title or page.heading or site,
        "kind": page.kind,
        "canonical": canonical,
        "image": request.build_absolute_uri(static(SHARE_IMAGE)),
        "feeds": page.feeds,
        "noindex": page.noindex,
        "section": page.section,
    }
    return render(request, template, {"meta": meta, **context}, status=status)


@access(Audience.PUBLIC)
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The federation, its latest initiative, the latest news of every category."""
    latest = selectors.notice_public_latest_by_category(per_category=5)
    organizations = selectors.organization_public_list()
    federation = next((o for o in organizations if o.is_federation), None)
    initiatives = latest.get(Category.INITIATIVE, [])
    sections = [
        (tab, latest.get(tab.value, []))
        for tab in _category_tabs()
        if tab.value != Category.RUMOUR and latest.get(tab.value)
    ]
    page = Page(
        heading="",
        description=federation.description[:150] if federation else "",
        feeds=[_all_feed()],
        section="home",
    )
    return _render(
        request,
        "public/home.html",
        page,
        {
            "federation": federation,
            "associations": [o for o in organizations if not o.is_federation],
            "initiative": initiatives[0] if initiatives else None,
            "sections": sections,
            "rumours": latest.get(Category.RUMOUR, [])[:3],
        },
    )


@access(Audience.PUBLIC)
@require_safe
def news(request: HttpRequest) -> HttpResponse:
    """Every public notice, newest first."""
    page = Page(
        heading=_("News centre"),
        crumbs=[_home_crumb()],
        feeds=[_all_feed()],
    )
    notices = selectors.notice_public_list()
    return _render(
        request,
        "public/notice_list.html",
        page,
        {
            "tabs": _category_tabs(),
            "current": "",
            **paginate(request, notices, per_page=NEWS_PAGE_SIZE),
        },
    )


@access(Audience.PUBLIC)
@require_safe
def category(request: HttpRequest, category: str) -> HttpResponse:
    """The public notices of one category."""
    if not selectors.is_public_category(category):
        raise Http404
    label = str(Category(category).label)
    page = Page(
        heading=label,
        crumbs=_news_crumbs(),
        description=_("%(category)s: the latest from the news centre.") % {"category": label},
        feeds=[_feed_link(category, label), _all_feed()],
    )
    notices = selectors.notice_public_list(category=category)
    return _render(
        request,
        "public/notice_list.html",
        page,
        {
            "tabs": _category_tabs(),
            "current": category,
            **paginate(request, notices, per_page=NEWS_PAGE_SIZE),
        },
    )


@access(Audience.PUBLIC)
@require_safe
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One public notice: text, source, validity, attachments, its neighbours."""
    try:
        notice = selectors.notice_public_get(pk=pk)
    except Http404:
        withdrawn = selectors.notice_withdrawn_get(pk=pk)
        if withdrawn is None:
            raise
        return _withdrawn(request, withdrawn)
    label = str(Category(notice.category).label)
    newer, older = selectors.notice_public_neighbours(notice=notice)
    page = Page(
        heading=notice.title,
        crumbs=[*_news_crumbs(), Crumb(label, reverse("public:category", args=[notice.category]))],
        description=summary_or_text(summary=notice.summary, body_html=notice.body_html),
        share_title=notice.title,
        kind="article",
        feeds=[_feed_link(notice.category, label)],
    )
    today = timezone.localdate()
    return _render(
        request,
        "public/notice_detail.html",
        page,
        {
            "notice": notice,
            "category_label": label,
            "sourced": notice.category in SOURCED_CATEGORIES
            or bool(notice.source_url or notice.source_name),
            "expired": notice.valid_until is not None and notice.valid_until < today,
            # Sanitised when it was rendered (notices); cleaned again because this page
            # is open to anyone.
            "body_html": mark_safe(nh3.clean(notice.body_html)),  # noqa: S308
            "source_href": _web_link(notice.source_url),
            "qr_svg": mark_safe(  # noqa: S308 - segno's own SVG of our URL
                segno.make(request.build_absolute_uri(request.path)).svg_inline(
                    scale=3, omitsize=True
                )
            ),
            "attachments": list(notice.attachments.all()),
            "newer": newer,
            "older": older,
        },
    )


def _web_link(url: str) -> str:
    """The URL when it is an http(s) link, else "" (never a javascript: link)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def _withdrawn(request: HttpRequest, notice: Notice) -> HttpResponse:
    label = str(Category(notice.category).label)
    page = Page(
        heading=_("Withdrawn"),
        crumbs=[*_news_crumbs(), Crumb(label, reverse("public:category", args=[notice.category]))],
        noindex=True,
    )
    return _render(request, "public/notice_withdrawn.html", page, {"notice": notice}, status=410)


@access(Audience.PUBLIC)
@require_safe
def attachment(request: HttpRequest, notice_pk: int, pk: int) -> FileResponse:
    """Download an attachment of a public notice under its original name."""
    file = selectors.attachment_public_get(notice_pk=notice_pk, pk=pk)
    try:
        handle = file.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=file.name, content_type=file.content_type
    )
    response["Content-Security-Policy"] = "sandbox"
    return response


@access(Audience.PUBLIC)
@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    """The federation and its associations: profile, contact, members."""
    organizations = selectors.organization_public_list()
    page = Page(
        heading=_("Directory"),
        crumbs=[_home_crumb()],
        description=_("The federation and its associations: who they are and how to reach them."),
        section="directory",
    )
    return _render(
        request,
        "public/directory.html",
        page,
        {
            "federation": next((o for o in organizations if o.is_federation), None),
            "associations": [o for o in organizations if not o.is_federation],
        },
    )


@access(Audience.PUBLIC)
@require_safe
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An association's (or the federation's) profile with its latest public notices."""
    org = selectors.organization_public_get(pk=pk)
    page = Page(
        heading=org.name,
        crumbs=[_home_crumb(), Crumb(_("Directory"), reverse("public:directory"))],
        description=org.description[:150],
        share_title=org.name,
        section="directory",
    )
    notices = selectors.notice_public_list(publisher_id=org.pk)[:10]
    return _render(
        request,
        "public/organization_detail.html",
        page,
        {"org": org, "notices": list(notices)},
    )


@access(Audience.PUBLIC)
@require_safe
def rumours(request: HttpRequest) -> HttpResponse:
    """Rumour clarifications as "rumour / truth" cards."""
    label = str(Category.RUMOUR.label)
    page = Page(
        heading=label,
        crumbs=[_home_crumb()],
        description=_("What is being said, and what is true."),
        feeds=[_feed_link(Category.RUMOUR, label)],
        section="rumours",
    )
    notices = selectors.notice_public_list(category=Category.RUMOUR, with_body=True)
    return _render(
        request,
        "public/rumours.html",
        page,
        paginate(request, notices, per_page=NEWS_PAGE_SIZE),
    )


@access(Audience.PUBLIC)
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Search the public notices' titles, summaries and texts."""
    raw = request.GET.get("q", "")
    query = " ".join(raw.split())[:QUERY_MAX_CHARS]
    page = Page(heading=_("Search"), crumbs=[_home_crumb()], noindex=True, section="search")
    context: dict[str, Any] = {"query": query, "truncated": len(" ".join(raw.split())) > len(query)}
    if query:
        results = selectors.notice_public_search(query=query)
        context.update(paginate(request, results, per_page=SEARCH_PAGE_SIZE))
    return _render(request, "public/search.html", page, context)
