"""Publishing pages: the organisation's notices (outbox), compose, edit, publish or
schedule, withdraw, attachments, revision history, and attachment downloads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import GrantRequest
from lib.access import Audience, access
from lib.pages import paginate
from lib.uploads import file_response
from notices import selectors, services
from notices.forms import AttachmentForm, NoticeForm, OutboxFilterForm, PublishForm, WithdrawForm
from notices.markdown import render_markdown
from notices.models import Notice

STATUS_TABS = ("", *Notice.Status.values)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@access(Audience.MEMBER)
@require_GET
def notice_list(request: GrantRequest) -> HttpResponse:
    """The organisation's notices: drafts, scheduled, published and withdrawn."""
    form = OutboxFilterForm(request.GET)
    filters = form.filters()
    context = paginate(request, selectors.notice_list(viewer=request.grant, **filters))
    counts = selectors.notice_status_counts(viewer=request.grant)
    labels = dict(Notice.Status.choices)
    context.update(
        form=form,
        status=filters["status"],
        tabs=[
            (key, labels.get(key, _("All")), counts.get(key, sum(counts.values())))
            for key in STATUS_TABS
        ],
        filtered=bool(filters["category"] or filters["search"]),
        total=sum(counts.values()),
    )
    return render(request, "notices/list.html", context)


@access(Audience.MEMBER, write=True)
@never_cache
def notice_create(request: GrantRequest) -> HttpResponse:
    """Write a new notice; it is saved as a draft."""
    form = NoticeForm(_posted(request), publisher=request.grant.organization)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_create(
                actor=request.user, publisher=request.grant.organization, data=form.to_input()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("Draft saved. Check it, attach files, then publish or schedule it.")
            )
            return redirect("notices:detail", pk=notice.pk)
    return render(request, "notices/form.html", {"form": form, "title": _("Write a notice")})


@access(Audience.MEMBER, write=True)
@never_cache
def notice_edit(request: GrantRequest, pk: int) -> HttpResponse:
    """Edit a notice; after publication each edit is a revision with a note."""
    notice = selectors.notice_manage_get(viewer=request.grant, pk=pk)
    if notice.status == Notice.Status.WITHDRAWN:
        messages.error(request, _("A withdrawn notice cannot be edited."))
        return redirect("notices:detail", pk=notice.pk)
    form = NoticeForm(_posted(request), publisher=request.grant.organization, notice=notice)
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_update(
                actor=request.user,
                notice=notice,
                data=form.to_input(),
                version=form.cleaned_data["version"],
                note=form.cleaned_data.get("note") or "",
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("notices:detail", pk=notice.pk)
    return render(
        request,
        "notices/form.html",
        {"form": form, "notice": notice, "title": _("Edit “%(title)s”") % {"title": notice.title}},
    )


def _detail(
    request: GrantRequest,
    notice: Notice,
    *,
    publish_form: PublishForm | None = None,
    publish_errors: list[tuple[str, str]] | None = None,
    withdraw_form: WithdrawForm | None = None,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    mine = selectors.is_publisher(viewer=request.grant, notice=notice)
    can_write = mine and request.grant.can_write
    context: dict[str, Any] = {
        "notice": notice,
        "mine": mine,
        "can_write": can_write,
        "attachments": selectors.attachment_list(notice=notice),
        "revision_count": notice.revision,
        "parent": notice.parent,
        "publish_errors": publish_errors or [],
    }
    if mine:
        context.update(
            summary=selectors.audience_summary(notice=notice),
            audience_size=(
                selectors.audience_size(notice=notice)
                if notice.status in {Notice.Status.DRAFT, Notice.Status.SCHEDULED}
                else None
            ),
            publish_form=publish_form or PublishForm(initial={"version": notice.version}),
            withdraw_form=withdraw_form or WithdrawForm(),
            attachment_form=attachment_form or AttachmentForm(),
        )
    return render(request, "notices/detail.html", context, status=status)


@access(Audience.MEMBER)
@require_GET
def notice_detail(request: GrantRequest, pk: int) -> HttpResponse:
    """A notice as it reads, with its files, audience and the actions its publisher has."""
    return _detail(request, selectors.notice_get(viewer=request.grant, pk=pk))


def _labelled(exc: ValidationError) -> list[tuple[str, str]]:
    """A service's errors with the form's labels, for the list above the actions."""
    labels = {name: str(field.label) for name, field in NoticeForm.base_fields.items()}
    labels["publish_at"] = str(PublishForm.base_fields["publish_at"].label)
    if not hasattr(exc, "error_dict"):
        return [("", message) for message in exc.messages]
    return [
        (labels.get(name, ""), message)
        for name, messages_ in exc.message_dict.items()
        for message in messages_
    ]


@access(Audience.MEMBER, write=True)
@require_POST
def notice_publish(request: GrantRequest, pk: int) -> HttpResponse:
    """Publish now, or schedule when a time is given."""
    notice = selectors.notice_manage_get(viewer=request.grant, pk=pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _detail(request, notice, publish_form=form, status=422)
    version = form.cleaned_data.get("version")
    if version is not None and version != notice.version:
        errors = [("", _("The notice changed since you opened it. Check it again, then publish."))]
        return _detail(request, notice, publish_form=form, publish_errors=errors, status=409)
    publish_at = form.cleaned_data.get("publish_at")
    try:
        notice = services.notice_publish(actor=request.user, notice=notice, publish_at=publish_at)
    except ValidationError as exc:
        return _detail(
            request, notice, publish_form=form, publish_errors=_labelled(exc), status=422
        )
    if notice.status == Notice.Status.SCHEDULED:
        messages.success(request, _("Scheduled. It goes out at the time you chose."))
    else:
        count = notice.receipts.count()
        messages.success(
            request, _("Published and delivered to %(count)d recipients.") % {"count": count}
        )
    return redirect("notices:detail", pk=notice.pk)


@access(Audience.MEMBER, write=True)
@require_POST
def notice_unschedule(request: GrantRequest, pk: int) -> HttpResponse:
    """Take a scheduled notice back to draft."""
    notice = selectors.notice_manage_get(viewer=request.grant, pk=pk)
    try:
        services.notice_unschedule(actor=request.user, notice=notice)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The schedule is cancelled; the notice is a draft again."))
    return redirect("notices:detail", pk=notice.pk)


@access(Audience.MEMBER, write=True)
@require_POST
def notice_withdraw(request: GrantRequest, pk: int) -> HttpResponse:
    """Withdraw a notice (recipients keep it, marked as withdrawn, with the reason)."""
    notice = selectors.notice_manage_get(viewer=request.grant, pk=pk)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.notice_withdraw(
                actor=request.user, notice=notice, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("The notice is withdrawn."))
            return redirect("notices:detail", pk=notice.pk)
    return _detail(request, notice, withdraw_form=form, status=422)


@access(Audience.MEMBER)
@require_GET
def notice_revisions(request: GrantRequest, pk: int) -> HttpResponse:
    """Every revision of a published notice, with what changed."""
    notice = selectors.notice_get(viewer=request.grant, pk=pk)
    return render(
        request,
        "notices/revisions.html",
        {"notice": notice, "revisions": selectors.revision_list(notice=notice)},
    )


@access(Audience.MEMBER, write=True)
@require_POST
def notice_preview(request: GrantRequest) -> HttpResponse:
    """The Markdown text as it will read (htmx fragment of the compose page)."""
    text = str(request.POST.get("body_md", ""))[: services.BODY_MAX]
    return render(request, "notices/_preview.html", {"html": render_markdown(text)})


@access(Audience.MEMBER, write=True)
@require_POST
def attachment_add(request: GrantRequest, pk: int) -> HttpResponse:
    """Attach a file (checked by its content) to one of the organisation's notices."""
    notice = selectors.notice_manage_get(viewer=request.grant, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_add(
                actor=request.user, notice=notice, upload=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, _("“%(name)s” is attached.") % {"name": attachment.name})
            return redirect("notices:detail", pk=notice.pk)
    return _detail(request, notice, attachment_form=form, status=422)


@access(Audience.MEMBER, write=True)
@require_POST
def attachment_delete(request: GrantRequest, pk: int) -> HttpResponse:
    """Remove a file from one of the organisation's notices."""
    attachment = selectors.attachment_manage_get(viewer=request.grant, pk=pk)
    notice_pk = attachment.notice_id
    try:
        services.attachment_delete(actor=request.user, attachment=attachment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": attachment.name})
    return redirect("notices:detail", pk=notice_pk)


@access(Audience.PUBLIC)
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download an attachment: anyone for a public notice, otherwise those who may read the
    notice (404 for everybody else, whether or not it exists)."""
    viewer = getattr(request, "grant", None) if request.user.is_authenticated else None
    attachment = selectors.attachment_download_get(viewer=viewer, pk=pk)
    if not attachment.file.name or not default_storage.exists(attachment.file.name):
        raise Http404
    return file_response(attachment.file, attachment.name, attachment.content_type)
