"""Site-log pages: the enterprise's overview, a site's day (one tap per round), history,
corrections and schedules; the association's and federation's overdue counts (numbers only).

Staff and administrators record; a viewer reads (a write answers 403). Schedules are the
administrators'.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.http import GrantRequest
from lib.access import Audience, access
from lib.pages import paginate
from lib.uploads import file_response
from sitelogs import selectors, services
from sitelogs.forms import CorrectForm, RecordForm, ScheduleForm
from sitelogs.models import Kind
from sitelogs.rules import LATE_DAYS


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _site_day_url(site_pk: int, day: dt.date) -> str:
    url = reverse("sitelogs:site", kwargs={"pk": site_pk})
    return url if day == timezone.localdate() else f"{url}?day={day.isoformat()}"


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def index(request: GrantRequest) -> HttpResponse:
    """The enterprise's sites with today's rounds done and overdue, and the last 7 days."""
    day = selectors.day_or_today(request.GET.get("day"))
    total, rows = selectors.enterprise_overview(viewer=request.grant, day=day)
    week = selectors.overdue_days(viewer=request.grant, until=day, days=7)
    return render(
        request,
        "sitelogs/index.html",
        {"day": day, "total": total, "rows": rows, "week": week, "today": timezone.localdate()},
    )


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def site_day(request: GrantRequest, pk: int) -> HttpResponse:
    """A site's rounds of a day; staff tap "Done" (area and agent prefilled from last time)."""
    site = selectors.site_get(viewer=request.grant, pk=pk)
    day = selectors.day_or_today(request.GET.get("day"))
    slots = selectors.day_slots(viewer=request.grant, site=site, day=day)
    last = selectors.last_entries(viewer=request.grant, site=site)
    rows = []
    for slot in slots:
        previous = last.get(slot.schedule.kind)
        area = (
            previous.area if previous else (slot.schedule.areas[0] if slot.schedule.areas else "")
        )
        agent = previous.agent if previous else slot.schedule.agent
        rows.append({"slot": slot, "area": area, "agent": agent})
    today = timezone.localdate()
    return render(
        request,
        "sitelogs/site_day.html",
        {
            "site": site,
            "day": day,
            "today": today,
            "rows": rows,
            "can_record": request.grant.can_write and day >= today - dt.timedelta(days=LATE_DAYS),
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1) if day < today else None,
            "has_schedules": selectors.schedules_open(viewer=request.grant, site=site).exists(),
        },
    )


@access(Audience.ENTERPRISE, write=True)
@never_cache
def record(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Record a round: the one-tap form of the day page posts here; GET shows the full form
    (done at another time, a note, a photo)."""
    site = selectors.site_get(viewer=request.grant, pk=pk)
    schedules = selectors.schedules_open(viewer=request.grant, site=site)
    initial: dict[str, Any] = {"slot_date": timezone.localdate()}
    for name in ("schedule", "slot_date", "slot_time", "area", "agent"):
        value = request.GET.get(name, "")
        if value and len(value) <= 100:
            initial[name] = value
    form = RecordForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        schedules=selectors.schedules_recordable(viewer=request.grant, site=site),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.entry_record(
                actor=request.user,
                site=site,
                schedule=data["schedule"],
                slot_date=data["slot_date"],
                slot_time=data["slot_time"],
                done_at=data["done_at"],
                area=data["area"],
                agent=data["agent"],
                note=data["note"],
                photo=data["photo"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(round)s at %(time)s recorded.")
                % {
                    "round": entry.schedule.title if entry.schedule else entry.get_kind_display(),
                    "time": entry.slot_time.strftime("%H:%M") if entry.slot_time else "—",
                },
            )
            return redirect(_site_day_url(site.pk, entry.slot_date))
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "sitelogs/record.html",
        {"site": site, "form": form, "schedules": schedules},
        status=status,
    )


@access(Audience.ENTERPRISE)
@never_cache
@require_GET
def history(request: GrantRequest, pk: int) -> HttpResponse:
    """Every entry of a site's day, corrected ones marked, with who recorded them."""
    site = selectors.site_get(viewer=request.grant, pk=pk)
    day = selectors.day_or_today(request.GET.get("day"))
    entries = selectors.entries_of_day(viewer=request.grant, site=site, day=day)
    context: dict[str, Any] = {
        "site": site,
        "day": day,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1) if day < timezone.localdate() else None,
    }
    context.update(paginate(request, entries, per_page=100))
    return render(request, "sitelogs/history.html", context)


@access(Audience.ENTERPRISE, write=True)
@never_cache
def correct(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Correct an entry: a new entry replaces it for its slot; the old one stays, marked."""
    entry = selectors.entry_get(viewer=request.grant, pk=pk)
    slots = list(entry.schedule.slots) if entry.schedule else []
    initial = {
        "slot_time": entry.slot_time.strftime("%H:%M") if entry.slot_time else "",
        "done_at": timezone.localtime(entry.done_at).strftime("%Y-%m-%dT%H:%M"),
        "area": entry.area,
        "agent": entry.agent,
    }
    form = CorrectForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        slots=slots,
        initial=initial,
    )
    corrected = getattr(entry, "is_corrected", False)
    if request.method == "POST" and not corrected and form.is_valid():
        data = form.cleaned_data
        try:
            new = services.entry_correct(
                actor=request.user,
                entry=entry,
                note=data["note"],
                slot_time=dt.time.fromisoformat(data["slot_time"]) if data["slot_time"] else None,
                done_at=data["done_at"],
                area=data["area"],
                agent=data["agent"],
                photo=data["photo"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The correction is recorded."))
            url = reverse("sitelogs:history", kwargs={"pk": new.site_id})
            return redirect(f"{url}?day={new.slot_date.isoformat()}")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "sitelogs/correct.html",
        {"entry": entry, "form": form, "corrected": corrected},
        status=status,
    )


@access(Audience.ENTERPRISE)
@require_GET
def photo(request: GrantRequest, pk: int) -> HttpResponseBase:
    """The photo of an entry, as a download."""
    entry = selectors.entry_get(viewer=request.grant, pk=pk)
    if not entry.photo:
        raise Http404
    response = file_response(entry.photo, entry.photo_name, entry.photo_content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@access(Audience.ENTERPRISE, admin=True)
@never_cache
def schedules(request: GrantRequest, pk: int) -> HttpResponseBase:
    """A site's schedules: set one kind, start from the rule table's defaults, or stop one."""
    site = selectors.site_get(viewer=request.grant, pk=pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    initial: dict[str, Any] = {}
    editing = request.GET.get("edit", "")
    if editing.isdigit() and len(editing) <= 12:
        chosen = selectors.schedule_get(viewer=request.grant, pk=int(editing))
        if chosen.site_id == site.pk:
            initial = {
                "kind": chosen.kind,
                "label": chosen.label,
                "slots": ", ".join(chosen.slots),
                "duration_minutes": chosen.duration_minutes,
                "areas": "\n".join(chosen.areas),
                "agent": chosen.agent,
            }
    form = ScheduleForm(request.POST if action == "set" else None, initial=initial)
    if action == "defaults":
        created = services.schedule_apply_defaults(actor=request.user, site=site)
        messages.success(
            request, _("%(count)d schedules added from the rules.") % {"count": len(created)}
        )
        return redirect("sitelogs:schedules", pk=site.pk)
    if action == "end":
        value = request.POST.get("schedule", "")
        if not value.isdigit() or len(value) > 12:
            raise Http404
        schedule = selectors.schedule_get(viewer=request.grant, pk=int(value))
        if schedule.site_id != site.pk:
            raise Http404
        services.schedule_end(actor=request.user, schedule=schedule)
        messages.success(request, _("The schedule is stopped."))
        return redirect("sitelogs:schedules", pk=site.pk)
    if action == "set" and form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_set(
                actor=request.user,
                site=site,
                kind=data["kind"],
                slots=form.slot_value(),
                duration_minutes=data["duration_minutes"],
                areas=form.area_list(),
                agent=data["agent"],
                label=data["label"],
                source=_("set by hand"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The schedule is saved."))
            return redirect("sitelogs:schedules", pk=site.pk)
    current = list(selectors.schedules_open(viewer=request.grant, site=site))
    return render(
        request,
        "sitelogs/schedules.html",
        {
            "site": site,
            "form": form,
            "current": current,
            "kinds": Kind.choices,
        },
        status=422 if action == "set" else 200,
    )


@access(Audience.ASSOCIATION)
@never_cache
@require_GET
def association(request: GrantRequest) -> HttpResponse:
    """Overdue rounds per member enterprise: counts only."""
    day = selectors.day_or_today(request.GET.get("day"))
    rollup = selectors.overdue_counts(viewer=request.grant, day=day)
    return render(request, "sitelogs/rollup.html", {"day": day, "rollup": rollup})


@access(Audience.FEDERATION)
@never_cache
@require_GET
def federation(request: GrantRequest) -> HttpResponse:
    """Overdue rounds per association, sector and district: counts only."""
    day = selectors.day_or_today(request.GET.get("day"))
    rollup = selectors.overdue_counts(viewer=request.grant, day=day)
    return render(request, "sitelogs/rollup.html", {"day": day, "rollup": rollup})
