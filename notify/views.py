"""Pages: the inbox, an organisation's group robots, and its delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import GrantRequest, UserRequest
from accounts.middleware import SESSION_KEY
from accounts.selectors import grant_list_for_user
from lib.access import Audience, access
from lib.pages import paginate
from notify import selectors, services
from notify.forms import DeliveryFilterForm, RobotEditForm, RobotForm
from notify.models import Delivery

INBOX_PAGE_SIZE = 30


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors on the fields they name, the rest above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.error_list)


# The inbox ------------------------------------------------------------------------------


@access(Audience.SIGNED_IN)
@never_cache
def inbox(request: UserRequest) -> HttpResponse:
    """The signed-in user's messages, unread first, then newest."""
    unread = selectors.inbox_unread_count(user=request.user)
    request.inbox_unread = unread  # type: ignore[attr-defined]  # the navbar's badge reuses it
    items = selectors.inbox_list(user=request.user).select_related("organization")
    context = paginate(request, items, per_page=INBOX_PAGE_SIZE)
    context["unread"] = unread
    return render(request, "notify/inbox.html", context)


def _act_for(request: UserRequest, organization_id: int | None) -> None:
    """Switch to the grant of the organisation a message was sent for, if it is not active."""
    if organization_id is None or (
        request.grant is not None and request.grant.organization_id == organization_id
    ):
        return
    grant = grant_list_for_user(user=request.user).filter(organization_id=organization_id).first()
    if grant is not None:
        request.session[SESSION_KEY] = grant.pk


@access(Audience.SIGNED_IN)
@never_cache
def inbox_open(request: UserRequest, pk: int) -> HttpResponse:
    """Open a message: it is marked read, and its link is followed (else it is shown)."""
    item = selectors.inbox_get(user=request.user, pk=pk)
    services.inbox_mark_read(user=request.user, item=item)
    if item.url and url_has_allowed_host_and_scheme(
        item.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        _act_for(request, item.organization_id)
        return redirect(item.url)
    return render(request, "notify/inbox_item.html", {"item": item})


@access(Audience.SIGNED_IN)
@require_POST
def inbox_read_all(request: UserRequest) -> HttpResponse:
    """Mark every message read."""
    count = services.inbox_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All messages are marked as read."))
    return redirect("notify:inbox")


# Group robots ---------------------------------------------------------------------------


@access(Audience.MEMBER, admin=True)
@never_cache
def robot_list(request: GrantRequest) -> HttpResponse:
    """The organisation's WeCom and DingTalk group robots."""
    robots = list(selectors.robot_list(viewer=request.grant))
    return render(
        request,
        "notify/robot_list.html",
        {"robots": robots, "max_robots": services.MAX_ROBOTS},
    )


@access(Audience.MEMBER, admin=True)
@never_cache
def robot_create(request: GrantRequest) -> HttpResponse:
    """Add a group robot."""
    form = RobotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            robot = services.robot_create(
                actor=request.user,
                organization=request.grant.organization,
                data=form.robot_data(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("Robot “%(name)s” added. Send it a test message to check the address.")
                % {"name": robot.name},
            )
            return redirect("notify:robot_list")
    return render(request, "notify/robot_form.html", {"form": form, "robot": None})


@access(Audience.MEMBER, admin=True)
@never_cache
def robot_edit(request: GrantRequest, pk: int) -> HttpResponse:
    """Rename a robot or replace its webhook or secret."""
    robot = selectors.robot_get(viewer=request.grant, pk=pk)
    form = RobotEditForm(
        request.POST or None,
        initial={"name": robot.name},
        channel=robot.channel,
        signed=bool(robot.secret_enc),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.robot_update(actor=request.user, robot=robot, data=form.robot_data())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Robot “%(name)s” saved.") % {"name": robot.name})
            return redirect("notify:robot_list")
    return render(request, "notify/robot_form.html", {"form": form, "robot": robot})


@access(Audience.MEMBER, admin=True)
@require_POST
def robot_toggle(request: GrantRequest, pk: int) -> HttpResponse:
    """Switch a robot on or off."""
    robot = selectors.robot_get(viewer=request.grant, pk=pk)
    services.robot_set_enabled(actor=request.user, robot=robot, enabled=not robot.enabled)
    if robot.enabled:
        messages.success(request, _("Robot “%(name)s” is on.") % {"name": robot.name})
    else:
        messages.success(
            request,
            _("Robot “%(name)s” is off: it receives nothing until you switch it on.")
            % {"name": robot.name},
        )
    return redirect("notify:robot_list")


@access(Audience.MEMBER, admin=True)
@require_POST
def robot_delete(request: GrantRequest, pk: int) -> HttpResponse:
    """Remove a robot; what it was sent stays in the log."""
    robot = selectors.robot_get(viewer=request.grant, pk=pk)
    services.robot_delete(actor=request.user, robot=robot)
    messages.success(request, _("Robot “%(name)s” removed.") % {"name": robot.name})
    return redirect("notify:robot_list")


@access(Audience.MEMBER, admin=True)
@require_POST
def robot_test(request: GrantRequest, pk: int) -> HttpResponse:
    """Send a robot a test message through the background task; the log shows the outcome."""
    robot = selectors.robot_get(viewer=request.grant, pk=pk)
    try:
        services.robot_test(actor=request.user, robot=robot)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("notify:robot_list")
    messages.success(
        request,
        _("Test message to “%(name)s” queued. Its outcome appears in the log below.")
        % {"name": robot.name},
    )
    return redirect(f"{reverse('notify:delivery_list')}?channel={robot.channel}")


# The delivery log -----------------------------------------------------------------------


@access(Audience.MEMBER)
@never_cache
def delivery_list(request: GrantRequest) -> HttpResponse:
    """What the organisation sent and to its robots: status, attempts and errors, masked."""
    filter_form = DeliveryFilterForm(request.GET or None)
    filters = filter_form.filters()
    deliveries = selectors.delivery_list(viewer=request.grant, **filters)
    context = paginate(request, deliveries)
    context.update(
        filter_form=filter_form,
        filtered=any(filters.values()),
        failed=Delivery.Status.FAILED,
    )
    return render(request, "notify/delivery_list.html", context)


@access(Audience.MEMBER, admin=True)
@require_POST
def delivery_retry(request: GrantRequest, pk: int) -> HttpResponse:
    """Try a failed delivery again now."""
    delivery = selectors.delivery_get(viewer=request.grant, pk=pk)
    try:
        services.delivery_retry(
            actor=request.user, delivery=delivery, scope=request.grant.organization
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Sending again. The log shows the outcome."))
    return redirect("notify:delivery_list")
