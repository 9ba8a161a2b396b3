"""Helpers for the publishing tests: inputs, many member enterprises at once, tiny files."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from lib.tests import sample_files
from notices.models import AudienceKind, Category, Notice
from notices.services import NoticeInput, notice_create, notice_publish
from notify.models import ChannelConfig
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
)

PDF = sample_files.PDF


def later(days: float = 3) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


def directive_input(**overrides: Any) -> NoticeInput:
    """A directive from the federation to all associations."""
    data = NoticeInput(
        category=Category.DIRECTIVE,
        title="关于做好复工复产疫情防控工作的通知",
        summary="各会员企业须完成自查。",
        body_md="一、落实**防控主体责任**。\n\n二、做好员工健康监测。",
        audience_kind=AudienceKind.ALL_ASSOCIATIONS,
        requires_ack=True,
        deadline=later(),
    )
    return replace(data, **overrides)


def policy_input(**overrides: Any) -> NoticeInput:
    """A policy document citing its source, from an association to its members."""
    data = NoticeInput(
        category=Category.POLICY,
        title="深圳市关于支持企业复工复产的若干措施",
        body_md="详见附件。",
        source_url="https://www.sz.gov.cn/zwgk/",
        source_name="深圳市人民政府",
        verified_by="商会秘书处",
        valid_until=timezone.localdate() + dt.timedelta(days=90),
        audience_kind=AudienceKind.MEMBERS,
    )
    return replace(data, **overrides)


def create(actor: User, publisher: Organization, data: NoticeInput) -> Notice:
    return notice_create(actor=actor, publisher=publisher, data=data)


def publish(actor: User, publisher: Organization, data: NoticeInput) -> Notice:
    return notice_publish(actor=actor, notice=create(actor, publisher, data))


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def members(
    association: Organization,
    count: int,
    *,
    sector: str = "hotel",
    district: str = "440303",
    prefix: str = "M",
    with_admins: bool = True,
    with_robots: int = 0,
) -> list[Organization]:
    """`count` active member enterprises of `association`, made in bulk, each with one
    administrator (when asked) and the first `with_robots` of them with a group robot."""
    sector_obj = Sector.objects.get(code=sector)
    district_obj = Division.objects.get(code=district)
    base = Organization.objects.count()
    orgs = Organization.objects.bulk_create(
        [
            Organization(
                kind=OrganizationKind.ENTERPRISE,
                name=f"{prefix}{base + i}企业",
                sector=sector_obj,
                district=district_obj,
            )
            for i in range(count)
        ]
    )
    orgs = list(Organization.objects.filter(name__in=[o.name for o in orgs]).order_by("pk"))
    Membership.objects.bulk_create(
        [
            Membership(enterprise=o, association=association, status=MembershipStatus.ACTIVE)
            for o in orgs
        ]
    )
    if with_admins:
        start = User.objects.count()
        users = User.objects.bulk_create(
            [User(mobile=f"137{start + i:08d}", name=f"管理员{start + i}") for i in range(count)]
        )
        users = list(User.objects.filter(mobile__in=[u.mobile for u in users]).order_by("pk"))
        RoleGrant.objects.bulk_create(
            [
                RoleGrant(user=u, organization=o, role=Role.ADMIN)
                for u, o in zip(users, orgs, strict=True)
            ]
        )
    ChannelConfig.objects.bulk_create(
        [
            ChannelConfig(
                organization=o,
                channel="wecom",
                name="群机器人",
                webhook_enc="x",
                webhook_masked="https://qyapi.weixin.qq.com/…",
            )
            for o in orgs[:with_robots]
        ]
    )
    return orgs
