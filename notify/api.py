"""The signed-in user's inbox over the JSON API (a browser session; API keys act for an
enterprise, not a person, and are refused)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja.errors import HttpError

from accounts.models import User
from lib.access import Audience
from lib.api import ScopedRouter, api_access, grant_of
from notify import selectors, services
from notify.models import InboxItem

router = ScopedRouter(tags=["inbox"])


class InboxItemOut(Schema):
    """One message of the inbox; `url` is a path in the app."""

    id: int
    subject: str
    body: str
    url: str
    organization: int | None = Field(
        None, description="The organisation the message was sent to you as a member of."
    )
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_organization(obj: InboxItem) -> int | None:
        return obj.organization_id


class InboxOut(Schema):
    """A page of the inbox (unread first, then newest) with the counts."""

    count: int
    unread: int
    items: list[InboxItemOut]


class InboxQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def _person(request: HttpRequest) -> User:
    """The signed-in person; an API key has no inbox."""
    if getattr(request, "api_key", None) is not None:
        raise HttpError(403, _("An API key has no inbox: sign in to read your messages."))
    user: User = grant_of(request).user
    return user


@router.get("/inbox", response=InboxOut)
@api_access(Audience.MEMBER)
def inbox(request: HttpRequest, page: Query[InboxQuery]) -> dict[str, Any]:
    """Your messages, unread first, then newest, with how many there are and are unread."""
    user = _person(request)
    items = selectors.inbox_list(user=user)
    return {
        "count": items.count(),
        "unread": selectors.inbox_unread_count(user=user),
        "items": list(items[page.offset : page.offset + page.limit]),
    }


@router.post("/inbox/{item_id}/read", response=InboxItemOut)
@api_access(Audience.MEMBER)
def inbox_read(request: HttpRequest, item_id: int) -> InboxItem:
    """Mark one of your messages read (again is harmless); another's message is 404."""
    user = _person(request)
    item = selectors.inbox_get(user=user, pk=item_id)
    return services.inbox_mark_read(user=user, item=item)
