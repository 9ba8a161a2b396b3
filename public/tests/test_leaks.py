"""Nothing internal reaches the public: every public response is collected and searched
for the marker carried by the title, summary and text of every notice that is not public
(drafts, scheduled, withdrawn, internal directives, an enterprise's notices to its staff,
relays, notices dated in the future)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import Cast
from notices.models import Category
from public.tests.factories import HIDDEN, make_hidden_notices, make_notice


def _public_urls(cast: Cast) -> list[str]:
    visible = [
        make_notice(cast.federation, "公开的倡议", category=Category.INITIATIVE),
        make_notice(cast.association, "公开的资讯", summary="复工准备"),
        make_notice(cast.federation, "公开的辟谣", category=Category.RUMOUR),
    ]
    categories = [c.value for c in Category]
    return [
        reverse("public:home"),
        reverse("public:news"),
        *[reverse("public:category", args=[c]) for c in categories],
        *[reverse("public:notice_detail", args=[n.pk]) for n in visible],
        reverse("public:directory"),
        reverse("public:organization_detail", args=[cast.federation.pk]),
        reverse("public:organization_detail", args=[cast.association.pk]),
        reverse("public:organization_detail", args=[cast.other_association.pk]),
        reverse("public:rumours"),
        *[reverse("public:search") + f"?q={q}" for q in (HIDDEN, "summary", "body", "公开")],
        *[
            reverse(f"public:feed_{kind}", args=[c])
            for kind in ("rss", "atom")
            for c in ["all", *categories]
        ],
    ]


@pytest.mark.parametrize("who", ["anonymous", "federation", "enterprise_admin"])
def test_it_never_shows_a_notice_that_is_not_public(cast: Cast, who: str) -> None:
    hidden = make_hidden_notices(cast)
    client: Client = cast.client(cast.members[who])
    responses = [(url, client.get(url)) for url in _public_urls(cast)]
    for notice in hidden:
        url = reverse("public:notice_detail", args=[notice.pk])
        response = client.get(url)
        assert response.status_code in {404, 410}, notice.title
        responses.append((url, response))
    for url, response in responses:
        assert response.status_code in {200, 404, 410}, url
        if HIDDEN in url:  # the search page repeats the query: it must find nothing
            assert b"Nothing found for" in response.content
            assert b'class="tz-news-item"' not in response.content
            continue
        assert HIDDEN.encode() not in response.content, url
    # Only the withdrawn one says it was withdrawn; the rest simply do not exist.
    assert sorted(r.status_code for _, r in responses[-len(hidden) :]) == [404] * 7 + [410]


def test_it_shows_no_author_or_internal_detail(cast: Cast) -> None:
    make_notice(
        cast.federation,
        "公开的通知",
        category=Category.DIRECTIVE,
        author=cast.federation_officer,
        requires_ack=True,
        body_md="MARKDOWNSOURCE",
    )
    client = cast.client(None)
    for url in _public_urls(cast):
        html = client.get(url).content.decode()
        assert cast.federation_officer.name not in html, url
        assert cast.federation_officer.mobile not in html, url
        assert "MARKDOWNSOURCE" not in html, url
