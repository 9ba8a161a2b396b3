"""Writes to organisations and memberships: field errors, the state machine, admissions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from conftest import Cast
from lib.ids import uscc_check_char
from orgs import services
from orgs.models import Division, Membership, MembershipEvent, MembershipStatus, Sector

pytestmark = pytest.mark.django_db


def make_uscc(number: int) -> str:
    body = f"91440300{number:09d}"
    return body + uscc_check_char(body)


def enterprise_data(**overrides: Any) -> services.EnterpriseData:
    fields: dict[str, Any] = {
        "name": "深圳市新会员有限公司",
        "uscc": make_uscc(1),
        "legal_representative": "张三",
        "sector": Sector.objects.get(code="hotel"),
        "district": Division.objects.get(code="440303"),
        "street": Division.objects.get(code="440303001"),
        "address": "深圳市罗湖区桂园街道1号",
        "contact_name": "李四",
        "contact_mobile": "13700000001",
    }
    fields.update(overrides)
    return services.EnterpriseData(**fields)


def field_errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return list(exc.value.message_dict)


def test_it_files_a_bad_credit_code_under_its_field(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            actor=cast.association_officer, data=enterprise_data(uscc=make_uscc(1)[:17] + "Z")
        )
    assert field_errors(caught) == ["uscc"]


def test_it_files_a_bad_mobile_under_its_field(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            actor=cast.association_officer, data=enterprise_data(contact_mobile="12345")
        )
    assert field_errors(caught) == ["contact_mobile"]


def test_it_refuses_text_longer_than_its_column(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            actor=cast.association_officer, data=enterprise_data(name="名" * 121)
        )
    assert field_errors(caught) == ["name"]


def test_it_refuses_a_site_name_longer_than_its_column(cast: Cast) -> None:
    data = services.SiteData(
        name="店" * 101,
        address="地址",
        district=Division.objects.get(code="440303"),
        street=Division.objects.get(code="440303001"),
        floor_area_m2=Decimal(50),
        kind="store",
        service_mode="open",
    )
    with pytest.raises(ValidationError) as caught:
        services.site_create(actor=cast.enterprise_admin, enterprise=cast.enterprise, data=data)
    assert field_errors(caught) == ["name"]


def test_it_creates_an_enterprise_without_an_account(cast: Cast) -> None:
    enterprise = services.enterprise_create(
        actor=cast.association_officer, data=enterprise_data(uscc=" 9144 0300 " + make_uscc(1)[8:])
    )
    assert enterprise.is_enterprise
    assert enterprise.uscc == make_uscc(1)
    assert not enterprise.grants.exists()
    assert AuditEvent.objects.filter(action="enterprise.create", scope=enterprise).exists()


def test_it_refuses_to_create_a_second_enterprise_with_the_same_code(cast: Cast) -> None:
    with pytest.raises(ValidationError) as caught:
        services.enterprise_create(
            actor=cast.association_officer, data=enterprise_data(uscc=cast.enterprise.uscc)
        )
    assert field_errors(caught) == ["uscc"]


def test_it_admits_a_new_member_as_active_with_history(cast: Cast) -> None:
    membership, changed = services.membership_admit(
        actor=cast.association_officer,
        enterprise=cast.other_enterprise,
        association=cast.association,
    )
    assert changed
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.decided_at is not None
    assert list(membership.events.values_list("from_status", "to_status")) == [("", "active")]


def test_it_admits_an_applicant_through_the_state_machine(cast: Cast) -> None:
    applied = services.membership_apply(
        actor=cast.other_admin, enterprise=cast.other_enterprise, association=cast.association
    )
    membership, changed = services.membership_admit(
        actor=cast.association_officer,
        enterprise=cast.other_enterprise,
        association=cast.association,
    )
    assert changed
    assert membership.pk == applied.pk
    assert list(membership.events.values_list("to_status", flat=True)) == ["applied", "active"]


def test_it_leaves_an_active_or_suspended_member_unchanged(cast: Cast) -> None:
    existing = Membership.objects.get(enterprise=cast.enterprise, association=cast.association)
    _membership, changed = services.membership_admit(
        actor=cast.association_officer, enterprise=cast.enterprise, association=cast.association
    )
    assert not changed
    services.membership_transition(
        actor=cast.association_officer, membership=existing, to="suspended", reason="未报备"
    )
    membership, changed = services.membership_admit(
        actor=cast.association_officer, enterprise=cast.enterprise, association=cast.association
    )
    assert not changed
    assert membership.status == MembershipStatus.SUSPENDED


def test_it_refuses_to_admit_an_association(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        services.membership_admit(
            actor=cast.federation_officer,
            enterprise=cast.other_association,
            association=cast.association,
        )


def test_it_refuses_a_transition_the_state_machine_does_not_allow(cast: Cast) -> None:
    existing = Membership.objects.get(enterprise=cast.enterprise, association=cast.association)
    with pytest.raises(ValidationError) as caught:
        services.membership_transition(
            actor=cast.association_officer, membership=existing, to="rejected", reason="x"
        )
    assert caught.value.code == "transition"
    assert MembershipEvent.objects.filter(membership=existing).count() == 0


def test_it_requires_a_reason_to_suspend(cast: Cast) -> None:
    existing = Membership.objects.get(enterprise=cast.enterprise, association=cast.association)
    with pytest.raises(ValidationError) as caught:
        services.membership_transition(
            actor=cast.association_officer, membership=existing, to="suspended", reason=" "
        )
    assert field_errors(caught) == ["reason"]
