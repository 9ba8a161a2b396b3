"""Hostile input on every form: nothing answers 500, and markup never comes back live.

Each page with a POST form is opened by a cast member allowed to use it; every field the
form shows is then filled with one payload at a time (script tags, event handlers, SQL,
NUL, full-width junk), and a 10 MB value is sent in the first text field.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from conftest import Cast
from lib.access import Audience
from tongzhou.tests.test_url_access import ALL_PATTERNS, object_for, rule_of, url_keys

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' OR 1=1; DROP TABLE orgs_organization; --",
    "\x00\x01\x1f",
    "１２３４５６７８９０１２３４５６７８",
    "𠀀" * 300,
]
LIVE_MARKUP = [b"<script>alert(1)</script>", b"<img src=x onerror=alert(1)>"]
# Actions without fields, or that end the session, are not forms to fill.
SKIP = ("delete", "revoke", "logout", "switch", "set_language", "decide", "reveal", "export")
FIELD = re.compile(rb'<(?:input|select|textarea)[^>]*\bname="([^"]+)"[^>]*>')
TYPE = re.compile(rb'\btype="([^"]+)"')


def _user_for(audience: Audience, cast: Cast) -> Any:
    return {
        Audience.PUBLIC: None,
        Audience.TOKEN: None,
        Audience.SIGNED_IN: cast.enterprise_admin,
        Audience.MEMBER: cast.enterprise_admin,
        Audience.ENTERPRISE: cast.enterprise_admin,
        Audience.ASSOCIATION: cast.association_officer,
        Audience.STEWARD: cast.association_officer,
        Audience.FEDERATION: cast.federation_officer,
    }[audience]


def _fields(html: bytes) -> list[str]:
    names = []
    for match in FIELD.finditer(html):
        kind = TYPE.search(match.group(0))
        if kind and kind.group(1) in {b"hidden", b"submit", b"file", b"checkbox", b"radio"}:
            continue
        name = match.group(1).decode()
        if name not in {"csrfmiddlewaretoken", "language", "next"} and name not in names:
            names.append(name)
    return names


@pytest.mark.django_db
def test_it_never_answers_500_to_hostile_form_input(cast: Cast) -> None:
    from tongzhou.tests.test_url_access import _emergency

    _emergency()  # the rule form needs a current emergency
    forms_probed = 0
    failures: list[str] = []
    for name, pattern in ALL_PATTERNS:
        rule = rule_of(pattern)
        if rule is None or any(word in name for word in SKIP):
            continue
        kwargs: dict[str, Any] | None = {}
        if url_keys(name, pattern):
            kwargs = object_for(name, cast)
            if kwargs is None:
                continue
        url = reverse(name, kwargs=kwargs)
        client = cast.client(_user_for(rule.audience, cast))
        page = client.get(url)
        if page.status_code != 200 or page.streaming or b'method="post"' not in page.content:
            continue
        fields = _fields(page.content)
        if not fields:
            continue
        forms_probed += 1
        for payload in PAYLOADS:
            response = client.post(url, dict.fromkeys(fields, payload))
            if response.status_code >= 500:
                failures.append(f"{name} {payload[:20]!r}: {response.status_code}")
            for markup in LIVE_MARKUP:
                if markup in response.content:
                    failures.append(f"{name} reflects {markup!r} unescaped")
        huge = client.post(url, {fields[0]: "名" * 3_500_000})  # ~10 MB of UTF-8
        if huge.status_code >= 500:
            failures.append(f"{name} 10 MB: {huge.status_code}")
    assert forms_probed >= 10
    assert failures == []


QUERY_PARAMETERS = [
    "q",
    "search",
    "action",
    "status",
    "sector",
    "district",
    "association",
    "site",
    "critical",
    "page",
    "personal",
    "home_province",
    "home_city",
]


@pytest.mark.django_db
def test_it_never_answers_500_to_hostile_query_strings(cast: Cast) -> None:
    failures: list[str] = []
    pages = 0
    for name, pattern in ALL_PATTERNS:
        rule = rule_of(pattern)
        if rule is None or url_keys(name, pattern) or any(word in name for word in SKIP):
            continue
        client = cast.client(_user_for(rule.audience, cast))
        url = reverse(name)
        pages += 1
        for payload in ["\x00", "' OR 1=1 --", "<script>alert(1)</script>", "9" * 30, "-1"]:
            response = client.get(url, dict.fromkeys(QUERY_PARAMETERS, payload))
            if response.status_code >= 500:
                failures.append(f"{name} {payload!r}: {response.status_code}")
            if b"<script>alert(1)</script>" in response.content:
                failures.append(f"{name} reflects the script tag")
    assert pages >= 15
    assert failures == []
