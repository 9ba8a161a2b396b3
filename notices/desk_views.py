"""The desk: what an organisation received (read, acknowledge, attest, relay), and the
progress of what it sent (counts, per association and sector, non-responders, reminders).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import GrantRequest
from lib.access import Audience, access
from lib.pages import paginate
from lib.spreadsheets import write_csv
from lib.uploads import content_disposition, file_response
from notices import receipt_selectors as selectors
from notices import receipts
from notices.desk_forms import AttestForm, DeskFilterForm, ProgressFilterForm, RelayForm
from notices.models import Notice, Receipt

TAB_LABELS = {
    "todo": gettext_lazy("To do"),
    "unread": gettext_lazy("Unread"),
    "overdue": gettext_lazy("Overdue"),
    "all": gettext_lazy("All"),
}


def _posted(request: HttpRequest) -> Any:
    """The POST data of a POST (even an empty one), else None for an unbound form."""
    return request.POST if request.method == "POST" else None


@access(Audience.MEMBER)
@require_GET
def inbox(request: GrantRequest) -> HttpResponse:
    """Notices the organisation received: what awaits a response first, then everything."""
    counts = selectors.desk_counts(viewer=request.grant)
    form = DeskFilterForm(request.GET)
    filters = form.filters(default_tab="todo" if counts["todo"] else "all")
    context = paginate(request, selectors.desk_list(viewer=request.grant, **filters))
    context.update(
        form=form,
        counts=counts,
        tab=filters["tab"],
        tabs=[(key, TAB_LABELS[key], counts[key]) for key in selectors.DESK_TABS],
        filtered=bool(filters["category"] or filters["search"]),
        now=timezone.now(),
    )
    return render(request, "notices/desk_inbox.html", context)


def _receipt_context(request: GrantRequest, receipt: Receipt) -> dict[str, Any]:
    mine = selectors.is_recipient(viewer=request.grant, receipt=receipt)
    notice = receipt.notice
    asked = selectors.asked_of(receipt)
    missing = selectors.missing_of(receipt)
    open_ = notice.status == Notice.Status.PUBLISHED
    return {
        "receipt": receipt,
        "notice": notice,
        "chain": selectors.chain_of(notice, with_files=True),
        "mine": mine,
        "asked": asked,
        "missing": missing,
        "can_respond": mine and request.grant.can_write and open_,
        "evidence": selectors.evidence_list(receipt=receipt),
        "late_ack": receipts.is_late(receipt, receipt.acknowledged_at),
        "late_attest": receipts.is_late(receipt, receipt.attested_at),
        "past_deadline": notice.deadline is not None and notice.deadline < timezone.now(),
    }


@access(Audience.MEMBER)
@never_cache
@require_GET
def receipt(request: GrantRequest, pk: int) -> HttpResponse:
    """A received notice (marked read when its recipient opens it), what it asks, the
    chain it came down, and the responses; the sender chain sees it read-only."""
    item = selectors.receipt_get(viewer=request.grant, pk=pk)
    if selectors.is_recipient(viewer=request.grant, receipt=item) and item.read_at is None:
        item = receipts.receipt_open(actor=request.user, receipt=item)
    context = _receipt_context(request, item)
    if context["can_respond"] and "attest" in context["missing"]:
        context["attest_form"] = AttestForm()
    return render(request, "notices/desk_receipt.html", context)


def _own_receipt(request: GrantRequest, pk: int) -> Receipt:
    """A receipt the viewer's organisation received: a sender may look, not respond."""
    item = selectors.receipt_get(viewer=request.grant, pk=pk)
    if not selectors.is_recipient(viewer=request.grant, receipt=item):
        raise PermissionDenied
    return item


@access(Audience.MEMBER, write=True)
@require_POST
def acknowledge(request: GrantRequest, pk: int) -> HttpResponse:
    """Acknowledge receipt (a button on the receipt page)."""
    item = _own_receipt(request, pk)
    already = item.acknowledged_at is not None
    try:
        receipts.receipt_acknowledge(actor=request.user, receipt=item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if already:
            messages.info(request, _("Receipt was already acknowledged."))
        else:
            messages.success(request, _("Receipt acknowledged. The sender can see it."))
    return redirect("desk:receipt", pk=item.pk)


@access(Audience.MEMBER, write=True)
@never_cache
def attest(request: GrantRequest, pk: int) -> HttpResponse:
    """The attestation of a receipt: the recipient writes it (a note and evidence files),
    the sender chain reads it."""
    item = selectors.receipt_get(viewer=request.grant, pk=pk)
    context = _receipt_context(request, item)
    form = None
    if context["mine"] and item.attested_at is None and "attest" in context["asked"]:
        form = AttestForm(_posted(request), request.FILES or None)
    if request.method == "POST":
        if not context["mine"]:
            raise PermissionDenied
        if form is None:
            form = AttestForm(_posted(request), request.FILES or None)
        if form.is_valid():
            try:
                receipts.receipt_attest(
                    actor=request.user,
                    receipt=item,
                    note=form.cleaned_data["note"],
                    files=form.uploads(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Implementation attested. The sender can see it."))
                return redirect("desk:receipt", pk=item.pk)
    context["attest_form"] = form
    status = 400 if form is not None and form.errors else 200
    return render(request, "notices/desk_attest.html", context, status=status)


def _add_errors(form: AttestForm | RelayForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        field = {"files": "evidence"}.get(key, key)
        form.add_error(field if field in form.fields else None, errors)


@access(Audience.ASSOCIATION, write=True)
@never_cache
def relay(request: GrantRequest, pk: int) -> HttpResponse:
    """Relay a received directive to the association's members."""
    item = selectors.receipt_get(viewer=request.grant, pk=pk)
    if not selectors.is_recipient(viewer=request.grant, receipt=item):
        raise Http404
    context = _receipt_context(request, item)
    relayable = selectors.relay_case(item) and item.relayed_as_id is None
    form = (
        RelayForm(_posted(request), association=request.grant.organization) if relayable else None
    )
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            child = receipts.notice_relay(
                actor=request.user,
                receipt=item,
                added_md=form.cleaned_data["added_md"],
                sectors=list(form.cleaned_data["sectors"]),
                districts=list(form.cleaned_data["districts"]),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("Relayed to your members. Their responses appear on this page.")
            )
            return redirect("desk:progress", pk=child.pk)
    elif request.method == "POST" and form is None:
        messages.error(
            request,
            _("Your association has already relayed this notice.")
            if item.relayed_as_id
            else _("Only an association asked to relay this notice can relay it."),
        )
        return redirect("desk:receipt", pk=item.pk)
    context.update(relay_form=form, relayable=relayable)
    status = 400 if form is not None and form.errors else 200
    return render(request, "notices/desk_relay.html", context, status=status)


@access(Audience.MEMBER)
@require_GET
def evidence(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Download one evidence file (the recipient and the sender chain)."""
    item = selectors.evidence_get(viewer=request.grant, pk=pk)
    return file_response(item.file, item.name, item.content_type)


@access(Audience.MEMBER)
@require_GET
def attachment(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Download a file of a received notice, or of the original a relay passes on."""
    item = selectors.attachment_get(viewer=request.grant, pk=pk)
    return file_response(item.file, item.name, item.content_type)


def _tabs(notice: Notice, level: str) -> list[tuple[str, str]]:
    """The non-responder lists that make sense for a notice at a level."""
    tabs = [("unread", _("Not read"))]
    if notice.requires_ack or notice.asks_relay or notice.requires_attestation:
        tabs.append(("ack", _("Not acknowledged")))
    if level == "direct" and notice.asks_relay:
        tabs.append(("relay", _("Not relayed")))
    elif notice.requires_attestation:
        tabs.append(("attest", _("Not attested")))
    if notice.deadline is not None:
        tabs.append(("overdue", _("Overdue")))
    return tabs


def _figures(counts: selectors.Counts, notice: Notice, level: str) -> list[tuple[Any, ...]]:
    """(key, label, value, percentage, colour) of the figures that matter for a level."""
    figures: list[tuple[Any, ...]] = [
        ("read", _("Read"), counts.read, counts.read_pct, "secondary")
    ]
    if notice.requires_ack or notice.asks_relay or notice.requires_attestation:
        figures.append(
            ("ack", _("Acknowledged"), counts.acknowledged, counts.acknowledged_pct, "success")
        )
    if level == "direct" and notice.asks_relay:
        figures.append(("relay", _("Relayed"), counts.relayed, counts.relayed_pct, "success"))
    elif notice.requires_attestation:
        figures.append(("attest", _("Attested"), counts.attested, counts.attested_pct, "success"))
    if notice.deadline is not None:
        figures.append(("overdue", _("Overdue"), counts.overdue, counts.overdue_pct, "danger"))
    return figures


def _non_responder_filters(request: GrantRequest, notice: Notice, default_level: str) -> Any:
    form = ProgressFilterForm(request.GET)
    filters = form.filters(default_tab="", default_level=default_level)
    if not notice.asks_relay:
        filters["level"] = "direct"
    tabs = _tabs(notice, filters["level"])
    keys = [key for key, _label in tabs]
    if filters["kind"] not in keys:
        filters["kind"] = "ack" if "ack" in keys else keys[0]
    return filters, tabs


@access(Audience.MEMBER)
@never_cache
@require_GET
def progress(request: GrantRequest, pk: int) -> HttpResponse:
    """What became of a sent notice: counts, percentages, per association and per sector
    (for a relayed directive), and the lists of those who have not responded."""
    notice = selectors.sent_notice_get(viewer=request.grant, pk=pk)
    summary = selectors.notice_progress(viewer=request.grant, notice=notice)
    filters, tabs = _non_responder_filters(request, notice, summary.level)
    rows = selectors.non_responders(viewer=request.grant, notice=notice, **filters)
    context = paginate(request, rows)
    relays = {
        row.receipt.relayed_as_id: row.receipt.organization
        for row in summary.associations
        if row.receipt.relayed_as_id is not None
    }
    sender = notice.publisher_id == request.grant.organization_id
    context.update(
        notice=notice,
        progress=summary,
        direct_figures=_figures(summary.direct, notice, "direct"),
        chain_figures=_figures(summary.chain, notice, "chain") if summary.chain else [],
        filters=filters,
        tabs=tabs,
        relays=relays,
        chain=selectors.chain_of(notice),
        can_remind=sender
        and request.grant.can_write
        and notice.status == Notice.Status.PUBLISHED
        and bool(notice.requires_ack or notice.requires_attestation or notice.asks_relay),
        show_people=summary.to_employees and request.grant.organization.is_enterprise,
    )
    return render(request, "notices/desk_progress.html", context)


@access(Audience.MEMBER, write=True)
@require_POST
def remind(request: GrantRequest, pk: int) -> HttpResponse:
    """Remind the recipients who have not acknowledged (the sender's staff, once an hour)."""
    notice = selectors.sent_notice_get(viewer=request.grant, pk=pk)
    if notice.publisher_id != request.grant.organization_id:
        raise PermissionDenied
    try:
        count = receipts.receipts_remind(actor=request.user, notice=notice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Reminder sent to %(count)d recipients who have not acknowledged.")
            % {"count": count},
        )
    return redirect("desk:progress", pk=notice.pk)


@access(Audience.MEMBER)
@require_GET
def progress_export(request: GrantRequest, pk: int) -> HttpResponse:
    """The current non-responder list as CSV (organisations; people only for the
    enterprise that sent to its own staff). The export is recorded in the audit log."""
    notice = selectors.sent_notice_get(viewer=request.grant, pk=pk)
    default_level = "chain" if notice.asks_relay else "direct"
    filters = _non_responder_filters(request, notice, default_level)[0]
    rows = selectors.non_responders(viewer=request.grant, notice=notice, **filters)
    people = request.grant.organization.is_enterprise
    headers = [
        _("Recipient"),
        _("Unified social credit code"),
        _("Sector"),
        _("Sent by"),
        _("Delivered"),
        _("Read"),
        _("Acknowledged"),
        _("Attested"),
        _("Overdue since"),
        _("Reminders"),
    ]

    def when(value: Any) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    lines = []
    personal = False
    for r in rows.iterator(chunk_size=2000):
        if r.employee_id is not None:
            if not people:
                continue
            personal = True
            name, code = r.employee.name if r.employee else "", ""
        else:
            org = r.organization
            name, code = (org.name, org.uscc or "") if org else ("", "")
        lines.append(
            [
                name,
                code,
                r.sector.label if r.sector else "",
                r.notice.publisher.name,
                when(r.delivered_at),
                when(r.read_at),
                when(r.acknowledged_at),
                when(r.attested_at),
                when(r.overdue_at),
                r.reminder_count,
            ]
        )
    receipts.non_responders_exported(
        actor=request.user,
        scope=request.grant.organization,
        notice=notice,
        kind=filters["kind"],
        rows=len(lines),
        personal=personal,
    )
    response = HttpResponse(write_csv(headers, lines), content_type="text/csv; charset=utf-8")
    name = f"{notice.title[:60]}-{filters['kind']}.csv"
    response["Content-Disposition"] = content_disposition(name)
    response["Cache-Control"] = "no-store"
    return response
