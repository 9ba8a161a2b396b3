"""A small cascade for the desk tests: the federation, associations A and B, and their
members, built through the real services (publish, relay, respond)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from conftest import Cast, make_enterprise, make_user
from notices.models import AudienceKind, Category, Notice, Receipt
from notices.services import NoticeInput, notice_create, notice_publish
from orgs.models import Division, Membership, MembershipStatus, Organization, Sector

# A real (tiny, one blank page) PDF document.
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf(name: str = "自查表.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@dataclass
class World:
    """The cast plus: A's members A2 (tourism, Futian) and A3 (hotel); B's member B2;
    an administrator for each of them and for association B."""

    cast: Cast
    a2: Organization
    a3: Organization
    b2: Organization
    b_officer: User
    admins: dict[str, User] = field(default_factory=dict)

    @property
    def a1(self) -> Organization:
        return self.cast.enterprise

    @property
    def b1(self) -> Organization:
        return self.cast.other_enterprise

    @property
    def a(self) -> Organization:
        return self.cast.association

    @property
    def b(self) -> Organization:
        return self.cast.other_association

    def admin_of(self, org: Organization) -> User:
        return {
            self.a1.pk: self.cast.enterprise_admin,
            self.b1.pk: self.cast.other_admin,
            self.a.pk: self.cast.association_officer,
            self.b.pk: self.b_officer,
            self.cast.federation.pk: self.cast.federation_officer,
        }.get(org.pk) or self.admins[org.name]

    def receipt(self, notice: Notice, org: Organization) -> Receipt:
        return Receipt.objects.get(notice=notice, organization=org)


def member(
    name: str, uscc: str, sector: str, association: Organization, **extra: Any
) -> Organization:
    enterprise = make_enterprise(name, uscc, Sector.objects.get(code=sector))
    if extra:
        Organization.objects.filter(pk=enterprise.pk).update(**extra)
        enterprise.refresh_from_db()
    Membership.objects.create(
        enterprise=enterprise, association=association, status=MembershipStatus.ACTIVE
    )
    return enterprise


def world(cast: Cast) -> World:
    a2 = member(
        "深圳市鹏城旅游服务有限公司",
        "91440300MA5DC6QX9E",
        "tourism",
        cast.association,
        district=Division.objects.get(code="440304"),
    )
    a3 = member("深圳市海景酒店有限公司", "91440300MA5F8JKW2U", "hotel", cast.association)
    b2 = member(
        "深圳市美丽人生美容有限公司", "91440300MA5G1RPX7Q", "beauty", cast.other_association
    )
    b_officer = make_user("13800000006", "美容协会秘书")
    RoleGrant.objects.create(user=b_officer, organization=cast.other_association, role=Role.ADMIN)
    admins = {}
    for index, org in enumerate((a2, a3, b2), start=7):
        user = make_user(f"1380000000{index}", f"{org.name[:6]}管理员")
        RoleGrant.objects.create(user=user, organization=org, role=Role.ADMIN)
        admins[org.name] = user
    return World(cast=cast, a2=a2, a3=a3, b2=b2, b_officer=b_officer, admins=admins)


def directive(
    cast: Cast,
    *,
    title: str = "关于做好复工复产疫情防控工作的通知",
    deadline: dt.datetime | None = None,
    requires_attestation: bool = True,
    asks_relay: bool = True,
) -> Notice:
    """The federation's directive to all associations: relay, acknowledge, attest."""
    data = NoticeInput(
        category=Category.DIRECTIVE,
        title=title,
        summary="各会员企业须于期限前完成自查并上传佐证材料。",
        body_md="一、落实**防控主体责任**。\n\n二、做好员工健康监测。",
        audience_kind=AudienceKind.ALL_ASSOCIATIONS,
        requires_ack=True,
        requires_attestation=requires_attestation,
        asks_relay=asks_relay,
        deadline=deadline or timezone.now() + dt.timedelta(days=3),
    )
    notice = notice_create(actor=cast.federation_officer, publisher=cast.federation, data=data)
    return notice_publish(actor=cast.federation_officer, notice=notice)


def staff_notice(cast: Cast, *, requires_ack: bool = True) -> Notice:
    """Enterprise A1's notice to its own employees."""
    data = NoticeInput(
        category=Category.INITIATIVE,
        title="返岗前请阅读防护须知",
        body_md="上班前测量体温，全程佩戴口罩。",
        audience_kind=AudienceKind.EMPLOYEES,
        requires_ack=requires_ack,
        deadline=timezone.now() + dt.timedelta(days=2),
    )
    notice = notice_create(actor=cast.enterprise_admin, publisher=cast.enterprise, data=data)
    return notice_publish(actor=cast.enterprise_admin, notice=notice)


def employee(
    cast: Cast, name: str = "张三", mobile: str = "13912345678", doc: str = "11010519491231002X"
) -> Any:
    from workforce.services import EmployeeInput, employee_create

    return employee_create(
        actor=cast.enterprise_admin,
        enterprise=cast.enterprise,
        data=EmployeeInput(
            name=name, mobile=mobile, document_type="resident_id", document_number=doc
        ),
    )
