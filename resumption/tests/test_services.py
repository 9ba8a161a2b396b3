import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from emergencies.models import Emergency
from emergencies.services import rule_publish
from orgs.models import Division
from resumption import rules, services
from resumption.models import ApplicationEvent, DeclarationRevision
from resumption.tests.helpers import application, approve, employee, from_hubei, in_shenzhen

pytestmark = pytest.mark.django_db


def test_it_derives_the_risk_level_with_the_rule_version(cast):
    person = employee(cast, 1)
    declaration = from_hubei(cast, person)
    assert declaration.risk_level == "high"
    assert declaration.quarantine_days == 14
    assert declaration.rule_version is None
    assert "2020" in declaration.rule_source
    emergency = Emergency.objects.create(
        name="新冠", kind="epidemic", started_on=dt.date(2020, 1, 23), is_current=True
    )
    table = rules.default_risk_regions()
    table["regions"] = [{"code": "420100", "level": "medium"}]
    version = rule_publish(
        actor=None,
        scope=cast.federation,
        emergency=emergency,
        key=rules.RISK_KEY,
        data=table,
        effective_from=dt.date(2020, 1, 1),
        source_title="测试",
    )
    declaration = from_hubei(cast, person, travel_on=timezone.localdate() + dt.timedelta(days=1))
    assert declaration.risk_level == "medium"
    assert declaration.rule_version == version
    assert declaration.revision == 2
    assert DeclarationRevision.objects.filter(declaration=declaration).count() == 2


def test_it_honours_a_regions_effective_dates(reference_data: None) -> None:
    table = rules.RiskRegionRules.model_validate(
        {
            **rules.default_risk_regions(),
            "regions": [
                {"code": "420000", "level": "high", "effective_to": "2020-03-01"},
            ],
        }
    )
    hubei = Division.objects.get(code="420100")
    assert rules.region_level(table, hubei, dt.date(2020, 2, 1))[0] == "high"
    assert rules.region_level(table, hubei, dt.date(2020, 4, 1))[0] == "low"


def test_it_refuses_a_table_without_days_for_every_level():
    with pytest.raises(ValueError, match="missing"):
        rules.RiskRegionRules.model_validate(
            {"regions": [], "days": {"low": {"quarantine_days": 0, "observation_days": 0}}}
        )


def test_it_refuses_a_declaration_without_a_place(cast):
    person = employee(cast, 1)
    with pytest.raises(ValidationError) as exc:
        services.declaration_save(
            employee=person,
            data=services.DeclarationInput(in_shenzhen=True),
            via="manager",
            actor=cast.enterprise_admin,
        )
    assert "district" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.declaration_save(
            employee=person,
            data=services.DeclarationInput(
                in_shenzhen=False,
                province=Division.objects.get(code="420000"),
                city=Division.objects.get(code="440300"),
                travel_mode="train",
            ),
            via="manager",
            actor=cast.enterprise_admin,
        )
    assert "city" in exc.value.message_dict


def test_it_keeps_no_revision_when_nothing_changed(cast):
    person = employee(cast, 1)
    in_shenzhen(cast, person)
    declaration = in_shenzhen(cast, person)
    assert declaration.revision == 1


# The state machine -----------------------------------------------------------------------


def test_it_walks_the_application_through_its_states(cast):
    app = application(cast)
    assert app.status == "submitted"
    assert app.reviewer == cast.association
    with pytest.raises(ValidationError):
        services.application_transition(
            actor=cast.association_officer,
            application=app,
            to="returned",
            acting_for=cast.association,
        )  # no comment
    app = services.application_transition(
        actor=cast.association_officer,
        application=app,
        to="returned",
        acting_for=cast.association,
        comment="请补充隔离安排",
    )
    assert app.comment == "请补充隔离安排"
    app = services.application_transition(
        actor=cast.enterprise_admin, application=app, to="resubmitted", acting_for=cast.enterprise
    )
    app = approve(cast, app)
    assert app.status == "approved"
    assert list(
        ApplicationEvent.objects.filter(application=app).values_list("to_status", flat=True)
    ) == ["draft", "submitted", "returned", "resubmitted", "approved"]
    assert AuditEvent.objects.filter(action="resumption.application_approved").exists()
    with pytest.raises(ValidationError):
        services.application_transition(
            actor=cast.association_officer,
            application=app,
            to="returned",
            acting_for=cast.association,
            comment="x",
        )


def test_it_lets_only_the_reviewer_decide(cast):
    app = application(cast)
    for org in (cast.enterprise, cast.other_association, cast.other_enterprise):
        with pytest.raises(ValidationError):
            services.application_transition(
                actor=cast.other_admin, application=app, to="approved", acting_for=org
            )


def test_it_refuses_to_submit_without_commitment(cast):
    app = application(cast, submit=False)
    app = services.application_update(
        actor=cast.enterprise_admin,
        application=app,
        title=app.title,
        normal_headcount=20,
        isolation_rooms=0,
        committed=False,
        version=app.version,
    )
    with pytest.raises(ValidationError) as exc:
        services.application_transition(
            actor=cast.enterprise_admin, application=app, to="submitted", acting_for=cast.enterprise
        )
    assert "committed" in exc.value.message_dict


def test_it_refuses_approval_while_the_prevention_plan_is_not_approved(cast, real_plan_gate):
    app = application(cast)
    assert services.prevention_plan_approved(cast.enterprise) is False
    with pytest.raises(ValidationError, match="prevention plan"):
        approve(cast, app)


@pytest.mark.parametrize("share", [0, 101, -5])
def test_it_refuses_a_share_out_of_range(cast, share):
    app = application(cast, submit=False)
    with pytest.raises(ValidationError) as exc:
        services.phase_add(
            actor=cast.enterprise_admin,
            application=app,
            starts_on=timezone.localdate() + dt.timedelta(days=3),
            share_pct=share,
            sites=[cast.site],
            shifts=services.parse_shifts("08:00-16:00"),
        )
    assert "share_pct" in exc.value.message_dict


def test_it_refuses_another_enterprises_site(cast):
    app = application(cast, submit=False)
    with pytest.raises(ValidationError):
        services.phase_add(
            actor=cast.enterprise_admin,
            application=app,
            starts_on=timezone.localdate() + dt.timedelta(days=3),
            share_pct=60,
            sites=[cast.other_site],
            shifts=services.parse_shifts("08:00-16:00"),
        )


@pytest.mark.parametrize("text", ["", "8-16", "25:00-26:00", "08:00-08:30", "a,b,c,d,e"])
def test_it_refuses_bad_shifts(text):
    with pytest.raises(ValidationError):
        services.parse_shifts(text)


def test_it_computes_capacity_with_its_workings(cast):
    capacity = rules.site_capacity(
        floor_area_m2=Decimal("120.0"), sector_code="hotel", share_pct=50, on=timezone.localdate()
    )
    assert capacity.people == 10  # ⌊120 ÷ 6 × 50 %⌋
    assert "120.0 m² ÷ 6 m²/person × 50%" in capacity.formula


def test_it_handles_a_capacity_of_zero(cast):
    capacity = rules.site_capacity(
        floor_area_m2=Decimal("5.0"), sector_code="hotel", share_pct=10, on=timezone.localdate()
    )
    assert capacity.people == 0
    cast.site.floor_area_m2 = Decimal("5.0")
    cast.site.save()
    person = employee(cast, 1)
    in_shenzhen(cast, person)
    app = application(cast, share=10)
    from resumption import planning

    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    a = plan.assignments.get()
    assert a.first_day is None
    assert a.reason == "no_capacity"
    client = cast.client(cast.enterprise_admin)
    page = client.get(f"/resumption/applications/{app.pk}/")
    assert b"nobody can work here at this share" in page.content


# Attendance ------------------------------------------------------------------------------


def _published(cast: Any, people: list[Any]) -> Any:
    from resumption import planning

    for p in people:
        in_shenzhen(cast, p)
    app = approve(cast, application(cast, start=timezone.localdate() - dt.timedelta(days=3)))
    plan = planning.plan_compute(actor=cast.enterprise_admin, application=app)
    planning.plan_publish(actor=cast.enterprise_admin, plan=plan)
    return plan


def test_it_materialises_attendance_once(cast):
    people = [employee(cast, n) for n in range(4)]
    _published(cast, people)
    today = timezone.localdate()
    assert services.attendance_materialise(day=today) == 4
    assert services.attendance_materialise(day=today) == 0


def test_it_finds_contacts_on_the_same_site_and_shift(cast):
    from resumption import selectors
    from resumption.models import AttendanceRecord

    people = [employee(cast, n) for n in range(4)]
    _published(cast, people)
    for d in range(3):
        services.attendance_materialise(day=timezone.localdate() - dt.timedelta(days=d))
    grant = cast.enterprise_admin.grants.get()
    mine = AttendanceRecord.objects.filter(employee=people[0]).first()
    assert mine is not None
    same = set(
        AttendanceRecord.objects.filter(site=mine.site, day=mine.day, shift=mine.shift)
        .exclude(employee=people[0])
        .values_list("employee_id", flat=True)
    )
    found = selectors.contacts_of(viewer=grant, employee=people[0])
    assert {c.employee_id for c in found} == same
    # An absence is no contact.
    if same:
        AttendanceRecord.objects.filter(employee_id__in=same).update(status="absent")
        assert selectors.contacts_of(viewer=grant, employee=people[0]) == []
    other = employee(cast, 9, enterprise=cast.other_enterprise)
    with pytest.raises(Exception):  # noqa: B017, PT011 - Http404
        selectors.contacts_of(viewer=grant, employee=other)


def test_it_corrects_attendance(cast):
    from resumption.models import AttendanceRecord

    people = [employee(cast, n) for n in range(2)]
    _published(cast, people)
    services.attendance_materialise(day=timezone.localdate())
    record = AttendanceRecord.objects.first()
    assert record is not None
    with pytest.raises(ValidationError):
        services.attendance_correct(
            actor=cast.enterprise_admin, record=record, status="swapped", shift=record.shift
        )
    with pytest.raises(ValidationError):
        services.attendance_correct(actor=cast.enterprise_admin, record=record, status="gone")
    record = services.attendance_correct(
        actor=cast.enterprise_admin, record=record, status="swapped", shift=(record.shift + 1) % 2
    )
    assert record.source == "manager"
