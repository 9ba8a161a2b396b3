"""Notices made directly through the ORM, so these tests do not depend on the publishing
services: the public site only reads what is stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.html import strip_tags

from notices.models import SOURCED_CATEGORIES, AudienceKind, Category, Notice
from orgs.models import Organization

# Every title, summary and text of a notice the public must not see carries this word;
# a test collects every public response and looks for it.
HIDDEN = "HIDDENZX"


def make_notice(
    publisher: Organization,
    title: str,
    *,
    category: str = Category.NEWS,
    is_public: bool = True,
    status: str = Notice.Status.PUBLISHED,
    days_ago: float = 1,
    body_html: str = "<p>正文内容。</p>",
    **fields: Any,
) -> Notice:
    published_at = timezone.now() - dt.timedelta(days=days_ago)
    if category in SOURCED_CATEGORIES:
        fields.setdefault("source_url", "https://www.gov.cn/zhengce/2020-02/09/content_1.htm")
        fields.setdefault("source_name", "中国政府网")
    return Notice.objects.create(
        publisher=publisher,
        category=category,
        title=title,
        is_public=is_public,
        status=status,
        published_at=published_at if status != Notice.Status.DRAFT else None,
        body_html=body_html,
        # A real notice has both: the Markdown it was written in and its rendering.
        body_md=fields.pop("body_md", strip_tags(body_html)),
        **fields,
    )


def make_hidden_notices(cast: Any) -> list[Notice]:
    """One notice of every kind the public site must never show."""
    hidden = f"<p>{HIDDEN} body</p>"
    summary = f"{HIDDEN} summary"
    future = timezone.now() + dt.timedelta(days=3)
    directive = make_notice(cast.federation, "公开的通知", category=Category.DIRECTIVE)
    return [
        make_notice(
            cast.federation,
            f"{HIDDEN} draft",
            status=Notice.Status.DRAFT,
            summary=summary,
            body_html=hidden,
        ),
        make_notice(
            cast.federation,
            f"{HIDDEN} scheduled",
            status=Notice.Status.SCHEDULED,
            days_ago=-2,
            publish_at=future,
            summary=summary,
            body_html=hidden,
        ),
        make_notice(
            cast.federation,
            f"{HIDDEN} withdrawn",
            status=Notice.Status.WITHDRAWN,
            summary=summary,
            body_html=hidden,
            withdrawn_at=timezone.now(),
            withdrawn_reason="被新通知取代",
        ),
        make_notice(
            cast.federation,
            f"{HIDDEN} internal directive",
            category=Category.DIRECTIVE,
            is_public=False,
            audience_kind=AudienceKind.ALL_ASSOCIATIONS,
            summary=summary,
            body_html=hidden,
        ),
        make_notice(
            cast.enterprise,
            f"{HIDDEN} to our staff",
            is_public=False,
            audience_kind=AudienceKind.EMPLOYEES,
            summary=summary,
            body_html=hidden,
        ),
        make_notice(
            cast.enterprise,
            f"{HIDDEN} enterprise marked public",
            category=Category.RUMOUR,
            summary=summary,
            body_html=hidden,
        ),
        make_notice(
            cast.association,
            f"{HIDDEN} relay",
            category=Category.DIRECTIVE,
            parent=directive,
            root=directive,
            summary=summary,
            body_html=hidden,
        ),
        make_notice(
            cast.federation,
            f"{HIDDEN} published in the future",
            days_ago=-1,
            summary=summary,
            body_html=hidden,
        ),
    ]
