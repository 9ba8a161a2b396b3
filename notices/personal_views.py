"""An employee's notices from their enterprise, through their personal link (no account).

Opening a notice marks it read; the employee can acknowledge it. An invalid link gets a
friendly page saying so (404), never someone else's notices.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lib.access import Audience, access
from lib.pages import paginate
from lib.uploads import file_response
from notices import receipt_selectors as selectors
from notices import receipts
from workforce.links import LinkInvalid, link_resolve
from workforce.models import Employee


def _invalid(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "notices/personal/invalid.html", {"reason": reason}, status=404)


def _resolve(request: HttpRequest, token: str) -> Employee | HttpResponse:
    try:
        return link_resolve(token)
    except LinkInvalid as exc:
        return _invalid(request, exc.reason)


@access(Audience.TOKEN)
@never_cache
@require_GET
def notice_list(request: HttpRequest, token: str) -> HttpResponse:
    """The notices the employee received, newest first."""
    employee = _resolve(request, token)
    if isinstance(employee, HttpResponse):
        return employee
    context = paginate(request, selectors.personal_receipt_list(employee=employee), per_page=20)
    context.update(employee=employee, token=token)
    return render(request, "notices/personal/list.html", context)


@access(Audience.TOKEN)
@never_cache
def notice_detail(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """One notice: marked read when opened; a button acknowledges it."""
    employee = _resolve(request, token)
    if isinstance(employee, HttpResponse):
        return employee
    try:
        receipt = selectors.personal_receipt_get(employee=employee, notice_pk=pk)
    except Http404:  # the same friendly page as a bad link
        return _invalid(request, "unknown_notice")
    if request.method == "POST":
        try:
            receipts.receipt_acknowledge(actor=None, receipt=receipt)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you: your employer can see that you have read it."))
        return redirect("mynotices:detail", token=token, pk=pk)
    if receipt.read_at is None:
        receipt = receipts.receipt_open(actor=None, receipt=receipt)
    return render(
        request,
        "notices/personal/detail.html",
        {
            "employee": employee,
            "token": token,
            "receipt": receipt,
            "notice": receipt.notice,
            "files": selectors.chain_of(receipt.notice, with_files=True)[-1].files,  # type: ignore[attr-defined]
        },
    )


@access(Audience.TOKEN)
@require_GET
def attachment(request: HttpRequest, token: str, pk: int) -> HttpResponseBase:
    """Download a file of a notice the employee received."""
    employee = _resolve(request, token)
    if isinstance(employee, HttpResponse):
        return employee
    try:
        item = selectors.personal_attachment_get(employee=employee, pk=pk)
    except Http404:
        return _invalid(request, "unknown_notice")
    return file_response(item.file, item.name, item.content_type)
