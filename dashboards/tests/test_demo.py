"""The demo loader: the 19 associations, valid identifiers, determinism, loading once."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoDbBlocker

from accounts.models import RoleGrant, User
from audit.models import AuditEvent
from conftest import ensure_reference_data
from dashboards.demo import ASSOCIATIONS, DEMO_PASSWORD, DEMO_USERS, demo_load, demo_logins
from emergencies.models import Emergency, RuleVersion
from lib import crypto
from lib.ids import parse_resident_id, validate_uscc
from orgs.models import Membership, MembershipStatus, Organization, OrganizationKind, Site
from orgs.reference import SECTORS
from workforce.models import DocumentType, Employee

pytestmark = pytest.mark.django_db

SMALL = 0.1
# The signatories of the 9 February 2020 initiative, as seed/README.md spells them.
VERBATIM = (
    "深圳市家居文化用品行业协会",
    "深圳市宠物医疗协会",
    "深圳市教育培训行业协会",
    "深圳市家政服务行业协会",
    "深圳市旅游协会",
    "深圳市体育产业协会",
    "深圳市心理咨询行业协会",
    "深圳市移民留学服务行业协会",
    "深圳市美容行业协会",
    "深圳市统计员协会",
    "深圳市旅行社行业协会",
    "深圳市酒店业商会",
    "深圳市高空清洗行业协会",
    "深圳市呼叫中心行业协会",
    "深圳市服务行业协会",
    "深圳市汽车维修行业协会",
    "深圳市房车行业协会",
    "深圳市婚庆行业协会",
    "深圳市房屋租赁行业协会",
)


def enterprises() -> list[Organization]:
    return list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("pk"))


def snapshot() -> list[tuple[str, ...]]:
    """Enterprise names and codes, and each roster entry's name and document hash."""
    orgs = [(o.name, o.uscc or "") for o in enterprises()]
    people = sorted(Employee.objects.values_list("enterprise__name", "name", "document_hash"))
    return [*orgs, *people]


@pytest.fixture(scope="class")
def loaded(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """One small demo shared by a class of read-only tests, rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()
        demo_load(scale=SMALL)
        yield
        transaction.set_rollback(True)


@pytest.mark.usefixtures("loaded")
class TestTheLoadedDemo:
    """What the demo holds; each test reads the shared load and rolls back its own changes."""

    def test_it_creates_the_federation_and_the_nineteen_associations_verbatim(self) -> None:
        federation = Organization.objects.get(kind=OrganizationKind.FEDERATION)
        assert federation.name == "中共深圳市生活服务类行业协会联合委员会"
        assert federation.short_name == "联合委员会"
        associations = Organization.objects.filter(kind=OrganizationKind.ASSOCIATION)
        assert sorted(a.name for a in associations) == sorted(VERBATIM)
        assert {a.parent_id for a in associations} == {federation.pk}
        assert {a.sector_id for a in associations} == {code for code, *_names in SECTORS}
        sector_of = {a.name: a.sector_id for a in associations}
        assert sector_of["深圳市酒店业商会"] == "hotel"
        assert sector_of["深圳市宠物医疗协会"] == "pet_clinic"
        assert sector_of["深圳市服务行业协会"] == "services"
        assert sector_of["深圳市统计员协会"] == "statistics"
        for association in associations:
            assert association.uscc is not None
            assert association.uscc.startswith("51440300")
            assert re.fullmatch(r"0755-\d{8}", association.phone)
            assert association.address.startswith("深圳市")
            assert association.short_name
            assert association.description

    def test_it_gives_every_association_an_active_member(self) -> None:
        for association in Organization.objects.filter(kind=OrganizationKind.ASSOCIATION):
            assert association.member_links.filter(status=MembershipStatus.ACTIVE).exists(), (
                association
            )

    def test_it_shows_every_membership_state_with_reasons_where_needed(self) -> None:
        states = set(Membership.objects.values_list("status", flat=True))
        assert states == set(MembershipStatus.values)
        refused = Membership.objects.filter(
            status__in=[MembershipStatus.REJECTED, MembershipStatus.SUSPENDED]
        )
        assert all(m.reason for m in refused)
        # Every membership went through the service: it has its history and audit rows.
        assert all(m.events.exists() for m in Membership.objects.all())
        assert AuditEvent.objects.filter(action="membership.apply", actor=None).exists()

    def test_it_gives_every_enterprise_a_valid_and_unique_credit_code(self) -> None:
        members = Organization.objects.exclude(kind=OrganizationKind.FEDERATION)
        codes = [org.uscc or "" for org in members]
        assert len(codes) == len(set(codes)) == len(enterprises()) + len(ASSOCIATIONS)
        for code in codes:
            assert validate_uscc(code) == code
            assert code[:2] in {"51", "52", "91", "92"}
            assert code[2:8] == "440300"

    def test_it_stores_resident_ids_that_decrypt_to_valid_numbers_of_the_home_county(self) -> None:
        people = Employee.objects.select_related("home_county", "home_city", "home_province")
        kinds = set()
        for person in people:
            number = crypto.decrypt(person.document_enc)
            kinds.add(person.document_type)
            if person.document_type != DocumentType.RESIDENT_ID:
                continue
            parsed = parse_resident_id(number, today=dt.date(2020, 2, 9))
            assert parsed.region_code == person.home_county_id
            assert person.birth_date == parsed.birth_date
            assert dt.date(1965, 1, 1) <= parsed.birth_date <= dt.date(2003, 12, 31)
            assert person.home_county is not None
            assert person.home_county.parent_id in {person.home_city_id, person.home_province_id}
            assert re.fullmatch(r"^1[3-9]\d{9}$", crypto.decrypt(person.mobile_enc))
        assert DocumentType.RESIDENT_ID in kinds
        hashes = list(Employee.objects.values_list("mobile_hash", flat=True))
        assert len(hashes) == len(set(hashes))

    def test_it_places_every_enterprise_and_site_on_a_street_of_its_district(self) -> None:
        places: list[Organization | Site] = [*enterprises(), *Site.objects.select_related("street")]
        for place in places:
            assert place.street is not None
            assert place.street.code.startswith("4403")
            assert place.district_id in {place.street.parent_id, place.street.managed_by_id}
        for employee in Employee.objects.select_related("site"):
            assert employee.site is not None
            assert employee.site.enterprise_id == employee.enterprise_id

    def test_it_opens_the_epidemic_with_a_retention_rule(self) -> None:
        emergency = Emergency.objects.get(is_current=True)
        assert emergency.name == "新型冠状病毒肺炎疫情"
        assert emergency.started_on == dt.date(2020, 1, 23)
        assert emergency.retention_days == 30
        rule = RuleVersion.objects.get(emergency=emergency, key="personal_data.retention")
        assert "个人信息保护法" in rule.source_title
        assert "第十九条" in rule.source_title

    def test_it_casts_a_hotel_member_of_the_chamber_with_at_least_100_employees(self) -> None:
        admin = RoleGrant.objects.get(user__mobile="13800138005")
        hotel = admin.organization
        assert hotel.sector_id == "hotel"
        assert hotel.memberships.filter(
            association__name="深圳市酒店业商会", status=MembershipStatus.ACTIVE
        ).exists()
        assert hotel.employees.count() >= 100
        roles = dict(
            RoleGrant.objects.filter(organization=hotel).values_list("user__mobile", "role")
        )
        assert roles == {"13800138005": "admin", "13800138006": "staff", "13800138007": "viewer"}
        switcher = RoleGrant.objects.filter(user__mobile="13800138008")
        assert {g.organization.kind for g in switcher} == {"enterprise", "association"}
        other = RoleGrant.objects.get(user__mobile="13800138009").organization
        assert other.sector_id == "beauty"
        assert not other.memberships.filter(association__name="深圳市酒店业商会").exists()

    def test_it_lets_the_demo_users_sign_in(self) -> None:
        # Through the sign-in form: django-axes refuses `Client.login`, which has no request.
        assert User.objects.filter(mobile__in=[u.mobile for u in DEMO_USERS]).count() == 9
        for spec in DEMO_USERS:
            assert re.fullmatch(r"1380013800\d", spec.mobile)
            client = Client()
            response = client.post(
                reverse("accounts:login"), {"username": spec.mobile, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 302, spec.mobile
        rows = demo_logins()
        assert len(rows) == 9
        assert all(row[3] == DEMO_PASSWORD for row in rows)


def test_it_creates_about_300_enterprises_and_6000_employees_at_full_scale() -> None:
    ensure_reference_data()
    summary = demo_load()
    assert summary is not None
    assert 270 <= len(enterprises()) <= 330
    assert 5400 <= Employee.objects.count() <= 6600
    assert summary.enterprises == len(enterprises())
    second = Membership.objects.filter(status=MembershipStatus.ACTIVE).count() - len(enterprises())
    assert second >= 0.05 * len(enterprises())  # about one in ten belongs to two associations


def test_it_changes_nothing_when_run_a_second_time() -> None:
    ensure_reference_data()
    demo_load(scale=SMALL)
    edited = enterprises()[0]
    Organization.objects.filter(pk=edited.pk).update(name="用户改过的名称")
    before = (snapshot(), AuditEvent.objects.count(), Membership.objects.count())
    assert demo_load(scale=SMALL) is None
    assert (snapshot(), AuditEvent.objects.count(), Membership.objects.count()) == before
    assert Organization.objects.get(pk=edited.pk).name == "用户改过的名称"


def test_it_says_the_demo_is_there_when_the_command_runs_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ensure_reference_data()
    call_command("demo_load", scale=SMALL)
    first = capsys.readouterr().out
    ensure_reference_data()
    call_command("demo_load", scale=SMALL)
    second = capsys.readouterr().out
    assert "13800138001" in first
    assert DEMO_PASSWORD in first
    assert "13800138001" in second  # the logins are printed again
    assert len(first.splitlines()) == len(second.splitlines())


def test_it_gives_the_same_data_on_every_fresh_database() -> None:
    with transaction.atomic():
        ensure_reference_data()
        demo_load(scale=SMALL)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Organization.objects.exists()
    ensure_reference_data()
    demo_load(scale=SMALL)
    assert snapshot() == first


def test_it_lists_no_logins_before_the_demo_is_loaded() -> None:
    assert demo_logins() == []
    assert not Organization.objects.exists()
