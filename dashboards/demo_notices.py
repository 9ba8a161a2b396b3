"""Demo notices: the initiative of 9 February 2020, public news, and two directives.

Everything goes through the same services as the pages (compose, publish, relay,
acknowledge, attest, flag overdue). Only the clock is moved afterwards: publication,
delivery and response times are set back to when they would have happened, so the news
centre shows the initiative on its real date and the directives read as a week of work.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from notices.models import AudienceKind, Category, Notice, Receipt
from notices.receipts import (
    notice_relay,
    receipt_acknowledge,
    receipt_attest,
    receipt_open,
    receipts_flag_overdue,
)
from notices.services import NoticeInput, notice_create, notice_publish
from orgs.models import Organization

CST = ZoneInfo("Asia/Shanghai")
INITIATIVE_TEXT = Path(__file__).resolve().parent / "data" / "initiative-2020-02-09.md"
INITIATIVE_TITLE = "深圳市生活服务类行业协会关于坚决打赢疫情防控阻击战的联合倡议"


@dataclass(frozen=True)
class NoticeSummary:
    public: int
    directives: int
    receipts: int


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


def _backdate(notice: Notice, when: dt.datetime) -> None:
    """Set a published notice (and what was delivered of it) back to `when`."""
    Notice.objects.filter(pk=notice.pk).update(published_at=when, created_at=when)
    Receipt.objects.filter(notice=notice).update(delivered_at=when)


def _writer(association: Organization, index: int, password: str) -> User:
    """The association's secretariat account (created when the demo has none for it)."""
    grant = (
        RoleGrant.objects.filter(organization=association, role__in=[Role.ADMIN, Role.STAFF])
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if grant is not None:
        return grant.user
    user = User.objects.create(
        mobile=f"138001381{index:02d}",
        name=f"{association.short_name or association.name}秘书处",
        password=password,
    )
    RoleGrant.objects.create(user=user, organization=association, role=Role.STAFF)
    return user


def write_notices(
    *,
    federation: Organization,
    associations: list[Organization],
    officer: User,
    password: str,
    seed: int,
) -> NoticeSummary:
    rng = random.Random(seed)  # noqa: S311 - a seeded PRNG on purpose: the same demo everywhere
    now = timezone.now()
    writers = {a.pk: _writer(a, i, password) for i, a in enumerate(associations, start=1)}
    by_name = {a.name: a for a in associations}
    public = _public_news(federation, by_name, officer, writers)
    receipts = 0
    for spec in DIRECTIVES:
        receipts += _directive(spec, federation, associations, officer, writers, rng, now)
    return NoticeSummary(public=public, directives=len(DIRECTIVES), receipts=receipts)


def _public_news(
    federation: Organization,
    by_name: dict[str, Organization],
    officer: User,
    writers: dict[int, User],
) -> int:
    initiative = notice_create(
        actor=officer,
        publisher=federation,
        data=NoticeInput(
            category=Category.INITIATIVE,
            title=INITIATIVE_TITLE,
            summary=(
                "联合党委连同19个所属行业协会共同倡议：服从统一指挥，积极参与疫情阻击，"
                "强化协会及企业防控责任，有序分批复工，呼吁政策与社会支持、共克时艰。"
            ),
            body_md=INITIATIVE_TEXT.read_text(encoding="utf-8"),
            is_public=True,
            audience_kind=AudienceKind.ALL_ASSOCIATIONS,
        ),
    )
    notice_publish(actor=officer, notice=initiative)
    _backdate(initiative, _at(dt.date(2020, 2, 9), 10))
    count = 1
    for item in PUBLIC_NEWS:
        publisher = by_name.get(item.publisher, federation)
        actor = officer if publisher == federation else writers[publisher.pk]
        notice = notice_create(
            actor=actor,
            publisher=publisher,
            data=NoticeInput(
                category=item.category,
                title=item.title,
                summary=item.summary,
                body_md=item.body,
                is_public=True,
                source_url=item.source_url,
                source_name=item.source_name,
                verified_by=item.verified_by,
                # It was valid when it was published; the real date is set below.
                valid_until=timezone.localdate() + dt.timedelta(days=1)
                if item.valid_until
                else None,
            ),
        )
        notice_publish(actor=actor, notice=notice)
        _backdate(notice, item.published)
        Notice.objects.filter(pk=notice.pk).update(valid_until=item.valid_until)
        count += 1
    return count


@dataclass(frozen=True)
class Directive:
    title: str
    summary: str
    body: str
    days_ago: int  # published this many days before the demo was loaded
    deadline_days: int  # deadline, in days after publication
    relayed: float  # share of associations that relay it
    read: float  # shares of member enterprises, cumulative: read ⊇ acknowledged ⊇ attested
    acknowledged: float
    attested: float


def _directive(
    spec: Directive,
    federation: Organization,
    associations: list[Organization],
    officer: User,
    writers: dict[int, User],
    rng: random.Random,
    now: dt.datetime,
) -> int:
    published = now - dt.timedelta(days=spec.days_ago)
    deadline = published + dt.timedelta(days=spec.deadline_days)
    notice = notice_create(
        actor=officer,
        publisher=federation,
        data=NoticeInput(
            category=Category.DIRECTIVE,
            title=spec.title,
            summary=spec.summary,
            body_md=spec.body,
            audience_kind=AudienceKind.ALL_ASSOCIATIONS,
            requires_ack=True,
            requires_attestation=True,
            asks_relay=True,
            # Published now, with a deadline still ahead; the clock is moved below.
            deadline=now + dt.timedelta(days=30),
        ),
    )
    notice_publish(actor=officer, notice=notice)
    _backdate(notice, published)
    total = Receipt.objects.filter(notice=notice).count()
    for receipt in Receipt.objects.filter(notice=notice).select_related("organization", "notice"):
        assert receipt.organization is not None
        hotel = receipt.organization.name == HOTEL_CHAMBER
        if not hotel and rng.random() >= spec.relayed:
            if rng.random() < 0.5:
                receipt_open(actor=writers[receipt.organization.pk], receipt=receipt)
            continue
        relay = notice_relay(
            actor=writers[receipt.organization.pk],
            receipt=receipt,
            added_md=HOTEL_ADDITION if hotel else "",
        )
        relayed_at = published + dt.timedelta(hours=rng.uniform(1, 20))
        _backdate(relay, relayed_at)
        Receipt.objects.filter(pk=receipt.pk).update(read_at=relayed_at, acknowledged_at=relayed_at)
        total += _respond(relay, spec, rng, relayed_at, deadline)
    # Move the deadline to where it belongs (relays carry the original's deadline).
    Notice.objects.filter(root=notice).update(deadline=deadline)
    if deadline < now:
        receipts_flag_overdue(now=deadline + dt.timedelta(minutes=1))
    return total


def _respond(
    relay: Notice,
    spec: Directive,
    rng: random.Random,
    delivered: dt.datetime,
    deadline: dt.datetime,
) -> int:
    """Member enterprises read, acknowledge and attest a relay, each by its own share;
    the demo's own enterprise admins find theirs still waiting for them."""
    receipts = list(
        Receipt.objects.filter(notice=relay).select_related("organization", "notice").order_by("pk")
    )
    window = max(1.0, (min(deadline, timezone.now()) - delivered).total_seconds())
    for receipt in receipts:
        assert receipt.organization is not None
        if receipt.organization.grants.exists():
            continue  # a demo login's enterprise: left for the person trying the demo
        roll = rng.random()
        if roll >= spec.read:
            continue
        at = delivered + dt.timedelta(seconds=rng.uniform(0.05, 0.6) * window)
        receipt_open(actor=None, receipt=receipt)
        changes = {"read_at": at}
        if roll < spec.acknowledged:
            receipt = receipt_acknowledge(actor=None, receipt=receipt)
            changes["acknowledged_at"] = at + dt.timedelta(minutes=rng.randint(1, 90))
        if roll < spec.attested:
            receipt_attest(actor=None, receipt=receipt, note=rng.choice(ATTESTATIONS))
            changes["attested_at"] = at + dt.timedelta(hours=rng.uniform(2, 48))
        Receipt.objects.filter(pk=receipt.pk).update(**changes)
    return len(receipts)


HOTEL_CHAMBER = "深圳市酒店业商会"

HOTEL_ADDITION = """\
商会补充要求：

1. 各会员酒店在前台、电梯厅、餐厅入口设置测温点，入住登记时查验健康码并登记14天行程；
2. 客房实行"一客一消毒"，公共区域每日消毒不少于两次，并填写消毒记录；
3. 暂停自助早餐，改为送餐到房或分时段就餐；
4. 请于截止时间前在本平台上传测温点、消毒记录照片作为落实情况佐证。
"""

ATTESTATIONS = [
    "已成立防控工作小组，落实每日测温和健康打卡，门店及办公区每日消毒两次并做好记录。",
    "已按要求完成员工返岗登记，湖北返深员工均居家隔离14天，口罩、消毒液储备可用15天。",
    "已在入口设置测温点和消毒点，实行预约服务、错峰接待，顾客间隔1米以上。",
    "已组织全体员工完成岗前防疫培训，制定应急处置预案并明确隔离观察室。",
]

DIRECTIVES = [
    Directive(
        title="关于报送会员企业防疫物资储备情况的通知",
        summary="请各协会转发所属会员企业，于截止时间前报送口罩、体温计、消毒用品的储备量和可用天数。",
        body=(
            "各行业协会：\n\n"
            "为统筹调配防疫物资，请各协会转发本通知，组织会员企业在本平台确认收到，"
            "并在截止时间前提交落实情况：口罩、体温计、消毒用品的现有储备量、日均消耗和可用天数。"
            "储备不足3天的企业请同时说明缺口，联合委员会将协调互助。\n\n"
            "联合委员会秘书处"
        ),
        days_ago=12,
        deadline_days=7,
        relayed=0.9,
        read=0.85,
        acknowledged=0.75,
        attested=0.55,
    ),
    Directive(
        title="关于督促会员企业落实复工复产疫情防控措施的通知",
        summary='请各协会转发并督促会员企业落实"四到位"要求，在截止时间前确认收到并上传落实情况。',
        body=(
            "各行业协会：\n\n"
            "根据市委市政府关于企业有序复工复产的部署，请各协会督促所属会员企业：\n\n"
            "1. 落实防控责任到位：成立防控工作小组，明确防控负责人；\n"
            "2. 落实员工排查到位：逐一掌握员工返深时间、来源地和健康状况，"
            "重点地区返深人员按规定隔离观察；\n"
            "3. 落实防护物资到位：储备口罩、体温计、消毒用品不少于7天用量；\n"
            "4. 落实内部管理到位：每日测温、健康打卡，场所每日消毒、通风，错峰就餐。\n\n"
            "请会员企业在本平台确认收到，并于截止时间前提交落实情况说明及佐证材料。\n\n"
            "联合委员会秘书处"
        ),
        days_ago=2,
        deadline_days=7,
        relayed=0.8,
        read=0.6,
        acknowledged=0.45,
        attested=0.2,
    ),
]


@dataclass(frozen=True)
class PublicItem:
    category: str
    publisher: str  # an association's name, or "" for the federation
    title: str
    summary: str
    body: str
    published: dt.datetime
    source_url: str = ""
    source_name: str = ""
    verified_by: str = ""
    valid_until: dt.date | None = None


PUBLIC_NEWS = [
    PublicItem(
        category=Category.POLICY,
        publisher="",
        title="深圳出台16条措施支持企业共渡难关（政策要点）",
        summary="减免物业租金、延期缴纳社保费、贷款贴息等16条措施，有效期至2020年12月31日。",
        body=(
            "深圳市人民政府印发《深圳市应对新型冠状病毒感染的肺炎疫情支持企业共渡难关的若干措施》，"
            "与生活服务业企业关系密切的要点：\n\n"
            "- **减免物业租金**：承租市、区政府物业及市属、区属国有企业物业的"
            "非国有企业和个体工商户，"
            "免收2个月租金；\n"
            "- **延期缴纳社会保险费**：受疫情影响无法按时缴纳的企业，"
            "可延期至疫情解除后3个月内补缴，"
            "不收滞纳金；\n"
            "- **降低住房公积金缴存比例**：可降至3%，期限不超过12个月，或缓缴；\n"
            "- **贷款贴息**：疫情期间中小微企业新增贷款按实际支付利息的50%给予贴息；\n"
            "- **稳岗补贴**：不裁员或少裁员的企业返还社会保险费；\n"
            "- **延期缴纳税款**：依法申请延期申报和缴纳，困难企业减免房产税、城镇土地使用税。\n\n"
            "具体条件以原文为准，会员企业可在平台“困难与诉求”中登记需求，协会汇总后统一反映。"
        ),
        published=_at(dt.date(2020, 2, 8), 18),
        source_url="http://www.sz.gov.cn/cn/xxgk/zfxxgj/tzgg/content/mpost_6723546.html",
        source_name="深圳市人民政府",
        verified_by="联合委员会秘书处 林建华",
        valid_until=dt.date(2020, 12, 31),
    ),
    PublicItem(
        category=Category.GOVERNMENT,
        publisher="",
        title="深圳燃气：酒店、餐饮企业2、3月燃气费七折",
        summary="酒店和餐饮企业2020年2月、3月的燃气费按七折收取，无需申请，自动执行。",
        body=(
            "深圳市燃气集团对全市酒店、餐饮企业2020年2月、3月的管道燃气费给予七折优惠，"
            "由燃气公司在账单中直接扣减，企业无需申请。"
        ),
        published=_at(dt.date(2020, 2, 21), 16),
        source_url="http://www.sz.gov.cn/en_szgov/news/infocus/virus/news/content/post_6936385.html",
        source_name="深圳市人民政府网站",
        verified_by="深圳市酒店业商会 黄志强",
        valid_until=dt.date(2020, 3, 31),
    ),
    PublicItem(
        category=Category.RUMOUR,
        publisher="",
        title="谣言：生活服务企业2月10日起可以自行全面恢复营业",
        summary=(
            "真相：复工须按政府及主管部门的复工安排有序、分批进行，企业须先落实防控措施，"
            "按要求向所在街道报备，不得自行全面开业。"
        ),
        body=(
            "近日网传“2月10日起酒店、美容美发、家政等生活服务企业可以自行全面恢复营业”，"
            "此说法不实。\n\n"
            "按照政府及主管部门的复工安排，企业应有序、分批、稳妥开展复工：先制定疫情防控预案，"
            "落实员工健康管理、场所消毒和防护物资，按要求报备后再恢复营业；"
            "能通过网上办公、网上服务开展的业务，优先采取线上方式。\n\n"
            "请不信谣、不传谣，以政府部门和行业协会发布的信息为准。"
        ),
        published=_at(dt.date(2020, 2, 10), 9),
    ),
    PublicItem(
        category=Category.PRACTICE,
        publisher=HOTEL_CHAMBER,
        title="会员酒店“无接触入住、一客一消毒”的做法",
        summary="前台测温验码、自助入住、送餐到房，客房退房后逐间消毒并记录，供同业参考。",
        body=(
            "多家会员酒店在接待隔离观察人员和必要出行旅客时，形成了一套可复制的做法：\n\n"
            "1. 入口测温、查验健康码，登记14天行程；\n"
            "2. 自助机或手机办理入住，房卡消毒后放置取卡处；\n"
            "3. 暂停自助早餐，改为送餐到房；\n"
            "4. 退房后客房逐间通风30分钟以上，按“一客一消毒”要求消毒并记录。\n\n"
            "欢迎会员单位在平台分享更多好做法。"
        ),
        published=_at(dt.date(2020, 2, 18), 11),
    ),
    PublicItem(
        category=Category.NEWS,
        publisher="深圳市美容行业协会",
        title="美容行业协会发布门店复工防控指引",
        summary="预约服务、限流接待、每客一消毒，美容美发门店复工前须完成的八项准备。",
        body=(
            "深圳市美容行业协会发布会员门店复工防控指引，要求门店复工前完成：防控小组与负责人、"
            "员工健康排查、防护物资储备、场所消毒与通风、预约与限流、顾客测温登记、工具一客一消毒、"
            "应急处置预案等八项准备，并在平台提交防控预案供协会审核。"
        ),
        published=_at(dt.date(2020, 2, 20), 15),
    ),
]


def password_for_writers() -> str:
    """One hash for the secretariat accounts: they are not demo logins and have no
    known password; the hash is of a random string."""
    return make_password(None)
