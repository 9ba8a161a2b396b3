"""Pagination for list pages: a page of a queryset plus the query string to keep."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


def paginate(
    request: HttpRequest, queryset: QuerySet[Any], *, per_page: int = PAGE_SIZE
) -> dict[str, Any]:
    """Context for `includes/pagination.html`: `page_obj` and `querystring_without_page`."""
    paginator = Paginator(queryset, per_page)
    page: Page[Any] = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return {"page_obj": page, "querystring_without_page": f"{encoded}&" if encoded else ""}
