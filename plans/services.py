"""Writes to checklist templates and prevention plans; each is audited in its transaction.

- Templates: the federation edits the base template (and may edit any), an association
  its own sector additions. A published (or retired) version is never changed: editing it
  makes a new draft version, a copy, so plans keep the version they were filled from.
- Plans: saved section by section with optimistic locking (`version`), answered item by
  item (each answer has its own version), the commitment confirmed by the named person,
  then submitted. `plan_transition` is the only code that assigns `Plan.status`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from lib.ids import normalize_mobile
from lib.uploads import ATTACHMENT_KINDS, IMAGE_KINDS, upload_check
from notify.services import Message, Recipient, notify_send
from orgs.models import MembershipStatus, Organization, OrganizationKind, Sector
from plans.checklist import missing_required, team_minimum, template_ids
from plans.models import (
    MAX_PARAMETER,
    AnswerState,
    ChecklistTemplate,
    EvidenceKind,
    Plan,
    PlanAnswer,
    PlanEvent,
    PlanStatus,
    PlanSupply,
    ReviewComment,
    TemplateItem,
    TemplateSection,
    TemplateStatus,
)

DATA_FILE = Path(__file__).resolve().parent / "data" / "templates.json"
WRITER_ROLES = (Role.ADMIN, Role.STAFF)
MAX_TEAM = 50
MAX_CONTACTS = 20
MAX_SUPPLIES = 30
MAX_SOURCES = 20
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
# Absolute bounds on any number typed as an answer, whatever the item's own limits.
NUMBER_BOUND = Decimal("1000000000")
STANDARD_SUPPLIES: tuple[tuple[str, str], ...] = (
    ("口罩", "个"),
    ("消毒液", "升"),
    ("一次性手套", "双"),
    ("洗手液", "瓶"),
    ("体温计/红外测温仪", "支"),
)


def _is_writer(actor: User, organization: Organization) -> bool:
    return RoleGrant.objects.filter(
        user=actor, organization=organization, role__in=WRITER_ROLES
    ).exists()


# ---------------------------------------------------------------- templates


def template_can_edit(*, actor: User, template: ChecklistTemplate) -> bool:
    """The owner's writers edit a template; the federation's writers edit any."""
    if _is_writer(actor, template.owner):
        return True
    return RoleGrant.objects.filter(
        user=actor, organization__kind=OrganizationKind.FEDERATION, role__in=WRITER_ROLES
    ).exists()


def _require_template_editor(actor: User, template: ChecklistTemplate) -> None:
    if not template_can_edit(actor=actor, template=template):
        raise PermissionDenied


def template_is_used(template: ChecklistTemplate) -> bool:
    return Plan.objects.filter(Q(base_template=template) | Q(sector_templates=template)).exists()


def _next_version(owner: Organization, sector: Sector | None) -> int:
    top = ChecklistTemplate.objects.filter(owner=owner, sector=sector).aggregate(v=Max("version"))
    return int(top["v"] or 0) + 1


def _copy(template: ChecklistTemplate) -> tuple[ChecklistTemplate, dict[int, int], dict[int, int]]:
    """A new draft version with the same sections and items; returns the copy and the
    maps old section pk → new pk and old item pk → new pk."""
    copy = ChecklistTemplate.objects.create(
        owner=template.owner,
        sector=template.sector,
        title=template.title,
        version=_next_version(template.owner, template.sector),
        effective_from=max(template.effective_from, timezone.localdate()),
        status=TemplateStatus.DRAFT,
        sources=list(template.sources),
        based_on=template,
    )
    sections: dict[int, int] = {}
    items: dict[int, int] = {}
    for section in template.sections.prefetch_related("items"):
        new_section = TemplateSection.objects.create(
            template=copy, order=section.order, title=section.title
        )
        sections[section.pk] = new_section.pk
        for item in section.items.all():
            old_pk = item.pk
            item.pk = None
            item.section = new_section
            item.save()
            items[old_pk] = item.pk
    return copy, sections, items


@dataclass
class Editable:
    """The template version an edit applies to; `copied` when a new draft was made."""

    template: ChecklistTemplate
    copied: bool = False
    sections: dict[int, int] = field(default_factory=dict)
    items: dict[int, int] = field(default_factory=dict)

    def section_pk(self, pk: int) -> int:
        return self.sections.get(pk, pk) if self.copied else pk

    def item_pk(self, pk: int) -> int:
        return self.items.get(pk, pk) if self.copied else pk


def _editable(actor: User, template: ChecklistTemplate) -> Editable:
    """The template itself while it is an unused draft, else a new draft version."""
    _require_template_editor(actor, template)
    current = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if current.status == TemplateStatus.DRAFT and not template_is_used(current):
        return Editable(current)
    copy, sections, items = _copy(current)
    audit_record(
        actor=actor,
        action="plans.template.new_version",
        scope=current.owner,
        obj=copy,
        changes={"from_version": current.version, "version": copy.version},
    )
    return Editable(copy, copied=True, sections=sections, items=items)


def _clean_sources(sources: list[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for source in sources[: MAX_SOURCES + 1]:
        title = str(source.get("title", "")).strip()
        url = str(source.get("url", "")).strip()
        if not title and not url:
            continue
        if not title or len(title) > 300:
            raise ValidationError({"sources": _("Each source needs a title under 300 characters.")})
        if url and (len(url) > 500 or not url.lower().startswith(("http://", "https://"))):
            raise ValidationError({"sources": _("A source's address must start with http(s)://.")})
        cleaned.append({"title": title, "url": url})
    if len(cleaned) > MAX_SOURCES:
        raise ValidationError({"sources": _("Cite at most 20 sources.")})
    return cleaned


@transaction.atomic
def template_create(
    *, actor: User, owner: Organization, sector: Sector | None, title: str
) -> ChecklistTemplate:
    """A new draft version for the owner and sector: a copy of the newest version, or empty."""
    if owner.is_enterprise:
        raise PermissionDenied
    if owner.is_association and sector != owner.sector:
        raise ValidationError(_("An association curates the additions of its own sector."))
    if owner.is_association and not _is_writer(actor, owner):
        raise PermissionDenied
    if owner.is_federation and not _is_writer(actor, owner):
        raise PermissionDenied
    latest = ChecklistTemplate.objects.filter(owner=owner, sector=sector).order_by("-version")
    if latest.exists():
        return _editable(actor, latest[0]).template
    title = title.strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": _("Give the template a title under 200 characters.")})
    template = ChecklistTemplate.objects.create(
        owner=owner,
        sector=sector,
        title=title,
        version=1,
        effective_from=timezone.localdate(),
        status=TemplateStatus.DRAFT,
    )
    audit_record(actor=actor, action="plans.template.create", scope=owner, obj=template)
    return template


@transaction.atomic
def template_update(
    *,
    actor: User,
    template: ChecklistTemplate,
    title: str,
    effective_from: dt.date,
    sources: list[dict[str, str]],
) -> Editable:
    """Change a template's title, effective date and sources."""
    title = title.strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": _("Give the template a title under 200 characters.")})
    cleaned = _clean_sources(sources)
    target = _editable(actor, template)
    t = target.template
    t.title, t.effective_from, t.sources = title, effective_from, cleaned
    t.save(update_fields=["title", "effective_from", "sources", "updated_at"])
    audit_record(actor=actor, action="plans.template.update", scope=t.owner, obj=t)
    return target


@transaction.atomic
def section_add(*, actor: User, template: ChecklistTemplate, title: str) -> Editable:
    """Add a section at the end of a template."""
    title = title.strip()
    if not title or len(title) > 200:
        raise ValidationError({"title": _("Give the section a title under 200 characters.")})
    target = _editable(actor, template)
    top = target.template.sections.aggregate(o=Max("order"))["o"] or 0
    TemplateSection.objects.create(template=target.template, order=top + 1, title=title)
    audit_record(
        actor=actor,
        action="plans.template.section_add",
        scope=target.template.owner,
        obj=target.template,
    )
    return target


@dataclass(frozen=True)
class ItemInput:
    """The editable fields of a checklist item."""

    code: str
    text: str
    why: str = ""
    required: bool = True
    evidence: str = EvidenceKind.NONE
    number_unit: str = ""
    number_min: Decimal | None = None
    number_max: Decimal | None = None
    parameter: Decimal | None = None
    parameter_unit: str = ""


def _clean_item(data: ItemInput) -> dict[str, Any]:
    errors: dict[str, str] = {}
    code = data.code.strip().upper()
    if not code or len(code) > 20 or not all(c.isalnum() or c == "-" for c in code):
        errors["code"] = _("Use a short code of letters, digits and dashes, e.g. HB-1.")
    if not data.text.strip() or len(data.text) > 500:
        errors["text"] = _("Write the requirement in under 500 characters.")
    if len(data.why) > 500:
        errors["why"] = _("Keep the reason under 500 characters.")
    if data.evidence not in EvidenceKind.values:
        errors["evidence"] = _("Choose the evidence wanted.")
    for name in ("number_min", "number_max"):
        value = getattr(data, name)
        if value is not None and abs(value) >= NUMBER_BOUND:
            errors[name] = _("This number is out of range.")
    if (
        data.number_min is not None
        and data.number_max is not None
        and data.number_min > data.number_max
    ):
        errors["number_max"] = _("The smallest number cannot exceed the largest.")
    if data.parameter is not None and not (0 <= data.parameter <= MAX_PARAMETER):
        errors["parameter"] = _("The parameter must be between 0 and 1,000,000.")
    if data.parameter is not None and not data.parameter_unit.strip():
        errors["parameter_unit"] = _(
            "Say what the parameter counts (m² per customer, times a day, %)."
        )
    if len(data.number_unit) > 20 or len(data.parameter_unit) > 30:
        errors["number_unit"] = _("Keep units short.")
    if errors:
        raise ValidationError(errors)
    return {
        "code": code,
        "text": data.text.strip(),
        "why": data.why.strip(),
        "required": data.required,
        "evidence": data.evidence,
        "number_unit": data.number_unit.strip(),
        "number_min": data.number_min,
        "number_max": data.number_max,
        "parameter": data.parameter,
        "parameter_unit": data.parameter_unit.strip(),
    }


@transaction.atomic
def item_save(
    *,
    actor: User,
    template: ChecklistTemplate,
    section_pk: int,
    data: ItemInput,
    item_pk: int | None = None,
) -> Editable:
    """Add an item to a section, or change one (`item_pk`)."""
    fields = _clean_item(data)
    if not template.sections.filter(pk=section_pk).exists():
        raise ValidationError(_("This section is not part of the template."))
    if (
        item_pk is not None
        and not TemplateItem.objects.filter(pk=item_pk, section__template=template).exists()
    ):
        raise ValidationError(_("This item is not part of the template."))
    target = _editable(actor, template)
    section = TemplateSection.objects.get(pk=target.section_pk(section_pk))
    clash = TemplateItem.objects.filter(section__template=target.template, code=fields["code"])
    if item_pk is not None:
        clash = clash.exclude(pk=target.item_pk(item_pk))
    if clash.exists():
        raise ValidationError({"code": _("Another item of this template has this code.")})
    if item_pk is None:
        top = section.items.aggregate(o=Max("order"))["o"] or 0
        TemplateItem.objects.create(section=section, order=top + 1, **fields)
        action = "plans.template.item_add"
    else:
        TemplateItem.objects.filter(pk=target.item_pk(item_pk)).update(section=section, **fields)
        action = "plans.template.item_change"
    audit_record(
        actor=actor,
        action=action,
        scope=target.template.owner,
        obj=target.template,
        changes={"code": fields["code"]},
    )
    return target


@transaction.atomic
def item_delete(*, actor: User, template: ChecklistTemplate, item_pk: int) -> Editable:
    """Remove an item (from a new draft version when this one is in use)."""
    if not TemplateItem.objects.filter(pk=item_pk, section__template=template).exists():
        raise ValidationError(_("This item is not part of the template."))
    target = _editable(actor, template)
    item = TemplateItem.objects.get(pk=target.item_pk(item_pk))
    code = item.code
    item.delete()
    audit_record(
        actor=actor,
        action="plans.template.item_delete",
        scope=target.template.owner,
        obj=target.template,
        changes={"code": code},
    )
    return target


@transaction.atomic
def template_publish(*, actor: User, template: ChecklistTemplate) -> ChecklistTemplate:
    """Publish a draft version; the version published before it is retired (the plans
    that use it keep it)."""
    _require_template_editor(actor, template)
    current = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if current.status != TemplateStatus.DRAFT:
        raise ValidationError(_("Only a draft version can be published."), code="not_draft")
    if not TemplateItem.objects.filter(section__template=current).exists():
        raise ValidationError(_("Add at least one item before publishing."), code="empty")
    ChecklistTemplate.objects.filter(
        owner=current.owner, sector=current.sector, status=TemplateStatus.PUBLISHED
    ).update(status=TemplateStatus.RETIRED)
    current.status = TemplateStatus.PUBLISHED
    current.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="plans.template.publish",
        scope=current.owner,
        obj=current,
        changes={"version": current.version},
    )
    return current


def _create_from_data(
    *, owner: Organization, sector: Sector | None, spec: dict[str, Any]
) -> ChecklistTemplate:
    template = ChecklistTemplate.objects.create(
        owner=owner,
        sector=sector,
        title=spec["title"],
        version=_next_version(owner, sector),
        effective_from=dt.date.fromisoformat(spec["effective_from"]),
        status=TemplateStatus.PUBLISHED,
        sources=_clean_sources(spec.get("sources", [])),
    )
    for s_order, section_spec in enumerate(spec["sections"], start=1):
        section = TemplateSection.objects.create(
            template=template, order=s_order, title=section_spec["title"]
        )
        items = []
        for i_order, raw in enumerate(section_spec["items"], start=1):
            data = ItemInput(
                code=raw["code"],
                text=raw["text"],
                why=raw.get("why", ""),
                required=bool(raw.get("required", True)),
                evidence=raw.get("evidence", EvidenceKind.NONE),
                number_unit=raw.get("number_unit", ""),
                number_min=_decimal(raw.get("number_min")),
                number_max=_decimal(raw.get("number_max")),
                parameter=_decimal(raw.get("parameter")),
                parameter_unit=raw.get("parameter_unit", ""),
            )
            fields = _clean_item(data)
            fields["schedule"] = raw.get("schedule", "")
            items.append(TemplateItem(section=section, order=i_order, **fields))
        TemplateItem.objects.bulk_create(items)
    return template


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@transaction.atomic
def templates_seed(*, federation: Organization, actor: User | None) -> int:
    """Load the base template and every sector's additions from plans/data/templates.json
    (the base owned by the federation; each sector's by its association, or by the
    federation when no association has that sector). Idempotent: an owner and sector
    that have any version already are left alone. Returns how many were created."""
    spec = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    created = 0
    if not ChecklistTemplate.objects.filter(owner=federation, sector__isnull=True).exists():
        _create_from_data(owner=federation, sector=None, spec=spec["base"])
        created += 1
    sectors = {s.code: s for s in Sector.objects.all()}
    associations = {
        a.sector_id: a
        for a in Organization.objects.filter(kind=OrganizationKind.ASSOCIATION).order_by("-pk")
    }
    for code, sector_spec in spec["sectors"].items():
        sector = sectors.get(code)
        if sector is None:
            continue
        owner = associations.get(code, federation)
        if ChecklistTemplate.objects.filter(sector=sector).exists():
            continue
        _create_from_data(owner=owner, sector=sector, spec=sector_spec)
        created += 1
    if created:
        audit_record(
            actor=actor,
            action="plans.templates.seed",
            scope=federation,
            changes={"created": created},
        )
    return created


# ---------------------------------------------------------------- plans


def current_base_template() -> ChecklistTemplate | None:
    return (
        ChecklistTemplate.objects.filter(
            sector__isnull=True,
            status=TemplateStatus.PUBLISHED,
            owner__kind=OrganizationKind.FEDERATION,
        )
        .order_by("-version")
        .first()
    )


def current_sector_templates(enterprise: Organization) -> list[ChecklistTemplate]:
    """The published additions for the enterprise's sector, preferring those of its own
    associations."""
    if enterprise.sector_id is None:
        return []
    published = ChecklistTemplate.objects.filter(
        sector_id=enterprise.sector_id, status=TemplateStatus.PUBLISHED
    ).order_by("-version", "-pk")
    mine = published.filter(
        owner__member_links__enterprise=enterprise,
        owner__member_links__status=MembershipStatus.ACTIVE,
    ).first()
    chosen = mine or published.first()
    return [chosen] if chosen is not None else []


def _require_enterprise_writer(actor: User, plan: Plan) -> None:
    if not _is_writer(actor, plan.enterprise):
        raise PermissionDenied


def _require_editable(plan: Plan) -> None:
    if not plan.is_editable:
        raise ValidationError(
            _("A plan that is “%(status)s” cannot be changed.")
            % {"status": PlanStatus(plan.status).label},
            code="not_editable",
        )


@transaction.atomic
def plan_start(*, actor: User, enterprise: Organization) -> Plan:
    """The enterprise's plan, started from the current base and sector templates (or the
    one it has)."""
    if not enterprise.is_enterprise or not _is_writer(actor, enterprise):
        raise PermissionDenied
    existing = Plan.objects.filter(enterprise=enterprise).first()
    if existing is not None:
        return existing
    base = current_base_template()
    if base is None:
        raise ValidationError(
            _("The federation has not published a base checklist yet."), code="no_template"
        )
    sites = list(enterprise.sites.all())
    plan = Plan.objects.create(
        enterprise=enterprise,
        base_template=base,
        created_by=actor,
        responsible_name=enterprise.legal_representative,
        floor_area_m2=sum((s.floor_area_m2 for s in sites), Decimal(0)) or None,
        store_count=len(sites) or None,
        team=[],
    )
    plan.sector_templates.set(current_sector_templates(enterprise))
    PlanSupply.objects.bulk_create(
        [
            PlanSupply(plan=plan, item=item, unit=unit, on_hand=0, daily_use=0)
            for item, unit in STANDARD_SUPPLIES
        ]
    )
    PlanEvent.objects.create(
        plan=plan,
        from_status="",
        to_status=PlanStatus.DRAFT,
        actor=actor,
        actor_organization=enterprise,
    )
    audit_record(
        actor=actor,
        action="plans.plan.start",
        scope=enterprise,
        obj=plan,
        changes={"templates": template_ids(plan)},
    )
    return plan


# The plan's own fields, by the section of the page that edits them.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "enterprise": (
        "floor_area_m2",
        "store_count",
        "responsible_user",
        "responsible_name",
        "responsible_title",
        "liaison_name",
        "liaison_mobile",
        "planned_resume_on",
        "resume_mode",
    ),
    "staff": ("isolation", "isolation_notes", "dormitory_rooms", "people_per_room", "canteen"),
    "emergency": ("emergency_steps",),
}


def _stale() -> ValidationError:
    return ValidationError(
        _(
            "Someone else saved this plan while you were editing. Nothing of yours was "
            "saved: reload, check their changes and enter yours again."
        ),
        code="stale",
    )


def _bump(plan: Plan, version: int, fields: dict[str, Any]) -> Plan:
    updated = Plan.objects.filter(pk=plan.pk, version=version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise _stale()
    plan.refresh_from_db()
    return plan


@transaction.atomic
def plan_save(
    *, actor: User, plan: Plan, version: int, section: str, fields: dict[str, Any]
) -> Plan:
    """Save one section of the plan's own fields; a stale `version` is refused."""
    _require_enterprise_writer(actor, plan)
    _require_editable(plan)
    allowed = SECTION_FIELDS.get(section)
    if allowed is None or set(fields) - set(allowed):
        raise ValidationError(_("These fields cannot be saved here."), code="fields")
    probe = Plan(**{k: getattr(plan, k) for k in ("enterprise_id", "base_template_id")})
    for name, value in fields.items():
        setattr(probe, name, value)
    exclude = [f.name for f in Plan._meta.fields if f.name not in fields]
    probe.clean_fields(exclude=exclude)
    if fields.get("liaison_mobile"):
        fields["liaison_mobile"] = normalize_mobile(fields["liaison_mobile"])
    person = fields.get("responsible_user")
    if (
        person is not None
        and not RoleGrant.objects.filter(user=person, organization=plan.enterprise).exists()
    ):
        raise ValidationError(
            {"responsible_user": _("The responsible person must be a user of the enterprise.")}
        )
    if "responsible_user" in fields and (
        (person.pk if person else None) != plan.responsible_user_id
    ):
        # A new named person must confirm the commitment themselves.
        fields.update(
            commitment_confirmed_by=None,
            commitment_confirmed_at=None,
            commitment_ip=None,
            commitment_user_agent="",
        )
    plan = _bump(plan, version, fields)
    audit_record(
        actor=actor,
        action=f"plans.plan.save_{section}",
        scope=plan.enterprise,
        obj=plan,
        changes={"fields": sorted(fields)},
    )
    return plan


@dataclass(frozen=True)
class PersonInput:
    """A member of the prevention team or an emergency contact."""

    name: str
    role: str = ""
    mobile: str = ""


_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{1,18}[0-9]$")


def _clean_people(
    people: list[PersonInput], *, limit: int, field_name: str, landlines: bool = False
) -> list[dict[str, str]]:
    """Rows of name, role and mobile; `landlines` also accepts office numbers and
    hotlines (0755-12320, 120) for emergency contacts."""
    rows = []
    for n, person in enumerate(people, start=1):
        name, role, mobile = person.name.strip(), person.role.strip(), person.mobile.strip()
        if not (name or role or mobile):
            continue
        if not name or len(name) > 50 or len(role) > 50:
            raise ValidationError(
                {field_name: _("Row %(n)d: a name (and role) under 50 characters.") % {"n": n}}
            )
        if mobile:
            try:
                mobile = normalize_mobile(mobile)
            except ValidationError:
                if not (landlines and _PHONE.match(mobile)):
                    raise ValidationError(
                        {field_name: _("Row %(n)d: enter an 11-digit mobile number.") % {"n": n}}
                    ) from None
        rows.append({"name": name, "role": role, "mobile": mobile})
    if len(rows) > limit:
        raise ValidationError({field_name: _("At most %(n)d rows.") % {"n": limit}})
    return rows


@transaction.atomic
def team_save(*, actor: User, plan: Plan, version: int, members: list[PersonInput]) -> Plan:
    """Replace the prevention team (its size is checked on submission)."""
    _require_enterprise_writer(actor, plan)
    _require_editable(plan)
    team = _clean_people(members, limit=MAX_TEAM, field_name="team")
    plan = _bump(plan, version, {"team": team})
    audit_record(
        actor=actor,
        action="plans.plan.save_team",
        scope=plan.enterprise,
        obj=plan,
        changes={"members": len(team)},
    )
    return plan


@transaction.atomic
def emergency_save(
    *, actor: User, plan: Plan, version: int, contacts: list[PersonInput], steps: str
) -> Plan:
    """Save the emergency plan: who to call and what to do."""
    _require_enterprise_writer(actor, plan)
    _require_editable(plan)
    rows = _clean_people(
        contacts, limit=MAX_CONTACTS, field_name="emergency_contacts", landlines=True
    )
    if len(steps) > 5000:
        raise ValidationError({"emergency_steps": _("Keep the steps under 5,000 characters.")})
    plan = _bump(plan, version, {"emergency_contacts": rows, "emergency_steps": steps.strip()})
    audit_record(
        actor=actor,
        action="plans.plan.save_emergency",
        scope=plan.enterprise,
        obj=plan,
        changes={"contacts": len(rows)},
    )
    return plan


@dataclass(frozen=True)
class SupplyInput:
    """One supply row as typed: quantities as text, checked here."""

    item: str
    unit: str
    on_hand: str
    daily_use: str


def _quantity(value: str, *, n: int, label: str, limit: Decimal) -> Decimal:
    try:
        number = Decimal(value.strip().replace(",", "") or "0")
    except InvalidOperation:
        raise ValidationError(
            {"supplies": _("Row %(n)d: %(what)s is not a number.") % {"n": n, "what": label}}
        ) from None
    if not number.is_finite() or number < 0 or number > limit:
        raise ValidationError(
            {
                "supplies": _("Row %(n)d: %(what)s must be between 0 and %(limit)s.")
                % {"n": n, "what": label, "limit": f"{limit:,.0f}"}
            }
        )
    return number.quantize(Decimal("0.1"))


@transaction.atomic
def supplies_save(*, actor: User, plan: Plan, version: int, rows: list[SupplyInput]) -> Plan:
    """Replace the supplies list; negative or absurd quantities are refused, nothing saved."""
    from plans.models import MAX_DAILY_USE, MAX_QUANTITY

    _require_enterprise_writer(actor, plan)
    _require_editable(plan)
    cleaned: dict[str, PlanSupply] = {}
    for n, row in enumerate(rows, start=1):
        item, unit = row.item.strip(), row.unit.strip()
        if not item and not row.on_hand.strip() and not row.daily_use.strip():
            continue
        if not item or len(item) > 60 or not unit or len(unit) > 20:
            raise ValidationError(
                {"supplies": _("Row %(n)d: name the item and its unit.") % {"n": n}}
            )
        if item in cleaned:
            raise ValidationError(
                {"supplies": _("Row %(n)d: “%(item)s” is listed twice.") % {"n": n, "item": item}}
            )
        cleaned[item] = PlanSupply(
            plan=plan,
            item=item,
            unit=unit,
            on_hand=_quantity(row.on_hand, n=n, label=_("on hand"), limit=MAX_QUANTITY),
            daily_use=_quantity(row.daily_use, n=n, label=_("daily use"), limit=MAX_DAILY_USE),
        )
    if len(cleaned) > MAX_SUPPLIES:
        raise ValidationError({"supplies": _("At most %(n)d rows.") % {"n": MAX_SUPPLIES}})
    plan = _bump(plan, version, {})
    PlanSupply.objects.filter(plan=plan).delete()
    PlanSupply.objects.bulk_create(cleaned.values())
    audit_record(
        actor=actor,
        action="plans.plan.save_supplies",
        scope=plan.enterprise,
        obj=plan,
        changes={"rows": len(cleaned)},
    )
    return plan


@dataclass(frozen=True)
class AnswerInput:
    """An answer as typed; `version` is the answer's version seen (0: none yet)."""

    state: str
    note: str = ""
    number: str = ""
    version: int = 0
    remove_evidence: bool = False


@transaction.atomic
def answer_save(
    *,
    actor: User,
    plan: Plan,
    item: TemplateItem,
    data: AnswerInput,
    upload: UploadedFile | None = None,
) -> PlanAnswer:
    """Answer one checklist item, with its evidence (files checked by their content)."""
    _require_enterprise_writer(actor, plan)
    _require_editable(plan)
    if item.section.template_id not in template_ids(plan):
        raise ValidationError(_("This item is not part of the plan's checklist."))
    if data.state not in AnswerState.values:
        raise ValidationError({"state": _("Choose an answer.")})
    note = data.note.strip()
    if len(note) > 1000:
        raise ValidationError({"note": _("Keep the note under 1,000 characters.")})
    number: Decimal | None = None
    if data.number.strip():
        try:
            number = Decimal(data.number.strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationError({"number": _("Enter a number.")}) from None
        low = item.number_min if item.number_min is not None else Decimal(0)
        high = item.number_max if item.number_max is not None else NUMBER_BOUND - 1
        if not number.is_finite() or number < low or number > high:
            raise ValidationError(
                {
                    "number": _("Enter a number between %(low)s and %(high)s.")
                    % {"low": f"{low:,.0f}", "high": f"{high:,.0f}"}
                }
            )
    if data.state == AnswerState.NOT_APPLICABLE and not note:
        raise ValidationError({"note": _("Say why this does not apply.")})
    checked = None
    if upload is not None:
        if item.evidence == EvidenceKind.PHOTO:
            allowed = IMAGE_KINDS
        elif item.evidence == EvidenceKind.FILE:
            allowed = ATTACHMENT_KINDS
        else:
            raise ValidationError({"evidence": _("This item asks for no file.")})
        checked = upload_check(upload, allowed=allowed, max_bytes=EVIDENCE_MAX_BYTES)
    answer = PlanAnswer.objects.select_for_update(of=("self",)).filter(plan=plan, item=item).first()
    seen = answer.version if answer is not None else 0
    if data.version != seen:
        raise ValidationError(
            _(
                "Someone else answered this item while you were editing. Nothing of yours "
                "was saved: check their answer and try again."
            ),
            code="stale",
        )
    if answer is None:
        answer = PlanAnswer(plan=plan, item=item, version=0)
    answer.state, answer.note, answer.number = data.state, note, number
    answer.answered_by = actor
    answer.version += 1
    old_file = answer.evidence_file.name if answer.evidence_file else ""
    if data.remove_evidence and checked is None:
        answer.evidence_file = ""  # type: ignore[assignment]
        answer.evidence_name = answer.evidence_type = answer.evidence_sha256 = ""
    if checked is not None and upload is not None:
        answer.evidence_file.save(checked.name, upload, save=False)
        answer.evidence_name = checked.name
        answer.evidence_type = checked.content_type
        answer.evidence_sha256 = checked.sha256
    answer.save()
    if old_file and old_file != (answer.evidence_file.name or ""):
        storage = answer.evidence_file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    audit_record(
        actor=actor,
        action="plans.answer.save",
        scope=plan.enterprise,
        obj=plan,
        changes={"item": item.code, "state": data.state, "evidence": bool(answer.evidence_file)},
    )
    return answer


@transaction.atomic
def commitment_confirm(
    *, actor: User, plan: Plan, version: int, ip: str | None, user_agent: str
) -> Plan:
    """The named responsible person confirms the commitment letter; who, when and from
    where are recorded."""
    _require_editable(plan)
    if plan.responsible_user_id is None:
        raise ValidationError(
            _("Name the person responsible for prevention first (enterprise section)."),
            code="no_person",
        )
    if plan.responsible_user_id != actor.pk:
        raise ValidationError(
            _("Only %(name)s, the named responsible person, can confirm the commitment.")
            % {"name": plan.responsible_user.display_label if plan.responsible_user else ""},
            code="not_named_person",
        )
    plan = _bump(
        plan,
        version,
        {
            "commitment_confirmed_by": actor,
            "commitment_confirmed_at": timezone.now(),
            "commitment_ip": ip or None,
            "commitment_user_agent": user_agent[:300],
        },
    )
    audit_record(actor=actor, action="plans.commitment.confirm", scope=plan.enterprise, obj=plan)
    return plan


@transaction.atomic
def plan_submit(*, actor: User, plan: Plan) -> Plan:
    """Send the plan for review (or again, after it was returned or suspended)."""
    _require_enterprise_writer(actor, plan)
    to = PlanStatus.SUBMITTED if plan.status == PlanStatus.DRAFT else PlanStatus.RESUBMITTED
    return plan_transition(actor=actor, plan=plan, to=to)


# ---------------------------------------------------------------- site rounds


@dataclass(frozen=True)
class RoundsApplied:
    """What `plan_site_schedules` set: rounds a day per kind, and on how many sites."""

    per_day: dict[str, int]
    sites: int


@transaction.atomic
def plan_site_schedules(*, actor: User, plan: Plan) -> RoundsApplied:
    """Set every site's schedule of rounds (disinfection, ventilation, temperature checks)
    from the plan's checklist: per kind, the largest number of rounds a day that the
    plan's template items ask for (items tagged with `schedule`). Site administrators'
    right (sitelogs.services.schedule_set); each schedule names the plan as its source."""
    from orgs.models import Site
    from sitelogs.services import schedule_set

    _require_enterprise_writer(actor, plan)
    per_day: dict[str, int] = {}
    for kind, parameter in (
        TemplateItem.objects.filter(
            section__template_id__in=template_ids(plan), parameter__isnull=False
        )
        .exclude(schedule="")
        .values_list("schedule", "parameter")
    ):
        rounds = int(parameter or 0)
        if 1 <= rounds <= 24:
            per_day[kind] = max(per_day.get(kind, 0), rounds)
    if not per_day:
        raise ValidationError(
            _("The plan's checklist names no number of rounds a day for the sites."),
            code="no_rounds",
        )
    sites = list(Site.objects.filter(enterprise=plan.enterprise).order_by("pk"))
    if not sites:
        raise ValidationError(_("Add your sites first: the rounds are set per site."))
    for site in sites:
        for kind, rounds in sorted(per_day.items()):
            schedule_set(
                actor=actor,
                site=site,
                kind=kind,
                slots=rounds,
                duration_minutes=30 if kind == "ventilation" else 0,
                source=f"plan {plan.pk}",
            )
    audit_record(
        actor=actor,
        action="plan.site_schedules",
        scope=plan.enterprise,
        obj=plan,
        changes={"per_day": per_day, "sites": len(sites)},
    )
    return RoundsApplied(per_day, len(sites))


# ---------------------------------------------------------------- review


def reviewers_of(enterprise: Organization) -> list[Organization]:
    """The associations the enterprise is an active member of; the federation when none."""
    associations = list(
        Organization.objects.filter(
            member_links__enterprise=enterprise, member_links__status=MembershipStatus.ACTIVE
        )
    )
    if associations:
        return associations
    return list(Organization.objects.filter(kind=OrganizationKind.FEDERATION))


def can_review(*, actor: User, plan: Plan) -> bool:
    """A writer of a reviewing organisation who is not the author and holds no grant on
    the enterprise."""
    if actor.pk in {plan.created_by_id, plan.submitted_by_id}:
        return False
    if RoleGrant.objects.filter(user=actor, organization=plan.enterprise).exists():
        return False
    return RoleGrant.objects.filter(
        user=actor, organization__in=reviewers_of(plan.enterprise), role__in=WRITER_ROLES
    ).exists()


def _require_reviewer(actor: User, plan: Plan) -> Organization:
    if (
        actor.pk in {plan.created_by_id, plan.submitted_by_id}
        or RoleGrant.objects.filter(user=actor, organization=plan.enterprise).exists()
    ):
        raise ValidationError(
            _(
                "The plan's own enterprise cannot review it: "
                "its association (or the federation) does."
            ),
            code="author",
        )
    grant = (
        RoleGrant.objects.filter(
            user=actor, organization__in=reviewers_of(plan.enterprise), role__in=WRITER_ROLES
        )
        .select_related("organization")
        .first()
    )
    if grant is None:
        raise ValidationError(
            _(
                "Only the enterprise's association (or the federation, for enterprises "
                "in no association) reviews this plan."
            ),
            code="not_reviewer",
        )
    return grant.organization


REVIEW_TARGETS = frozenset({PlanStatus.APPROVED, PlanStatus.RETURNED, PlanStatus.SUSPENDED})


def _notify_enterprise(plan: Plan, event: PlanEvent) -> None:
    grants = RoleGrant.objects.filter(
        organization=plan.enterprise, role__in=WRITER_ROLES, user__is_active=True
    ).select_related("user")
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Prevention plan: %(status)s")
            % {"status": PlanStatus(event.to_status).label},
            body=event.reason,
            url=reverse("plans:mine"),
        )
    notify_send(
        key=f"plan:{plan.pk}:event:{event.pk}",
        message=message,
        recipients=[Recipient(user=g.user, on_behalf_of=plan.enterprise) for g in grants],
        channels=("inbox",),
        scope=plan.enterprise,
    )


def _notify_reviewers(plan: Plan, event: PlanEvent) -> None:
    grants = RoleGrant.objects.filter(
        organization__in=reviewers_of(plan.enterprise),
        role__in=WRITER_ROLES,
        user__is_active=True,
    ).select_related("user", "organization")
    with translation.override(settings.LANGUAGE_CODE):
        message = Message(
            subject=_("Plan to review: %(name)s") % {"name": plan.enterprise.name},
            url=reverse("plans:review", kwargs={"pk": plan.pk}),
        )
    notify_send(
        key=f"plan:{plan.pk}:event:{event.pk}",
        message=message,
        recipients=[Recipient(user=g.user, on_behalf_of=g.organization) for g in grants],
        channels=("inbox",),
        scope=plan.enterprise,
    )


@transaction.atomic
def plan_transition(*, actor: User, plan: Plan, to: str, reason: str = "") -> Plan:
    """Move a plan to a new status: the only code that assigns `status`."""
    current = (
        Plan.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=plan.pk)
    )
    allowed = Plan.ALLOWED_TRANSITIONS.get(current.status, set())
    if to not in allowed:
        raise ValidationError(
            _("A plan that is “%(current)s” cannot become “%(to)s”.")
            % {
                "current": PlanStatus(current.status).label,
                "to": PlanStatus(to).label if to in PlanStatus.values else to,
            },
            code="transition",
        )
    reason = reason.strip()
    if len(reason) > 1000:
        raise ValidationError({"reason": _("Keep the reason under 1,000 characters.")})
    now = timezone.now()
    fields: dict[str, Any] = {"status": to}
    if to in REVIEW_TARGETS:
        organization = _require_reviewer(actor, current)
        if to in {PlanStatus.RETURNED, PlanStatus.SUSPENDED} and not reason:
            raise ValidationError({"reason": _("Tell the enterprise what to put right.")})
        if to == PlanStatus.APPROVED:
            missing = missing_required(current)
            if missing:
                raise ValidationError(
                    _("Required items are not answered: %(codes)s.")
                    % {"codes": ", ".join(i.code for i in missing)},
                    code="missing",
                )
        fields["decided_at"] = now
    else:
        _require_enterprise_writer(actor, current)
        organization = current.enterprise
        if current.commitment_confirmed_at is None:
            raise ValidationError(
                _("The commitment letter must be confirmed by the named responsible person first."),
                code="no_commitment",
            )
        minimum = team_minimum(current)
        if len(current.team) < minimum:
            raise ValidationError(
                _("The prevention team needs at least %(n)d members.") % {"n": minimum},
                code="team",
            )
        fields.update(submitted_by=actor, submitted_at=now)
        if to == PlanStatus.RESUBMITTED:
            ReviewComment.objects.filter(plan=current, resolved=False).update(resolved=True)
    from_status = current.status
    for name, value in fields.items():
        setattr(current, name, value)
    current.version += 1
    current.save(update_fields=[*fields, "version", "updated_at"])
    event = PlanEvent.objects.create(
        plan=current,
        from_status=from_status,
        to_status=to,
        reason=reason,
        actor=actor,
        actor_organization=organization,
    )
    audit_record(
        actor=actor,
        action=f"plans.plan.{to}",
        scope=current.enterprise,
        obj=current,
        changes={"status": [from_status, to], "reason": reason},
    )
    if to in REVIEW_TARGETS:
        transaction.on_commit(lambda: _notify_enterprise(current, event))
    else:
        transaction.on_commit(lambda: _notify_reviewers(current, event))
    return current


@transaction.atomic
def comment_add(
    *, actor: User, plan: Plan, text: str, item: TemplateItem | None = None
) -> ReviewComment:
    """A reviewer's comment on the plan or one of its items."""
    organization = _require_reviewer(actor, plan)
    text = text.strip()
    if not text or len(text) > 1000:
        raise ValidationError({"text": _("Write a comment under 1,000 characters.")})
    if item is not None and item.section.template_id not in template_ids(plan):
        raise ValidationError(_("This item is not part of the plan's checklist."))
    comment = ReviewComment.objects.create(
        plan=plan, item=item, text=text, by=actor, by_organization=organization
    )
    audit_record(
        actor=actor,
        action="plans.comment.add",
        scope=plan.enterprise,
        obj=plan,
        changes={"item": item.code if item else ""},
    )
    return comment


@dataclass
class BulkResult:
    """What a bulk approval did: the plans approved and those skipped, with reasons."""

    approved: list[Plan] = field(default_factory=list)
    skipped: list[tuple[Plan, str]] = field(default_factory=list)


def plans_bulk_approve(*, actor: User, plans: list[Plan], reason: str = "") -> BulkResult:
    """Approve each plan that can be; the others are skipped with the reason why."""
    result = BulkResult()
    for plan in plans:
        try:
            approved = plan_transition(
                actor=actor, plan=plan, to=PlanStatus.APPROVED, reason=reason
            )
        except ValidationError as exc:
            result.skipped.append((plan, " ".join(exc.messages)))
        else:
            result.approved.append(approved)
    return result
