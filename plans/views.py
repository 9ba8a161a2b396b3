"""Prevention-plan pages: the enterprise's plan (section by section, htmx), the review
queue and review page of associations and the federation, templates, and the roll-up."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.http import GrantRequest
from lib.access import Audience, access
from lib.pages import paginate
from lib.uploads import IMAGE_KINDS, accept_attribute, file_response
from orgs.selectors import sector_list
from plans import selectors, services
from plans.checklist import Section, checklist, missing_required, team_minimum
from plans.forms import (
    AnswerForm,
    CommentForm,
    EnterpriseSectionForm,
    ItemForm,
    QueueFilterForm,
    ReasonForm,
    SectionForm,
    StaffSectionForm,
    TemplateMetaForm,
)
from plans.models import (
    LOW_COVER_DAYS,
    ChecklistTemplate,
    EvidenceKind,
    Plan,
    PlanStatus,
    ReviewComment,
    TemplateItem,
    TemplateStatus,
)

SECTIONS = ("enterprise", "staff", "team", "supplies", "emergency")
QUEUE_TABS = (
    PlanStatus.SUBMITTED,
    PlanStatus.RESUBMITTED,
    PlanStatus.RETURNED,
    PlanStatus.APPROVED,
    PlanStatus.SUSPENDED,
)


def _is_htmx(request: GrantRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _rows(request: GrantRequest, *names: str) -> list[list[str]]:
    """Parallel lists posted as name=… repeated, trimmed to the longest, at most 60 rows."""
    columns = [request.POST.getlist(n)[:60] for n in names]
    length = max((len(c) for c in columns), default=0)
    return [[c[i] if i < len(c) else "" for c in columns] for i in range(length)]


# ---------------------------------------------------------------- the enterprise


def _with_comments(sections: list[Section], comments: list[ReviewComment]) -> list[Section]:
    by_item: dict[int, list[ReviewComment]] = {}
    for c in comments:
        if c.item_id is not None:
            by_item.setdefault(c.item_id, []).append(c)
    for s in sections:
        for row in s.rows:
            row.comments = by_item.get(row.item.pk, [])
    return sections


def _section_context(
    request: GrantRequest, plan: Plan, name: str, form: Any = None, error: str = ""
) -> dict[str, Any]:
    context: dict[str, Any] = {"plan": plan, "name": name, "error": error, "grant": request.grant}
    if name == "enterprise":
        context["form"] = form or EnterpriseSectionForm(
            initial={
                "version": plan.version,
                **{f: getattr(plan, f) for f in services.SECTION_FIELDS["enterprise"]},
            },
            people=selectors.responsible_candidates(plan=plan),
        )
    elif name == "staff":
        context["form"] = form or StaffSectionForm(
            initial={
                "version": plan.version,
                **{f: getattr(plan, f) for f in services.SECTION_FIELDS["staff"]},
            }
        )
        context["staff"] = selectors.staff_summary(enterprise=plan.enterprise)
    elif name == "team":
        context["minimum"] = team_minimum(plan)
        context["rows"] = [*plan.team, {}, {}]
    elif name == "supplies":
        context["supplies"] = list(plan.supplies.all())
        context["low_days"] = LOW_COVER_DAYS
    elif name == "emergency":
        context["rows"] = [*plan.emergency_contacts, {}, {}]
    return context


def _render_section(
    request: GrantRequest,
    plan: Plan,
    name: str,
    *,
    form: Any = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "plans/_section.html",
        _section_context(request, plan, name, form, error),
        status=status,
    )


@access(Audience.ENTERPRISE)
@require_GET
def mine(request: GrantRequest) -> HttpResponse:
    """The enterprise's prevention plan: status, gaps, sections, checklist, commitment."""
    plan = selectors.plan_of(viewer=request.grant)
    if plan is None:
        return render(request, "plans/mine_empty.html", {"grant": request.grant})
    compliance = selectors.compliance_of(viewer=request.grant)
    sections = [_section_context(request, plan, name) for name in SECTIONS]
    comments = list(plan.comments.select_related("item", "by_organization"))
    return render(
        request,
        "plans/mine.html",
        {
            "plan": plan,
            "compliance": compliance,
            "sections": sections,
            "checklist": _with_comments(checklist(plan), comments),
            "missing": missing_required(plan),
            "comments": comments,
            "events": plan.events.select_related("actor", "actor_organization"),
            "grant": request.grant,
            "image_accept": accept_attribute(IMAGE_KINDS),
            "team_minimum": team_minimum(plan),
            "packet": _packet_available(),
        },
    )


@access(Audience.ENTERPRISE, write=True)
@require_POST
def start(request: GrantRequest) -> HttpResponseBase:
    """Start the plan from the current templates."""
    try:
        services.plan_start(actor=request.user, enterprise=request.grant.organization)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("plans:mine")


def _own_plan(request: GrantRequest, pk: int) -> Plan:
    plan = selectors.plan_get(viewer=request.grant, pk=pk)
    if plan.enterprise_id != request.grant.organization_id:
        raise Http404
    return plan


@access(Audience.ENTERPRISE, write=True)
@never_cache
def section(request: GrantRequest, pk: int, name: str) -> HttpResponseBase:
    """One section of the plan: GET its form (htmx fragment), POST to save it."""
    if name not in SECTIONS:
        raise Http404
    plan = _own_plan(request, pk)
    if request.method != "POST":
        return _render_section(request, plan, name)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _render_section(request, plan, name, error=_("Reload the page."), status=400)
    try:
        if name in {"enterprise", "staff"}:
            form_class = EnterpriseSectionForm if name == "enterprise" else StaffSectionForm
            kwargs: dict[str, Any] = (
                {"people": selectors.responsible_candidates(plan=plan)}
                if name == "enterprise"
                else {}
            )
            form = form_class(request.POST, **kwargs)
            if not form.is_valid():
                return _render_section(request, plan, name, form=form, status=422)
            fields = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                plan = services.plan_save(
                    actor=request.user, plan=plan, version=version, section=name, fields=fields
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                return _render_section(request, plan, name, form=form, status=422)
        elif name == "team":
            plan = services.team_save(
                actor=request.user,
                plan=plan,
                version=version,
                members=[
                    services.PersonInput(*r) for r in _rows(request, "name", "role", "mobile")
                ],
            )
        elif name == "emergency":
            plan = services.emergency_save(
                actor=request.user,
                plan=plan,
                version=version,
                contacts=[
                    services.PersonInput(*r) for r in _rows(request, "name", "role", "mobile")
                ],
                steps=request.POST.get("emergency_steps", "")[:6000],
            )
        else:
            plan = services.supplies_save(
                actor=request.user,
                plan=plan,
                version=version,
                rows=[
                    services.SupplyInput(*r)
                    for r in _rows(request, "item", "unit", "on_hand", "daily_use")
                ],
            )
    except ValidationError as exc:
        plan.refresh_from_db()
        return _render_section(request, plan, name, error=" ".join(exc.messages), status=422)
    if _is_htmx(request):
        response = _render_section(request, plan, name)
        response["HX-Trigger"] = "plan-saved"
        return response
    messages.success(request, _("Saved."))
    return redirect(reverse("plans:mine") + f"#section-{name}")


def _render_item(
    request: GrantRequest, plan: Plan, item: TemplateItem, *, error: str = "", status: int = 200
) -> HttpResponse:
    from plans.checklist import Row, is_complete

    answer = plan.answers.filter(item=item).first()
    row = Row(item=item, answer=answer, complete=is_complete(item, answer))
    return render(
        request,
        "plans/_item.html",
        {
            "plan": plan,
            "row": row,
            "error": error,
            "grant": request.grant,
            "image_accept": accept_attribute(IMAGE_KINDS),
        },
        status=status,
    )


@access(Audience.ENTERPRISE, write=True)
@never_cache
def answer(request: GrantRequest, pk: int, item: int) -> HttpResponseBase:
    """Answer one checklist item with its evidence (htmx fragment)."""
    plan = _own_plan(request, pk)
    template_item = selectors.plan_item_get(plan=plan, pk=item)
    if request.method != "POST":
        return _render_item(request, plan, template_item)
    form = AnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        error = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return _render_item(request, plan, template_item, error=error, status=422)
    data = form.cleaned_data
    try:
        services.answer_save(
            actor=request.user,
            plan=plan,
            item=template_item,
            data=services.AnswerInput(
                state=data["state"],
                note=data["note"],
                number=data["number"],
                version=data["version"],
                remove_evidence=data["remove_evidence"],
            ),
            upload=data.get("evidence"),
        )
    except ValidationError as exc:
        return _render_item(request, plan, template_item, error=" ".join(exc.messages), status=422)
    if _is_htmx(request):
        return _render_item(request, plan, template_item)
    messages.success(request, _("Answer saved."))
    return redirect(reverse("plans:mine") + f"#item-{template_item.pk}")


def _client_ip(request: GrantRequest) -> str | None:
    value = request.META.get("REMOTE_ADDR", "")
    return value if isinstance(value, str) and value else None


@access(Audience.ENTERPRISE, write=True)
@require_POST
def commitment(request: GrantRequest, pk: int) -> HttpResponseBase:
    """The named responsible person confirms the commitment letter."""
    plan = _own_plan(request, pk)
    try:
        version = int(request.POST.get("version", ""))
        if request.POST.get("confirm") != "yes":
            raise ValidationError(_("Tick the box to confirm the commitment."))
        services.commitment_confirm(
            actor=request.user,
            plan=plan,
            version=version,
            ip=_client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except ValueError:
        messages.error(request, _("Reload the page."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Commitment confirmed."))
    return redirect(reverse("plans:mine") + "#commitment")


@access(Audience.ENTERPRISE, write=True)
@require_POST
def submit(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Send the plan for review (again, after a return or suspension)."""
    plan = _own_plan(request, pk)
    try:
        services.plan_submit(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Plan sent for review. You will be told the decision."))
    return redirect("plans:mine")


@access(Audience.ENTERPRISE, admin=True)
@require_POST
def site_schedules(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Set every site's rounds (disinfection, ventilation, temperature) from the plan."""
    plan = _own_plan(request, pk)
    try:
        applied = services.plan_site_schedules(actor=request.user, plan=plan)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("plans:mine")
    messages.success(
        request,
        _("The rounds of your %(sites)d sites now follow the plan: %(rounds)s.")
        % {
            "sites": applied.sites,
            "rounds": "，".join(
                _("%(kind)s %(n)d a day") % {"kind": ROUND_NAMES.get(kind, kind), "n": n}
                for kind, n in sorted(applied.per_day.items())
            ),
        },
    )
    return redirect("sitelogs:index")


ROUND_NAMES = {
    "disinfection": pgettext_lazy("site round", "disinfection"),
    "ventilation": pgettext_lazy("site round", "ventilation"),
    "temperature": pgettext_lazy("site round", "temperature checks"),
}


@access(Audience.MEMBER)
@require_GET
def evidence(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Download the evidence file of an answer."""
    found = selectors.answer_get(viewer=request.grant, pk=pk)
    if not found.evidence_file:
        raise Http404
    return file_response(found.evidence_file, found.evidence_name, found.evidence_type)


def _packet_available() -> bool:
    try:
        import plans.packet_data  # noqa: F401
    except ImportError:
        return False
    return True


@access(Audience.ENTERPRISE)
@require_GET
def packet(request: GrantRequest, pk: int) -> HttpResponseBase:
    """The filing packet of the plan, as PDF (default) or .docx."""
    from plans.packet_data import packet_file

    plan = _own_plan(request, pk)
    kind = request.GET.get("format", "pdf")
    if kind not in {"pdf", "docx"}:
        kind = "pdf"
    content, content_type, name = packet_file(plan=plan, kind=kind, actor=request.user)
    response = HttpResponse(content, content_type=content_type)
    from lib.uploads import content_disposition

    response["Content-Disposition"] = content_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- review


@access(Audience.STEWARD)
@require_GET
def queue(request: GrantRequest) -> HttpResponse:
    """Members' plans by status and sector, with counts, and bulk approval."""
    form = QueueFilterForm(request.GET)
    form.is_valid()
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    if status not in PlanStatus.values:
        status = PlanStatus.SUBMITTED if not status else ""
    sector = form.cleaned_data.get("sector", "") if form.is_valid() else ""
    counts = selectors.plan_status_counts(viewer=request.grant, sector=sector)
    context = paginate(
        request, selectors.plan_list(viewer=request.grant, status=status, sector=sector)
    )
    plans = list(context["page_obj"].object_list)
    from plans.checklist import gaps_by_plan

    gaps = gaps_by_plan(plans)
    labels = dict(PlanStatus.choices)
    context.update(
        rows=[(p, gaps.get(p.pk, 0)) for p in plans],
        status=status,
        sector=sector,
        sectors=sector_list(),
        tabs=[(key, labels[key], counts.get(key, 0)) for key in QUEUE_TABS],
        pending=status in Plan.PENDING,
        grant=request.grant,
    )
    return render(request, "plans/queue.html", context)


@access(Audience.STEWARD)
@require_GET
def review(request: GrantRequest, pk: int) -> HttpResponse:
    """A plan to review: every section, the checklist with evidence, comments, decision."""
    plan = selectors.plan_get(viewer=request.grant, pk=pk)
    comments = list(plan.comments.select_related("item", "by_organization"))
    return render(
        request,
        "plans/review.html",
        {
            "plan": plan,
            "checklist": _with_comments(checklist(plan), comments),
            "missing": missing_required(plan),
            "general_comments": [c for c in comments if c.item_id is None],
            "events": plan.events.select_related("actor", "actor_organization"),
            "staff": selectors.staff_summary(enterprise=plan.enterprise),
            "supplies": list(plan.supplies.all()),
            "low_days": LOW_COVER_DAYS,
            "can_review": services.can_review(actor=request.user, plan=plan),
            "allowed": Plan.ALLOWED_TRANSITIONS.get(plan.status, set()),
            "reason_form": ReasonForm(),
            "grant": request.grant,
        },
    )


@access(Audience.STEWARD, write=True)
@require_POST
def comment(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Comment on the plan or one of its items."""
    plan = selectors.plan_get(viewer=request.grant, pk=pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a comment under 1,000 characters."))
        return redirect("plans:review", pk=plan.pk)
    item = (
        selectors.plan_item_get(plan=plan, pk=form.cleaned_data["item"])
        if form.cleaned_data["item"]
        else None
    )
    try:
        services.comment_add(
            actor=request.user, plan=plan, item=item, text=form.cleaned_data["text"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Comment added. Return the plan to send it to the enterprise."))
    anchor = f"#item-{item.pk}" if item else ""
    return redirect(reverse("plans:review", kwargs={"pk": plan.pk}) + anchor)


@access(Audience.STEWARD, write=True)
@require_POST
def decide(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Approve, return or suspend a plan."""
    plan = selectors.plan_get(viewer=request.grant, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("plans:review", pk=plan.pk)
    try:
        services.plan_transition(
            actor=request.user,
            plan=plan,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded; the enterprise is notified."))
    return redirect("plans:review", pk=plan.pk)


@access(Audience.STEWARD, write=True)
@require_POST
def bulk_approve(request: GrantRequest) -> HttpResponse:
    """Approve the chosen plans; those with missing items are skipped, with reasons."""
    ids = []
    for value in request.POST.getlist("plan")[:500]:
        if value.isdigit():
            ids.append(int(value))
    plans = list(selectors.plan_list(viewer=request.grant).filter(pk__in=ids))
    result = services.plans_bulk_approve(
        actor=request.user, plans=plans, reason=request.POST.get("reason", "")[:1000]
    )
    return render(request, "plans/bulk_result.html", {"result": result, "grant": request.grant})


# ---------------------------------------------------------------- templates


@access(Audience.STEWARD)
@require_GET
def templates(request: GrantRequest) -> HttpResponse:
    """Checklist templates: the base and each sector's additions, every version."""
    org = request.grant.organization
    return render(
        request,
        "plans/templates.html",
        {
            "templates": selectors.template_list(viewer=request.grant),
            "grant": request.grant,
            "new_label": _("New version of the base template")
            if org.is_federation
            else _("New version of our sector's additions"),
        },
    )


@access(Audience.STEWARD, write=True)
@require_POST
def template_new(request: GrantRequest) -> HttpResponseBase:
    """A new draft version of the organisation's template."""
    org = request.grant.organization
    sector = None if org.is_federation else org.sector
    try:
        template = services.template_create(
            actor=request.user,
            owner=org,
            sector=sector,
            title=request.POST.get("title", "")[:200]
            or (_("Base checklist") if sector is None else str(sector)),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("plans:templates")
    return redirect("plans:template_edit", pk=template.pk)


@access(Audience.STEWARD)
@require_GET
def template_detail(request: GrantRequest, pk: int) -> HttpResponse:
    """A template version: its sections, items and parameters, and its sources."""
    template = selectors.template_get(viewer=request.grant, pk=pk)
    return render(
        request,
        "plans/template_detail.html",
        {
            "template": template,
            "sections": template.sections.prefetch_related("items"),
            "used": services.template_is_used(template),
            "can_edit": request.grant.can_write
            and services.template_can_edit(actor=request.user, template=template),
            "grant": request.grant,
        },
    )


def _after_edit(
    request: GrantRequest, target: services.Editable, old: ChecklistTemplate
) -> HttpResponseBase:
    if target.copied:
        messages.info(
            request,
            _(
                "Version %(old)d is published or in use, so your change made a new draft, "
                "version %(new)d. Plans keep the version they were filled from."
            )
            % {"old": old.version, "new": target.template.version},
        )
    else:
        messages.success(request, _("Saved."))
    return redirect("plans:template_edit", pk=target.template.pk)


def _decimal_or_none(value: Any) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


@access(Audience.STEWARD, write=True)
@never_cache
def template_edit(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Edit a template: title and sources, sections, items (a used version is copied)."""
    template = selectors.template_get(viewer=request.grant, pk=pk)
    if not services.template_can_edit(actor=request.user, template=template):
        raise PermissionDenied
    meta = TemplateMetaForm(
        initial={
            "title": template.title,
            "effective_from": template.effective_from,
            "sources": "\n".join(
                f"{s.get('title', '')} | {s.get('url', '')}" for s in template.sources
            ),
        }
    )
    section_form = SectionForm()
    item_form = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "meta":
                meta = TemplateMetaForm(request.POST)
                if meta.is_valid():
                    target = services.template_update(
                        actor=request.user,
                        template=template,
                        title=meta.cleaned_data["title"],
                        effective_from=meta.cleaned_data["effective_from"],
                        sources=meta.source_rows(),
                    )
                    return _after_edit(request, target, template)
            elif action == "section":
                section_form = SectionForm(request.POST)
                if section_form.is_valid():
                    target = services.section_add(
                        actor=request.user,
                        template=template,
                        title=section_form.cleaned_data["title"],
                    )
                    return _after_edit(request, target, template)
            elif action == "item":
                item_form = ItemForm(request.POST)
                if item_form.is_valid():
                    d = item_form.cleaned_data
                    target = services.item_save(
                        actor=request.user,
                        template=template,
                        section_pk=d["section"],
                        item_pk=d["item"],
                        data=services.ItemInput(
                            code=d["code"],
                            text=d["text"],
                            why=d["why"],
                            required=d["required"],
                            evidence=d["evidence"],
                            number_unit=d["number_unit"],
                            number_min=_decimal_or_none(d["number_min"]),
                            number_max=_decimal_or_none(d["number_max"]),
                            parameter=_decimal_or_none(d["parameter"]),
                            parameter_unit=d["parameter_unit"],
                        ),
                    )
                    return _after_edit(request, target, template)
            elif action == "delete":
                item_pk = request.POST.get("item", "")
                if not item_pk.isdigit():
                    raise ValidationError(_("Choose an item."))
                target = services.item_delete(
                    actor=request.user, template=template, item_pk=int(item_pk)
                )
                return _after_edit(request, target, template)
            else:
                raise ValidationError(_("Choose what to change."))
        except ValidationError as exc:
            form = {"meta": meta, "section": section_form, "item": item_form}.get(action)
            if form is not None:
                form.add_service_errors(exc)
            else:
                messages.error(request, " ".join(exc.messages))
    sections = list(template.sections.prefetch_related("items"))
    return render(
        request,
        "plans/template_edit.html",
        {
            "template": template,
            "sections": sections,
            "meta": meta,
            "section_form": section_form,
            "item_form": item_form,
            "evidence_choices": EvidenceKind.choices,
            "used": services.template_is_used(template),
            "is_draft": template.status == TemplateStatus.DRAFT,
            "grant": request.grant,
        },
        status=422 if request.method == "POST" else 200,
    )


@access(Audience.STEWARD, write=True)
@require_POST
def template_publish(request: GrantRequest, pk: int) -> HttpResponseBase:
    """Publish a draft version: new plans are filled from it."""
    template = selectors.template_get(viewer=request.grant, pk=pk)
    try:
        services.template_publish(actor=request.user, template=template)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Published. New plans are filled from this version."))
    return redirect("plans:template_detail", pk=template.pk)
