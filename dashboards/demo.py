"""The demo federation: the 19 associations of the 2020 initiative, their members and people.

Everything derives from one seeded PRNG, so every installation shows the same data. Writes
go through the services where they exist (memberships, sites, emergencies, rules) and
through `bulk_create` for the roster, with audit rows by "system".
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.models import Role, RoleGrant, User
from audit.services import audit_record
from dashboards.demo_health import write_health
from dashboards.demo_notices import password_for_writers, write_notices
from emergencies.models import Emergency
from emergencies.services import emergency_create, rule_publish
from lib.ids import (
    normalize_mobile,
    resident_id_check_char,
    uscc_check_char,
    uscc_warnings,
    validate_uscc,
)
from orgs.models import (
    Division,
    Membership,
    MembershipStatus,
    Organization,
    OrganizationKind,
    Sector,
    Site,
)
from orgs.services import SiteData, membership_apply, membership_transition, site_create
from plans.demo import write_plans
from resumption.demo import write_resumption
from sitelogs.demo import write_sitelogs
from training.demo import write_training
from workforce.models import DocumentType, Employee, EmploymentStatus
from workforce.services import EmployeeInput, employee_clean

SEED = 20200209
FEDERATION_NAME = "中共深圳市生活服务类行业协会联合委员会"
FEDERATION_SHORT_NAME = "联合委员会"
DEMO_PASSWORD = "tongzhou-demo"  # noqa: S105 - printed on purpose: it opens the demo accounts
# The day of the initiative: documents are validated as of then, so the data never ages.
DEMO_DAY = dt.date(2020, 2, 9)

# The loader acts as the system. The services annotate `actor: User` for the people who
# normally call them; given None they record "system" in the audit log and the history.
SYSTEM: Any = None


@dataclass(frozen=True)
class AssociationSpec:
    """One of the 19 associations: name verbatim from the initiative, sector, size weight."""

    name: str
    short_name: str
    sector: str
    weight: int
    description: str


# The signatories in the order of the initiative, names verbatim: (name, short name, sector,
# weight); the weights sum to 300 enterprises at scale 1.
_ASSOCIATION_ROWS = (
    ("深圳市家居文化用品行业协会", "家居文化用品协会", "home_goods", 14),
    ("深圳市宠物医疗协会", "宠物医疗协会", "pet_clinic", 12),
    ("深圳市教育培训行业协会", "教育培训协会", "education", 28),
    ("深圳市家政服务行业协会", "家政服务协会", "housekeeping", 30),
    ("深圳市旅游协会", "旅游协会", "tourism", 11),
    ("深圳市体育产业协会", "体育产业协会", "sports", 12),
    ("深圳市心理咨询行业协会", "心理咨询协会", "counselling", 10),
    ("深圳市移民留学服务行业协会", "移民留学协会", "immigration", 10),
    ("深圳市美容行业协会", "美容协会", "beauty", 32),
    ("深圳市统计员协会", "统计员协会", "statistics", 5),
    ("深圳市旅行社行业协会", "旅行社协会", "travel_agency", 24),
    ("深圳市酒店业商会", "酒店业商会", "hotel", 35),
    ("深圳市高空清洗行业协会", "高空清洗协会", "facade_cleaning", 10),
    ("深圳市呼叫中心行业协会", "呼叫中心协会", "call_centre", 10),
    ("深圳市服务行业协会", "服务行业协会", "services", 14),
    ("深圳市汽车维修行业协会", "汽车维修协会", "auto_repair", 14),
    ("深圳市房车行业协会", "房车协会", "rv", 5),
    ("深圳市婚庆行业协会", "婚庆协会", "wedding", 12),
    ("深圳市房屋租赁行业协会", "房屋租赁协会", "house_rental", 12),
)
_DESCRIPTIONS = {
    "home_goods": "由深圳家居、文化用品生产与流通企业组成，推动家居文化消费与行业诚信经营。",
    "pet_clinic": "汇聚深圳宠物医院与动物诊所，推动宠物诊疗规范化和执业兽医队伍建设。",
    "education": "由深圳民办教育培训机构组成，促进校外培训规范办学与在线教学质量提升。",
    "housekeeping": "联合深圳家政、母婴护理与保洁服务企业，推动从业人员持证上岗与服务标准化。",
    "tourism": "联系深圳景区、文旅企业与旅游服务机构，推动全域旅游发展与行业自律。",
    "sports": "由深圳体育场馆、健身与赛事运营企业组成，促进全民健身与体育消费。",
    "counselling": "汇聚深圳心理咨询机构与从业者，倡导规范执业并参与突发事件心理援助。",
    "immigration": "由深圳出入境与留学服务机构组成，维护消费者权益并推动行业规范经营。",
    "beauty": "联合深圳美容美发与生活美容企业，推动服务规范、卫生安全与从业人员培训。",
    "statistics": "由深圳统计从业人员和统计服务机构组成，服务统计调查并提升数据质量。",
    "travel_agency": "由深圳旅行社及其门市部组成，推动旅游服务质量提升与行业诚信自律。",
    "hotel": "由深圳星级酒店、商务酒店及住宿企业组成，服务会员、规范经营并协助做好住宿业管理。",
    "facade_cleaning": "由深圳高空清洗与外墙维护企业组成，推动高处作业安全规范与持证作业。",
    "call_centre": "汇聚深圳呼叫中心与客户联络服务企业，推动行业标准建设与人才培养。",
    "services": "由深圳各类生活服务企业组成的综合性行业组织，搭建政企沟通与行业交流平台。",
    "auto_repair": "由深圳汽车维修与养护企业组成，推动维修质量、环保作业与诚信服务。",
    "rv": "由深圳房车制造、租赁与露营地运营企业组成，推动房车露营旅游健康发展。",
    "wedding": "由深圳婚庆策划、婚纱摄影与礼仪服务企业组成，推动婚庆服务规范与消费维权。",
    "house_rental": "由深圳房屋租赁、经纪与公寓运营企业组成，推动租赁市场规范与住房租赁服务。",
}
ASSOCIATIONS: tuple[AssociationSpec, ...] = tuple(
    AssociationSpec(name, short, sector, weight, _DESCRIPTIONS[sector])
    for name, short, sector, weight in _ASSOCIATION_ROWS
)
HOTEL_CHAMBER = "深圳市酒店业商会"
BEAUTY_ASSOCIATION = "深圳市美容行业协会"
TRAVEL_AGENCIES = "深圳市旅行社行业协会"
TOURISM_ASSOCIATION = "深圳市旅游协会"

_S, _M = Site.Kind, Site.ServiceMode


@dataclass(frozen=True)
class SectorProfile:
    """How enterprises of a sector look: names, sites, sizes, jobs, a likely second association."""

    suffixes: tuple[tuple[str, str], ...]  # (name suffix, USCC registration-type prefix)
    site_kinds: tuple[str, ...]
    site_word: str
    area: tuple[int, int]
    modes: tuple[tuple[str, int], ...]
    positions: tuple[str, ...]  # the first is the manager
    big_share: float
    second: tuple[str, ...]


_MODES_DEFAULT = ((_M.OPEN, 35), (_M.APPOINTMENT, 25), (_M.ONLINE, 20), (_M.CLOSED, 20))
_OFFICE_JOBS = ("总经理", "行政主管", "客服专员", "财务", "业务员", "项目主管")

PROFILES: dict[str, SectorProfile] = {
    "home_goods": SectorProfile(
        (("家居用品有限公司", "91"), ("文化用品有限公司", "91"), ("家具有限公司", "91")),
        (_S.STORE, _S.STORE, _S.WAREHOUSE),
        "店",
        (80, 1200),
        _MODES_DEFAULT,
        ("店长", "导购", "收银员", "仓管员", "送货员", "设计师"),
        0.03,
        ("深圳市服务行业协会",),
    ),
    "pet_clinic": SectorProfile(
        (("宠物医院有限公司", "91"), ("动物诊所有限公司", "91")),
        (_S.CLINIC,),
        "分院",
        (80, 400),
        ((_M.APPOINTMENT, 60), (_M.OPEN, 30), (_M.CLOSED, 10)),
        ("院长", "执业兽医师", "兽医助理", "宠物美容师", "前台", "护理员"),
        0.03,
        ("深圳市服务行业协会",),
    ),
    "education": SectorProfile(
        (("教育培训中心", "52"), ("培训学校", "52"), ("教育科技有限公司", "91")),
        (_S.SCHOOL,),
        "校区",
        (150, 1500),
        ((_M.ONLINE, 70), (_M.CLOSED, 30)),
        ("校长", "教师", "教务", "课程顾问", "班主任", "行政"),
        0.08,
        ("深圳市移民留学服务行业协会", "深圳市心理咨询行业协会"),
    ),
    "housekeeping": SectorProfile(
        (("家政服务有限公司", "91"), ("母婴护理服务有限公司", "91"), ("保洁服务部", "92")),
        (_S.OFFICE,),
        "服务点",
        (60, 300),
        _MODES_DEFAULT,
        ("经理", "家政服务员", "育婴员", "养老护理员", "保洁员", "调度员"),
        0.1,
        ("深圳市服务行业协会", "深圳市高空清洗行业协会"),
    ),
    "tourism": SectorProfile(
        (("旅游发展有限公司", "91"), ("文化旅游有限公司", "91"), ("景区管理有限公司", "91")),
        (_S.OFFICE, _S.OTHER),
        "游客中心",
        (100, 800),
        ((_M.CLOSED, 60), (_M.ONLINE, 40)),
        ("总经理", "导游", "景区管理员", "票务", "安全员", "市场专员"),
        0.05,
        (TRAVEL_AGENCIES,),
    ),
    "sports": SectorProfile(
        (("体育发展有限公司", "91"), ("健身管理有限公司", "91"), ("体育文化传播有限公司", "91")),
        (_S.OTHER,),
        "场馆",
        (300, 5000),
        ((_M.CLOSED, 60), (_M.ONLINE, 25), (_M.APPOINTMENT, 15)),
        ("馆长", "教练", "前台", "场馆维护", "会籍顾问", "赛事专员"),
        0.03,
        (TOURISM_ASSOCIATION,),
    ),
    "counselling": SectorProfile(
        (("心理咨询有限公司", "91"), ("心理咨询中心", "52")),
        (_S.OFFICE,),
        "咨询室",
        (50, 200),
        ((_M.ONLINE, 60), (_M.APPOINTMENT, 40)),
        ("主任", "心理咨询师", "助理", "前台", "督导"),
        0.02,
        ("深圳市教育培训行业协会",),
    ),
    "immigration": SectorProfile(
        (("出入境服务有限公司", "91"), ("留学咨询有限公司", "91"), ("移民咨询服务有限公司", "91")),
        (_S.OFFICE,),
        "办公室",
        (80, 400),
        ((_M.ONLINE, 70), (_M.APPOINTMENT, 30)),
        ("总经理", "留学顾问", "文案", "签证专员", "客服专员", "财务"),
        0.03,
        ("深圳市教育培训行业协会",),
    ),
    "beauty": SectorProfile(
        (("美容美发店", "92"), ("美容有限公司", "91"), ("美发工作室", "92")),
        (_S.STORE,),
        "店",
        (60, 200),
        ((_M.CLOSED, 60), (_M.APPOINTMENT, 30), (_M.OPEN, 10)),
        ("店长", "美容师", "美发师", "美甲师", "前台", "助理"),
        0.02,
        ("深圳市服务行业协会",),
    ),
    "statistics": SectorProfile(
        (("统计咨询有限公司", "91"), ("市场调查有限公司", "91"), ("数据服务有限公司", "91")),
        (_S.OFFICE,),
        "办公室",
        (60, 300),
        ((_M.ONLINE, 70), (_M.OPEN, 30)),
        ("总经理", "统计员", "调查员", "数据分析师", "项目经理"),
        0.0,
        ("深圳市呼叫中心行业协会",),
    ),
    "travel_agency": SectorProfile(
        (("国际旅行社有限公司", "91"), ("旅行社有限公司", "91")),
        (_S.OFFICE, _S.STORE),
        "门市部",
        (40, 250),
        ((_M.CLOSED, 50), (_M.ONLINE, 50)),
        ("总经理", "计调", "导游", "领队", "销售顾问", "财务"),
        0.05,
        (TOURISM_ASSOCIATION,),
    ),
    "hotel": SectorProfile(
        (("酒店管理有限公司", "91"), ("酒店有限公司", "91"), ("商务酒店有限公司", "91")),
        (_S.HOTEL,),
        "店",
        (2000, 20000),
        ((_M.OPEN, 60), (_M.APPOINTMENT, 10), (_M.CLOSED, 30)),
        ("总经理", "前台接待", "客房服务员", "餐厅服务员", "厨师", "保安", "工程维修", "销售经理"),
        0.25,
        (TOURISM_ASSOCIATION, "深圳市服务行业协会"),
    ),
    "facade_cleaning": SectorProfile(
        (("高空清洗有限公司", "91"), ("外墙清洗服务有限公司", "91"), ("清洁服务有限公司", "91")),
        (_S.OFFICE, _S.WAREHOUSE),
        "作业基地",
        (60, 400),
        _MODES_DEFAULT,
        ("经理", "高处作业员", "安全员", "调度员", "设备管理员"),
        0.08,
        ("深圳市家政服务行业协会",),
    ),
    "call_centre": SectorProfile(
        (("呼叫中心服务有限公司", "91"), ("客户服务外包有限公司", "91")),
        (_S.OFFICE,),
        "运营中心",
        (500, 3000),
        ((_M.ONLINE, 60), (_M.OPEN, 40)),
        ("运营总监", "话务员", "班组长", "质检员", "培训师", "IT 支持"),
        0.3,
        ("深圳市统计员协会",),
    ),
    "services": SectorProfile(
        (("综合服务有限公司", "91"), ("生活服务有限公司", "91"), ("便民服务部", "92")),
        (_S.STORE, _S.OFFICE),
        "服务点",
        (50, 500),
        _MODES_DEFAULT,
        _OFFICE_JOBS,
        0.03,
        ("深圳市家政服务行业协会",),
    ),
    "auto_repair": SectorProfile(
        (("汽车维修服务有限公司", "91"), ("汽车服务有限公司", "91"), ("汽车美容养护店", "92")),
        (_S.WORKSHOP,),
        "服务站",
        (200, 1500),
        ((_M.APPOINTMENT, 50), (_M.OPEN, 35), (_M.CLOSED, 15)),
        ("站长", "维修技师", "钣喷技师", "服务顾问", "配件管理员", "洗车工"),
        0.04,
        ("深圳市房车行业协会",),
    ),
    "rv": SectorProfile(
        (("房车露营地管理有限公司", "91"), ("房车旅游有限公司", "91")),
        (_S.OTHER, _S.WORKSHOP),
        "营地",
        (1000, 10000),
        ((_M.CLOSED, 70), (_M.ONLINE, 30)),
        ("总经理", "营地管理员", "房车维修技师", "销售顾问", "客服专员"),
        0.02,
        (TOURISM_ASSOCIATION,),
    ),
    "wedding": SectorProfile(
        (("婚庆礼仪有限公司", "91"), ("婚纱摄影有限公司", "91"), ("婚礼策划有限公司", "91")),
        (_S.STORE,),
        "店",
        (100, 600),
        ((_M.CLOSED, 50), (_M.ONLINE, 30), (_M.APPOINTMENT, 20)),
        ("店长", "婚礼策划师", "摄影师", "化妆师", "主持人", "销售顾问"),
        0.03,
        ("深圳市服务行业协会",),
    ),
    "house_rental": SectorProfile(
        (("房地产经纪有限公司", "91"), ("房屋租赁有限公司", "91"), ("公寓管理有限公司", "91")),
        (_S.STORE, _S.OFFICE),
        "门店",
        (40, 150),
        _MODES_DEFAULT,
        ("店长", "置业顾问", "租赁专员", "管家", "维修工", "行政"),
        0.04,
        ("深圳市服务行业协会",),
    ),
}

_BRAND_SYLLABLES = tuple(
    "华信安康泰嘉瑞福祥和美悦星海鹏宏盛达恒通雅锦丰德新金丽佳欣乐宜宁君汇润诚博远创源"
    "优天鸿晟颐馨怡朗逸彩峰景云凯旭铭茂合众同舟惠贤辉晨曦乔岚雁翔腾睿禾蓝湾"
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤温欧"
)
_GIVEN_MALE = "伟强磊军勇杰涛明超斌辉刚平鹏华飞建国志浩宇俊峰波亮晨林文海东健龙成坤"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英梅琳婷雪慧莹颖倩琴云洁燕红萍晶薇佳欣怡丹妍"
# Allocated mobile prefixes without 138: the demo accounts use 138-0013-80xx.
_NEWER_MOBILE_PREFIXES = {166, 172, 173, 175, 176, 177, 178, 191, 198, 199}
_MOBILE_PREFIXES = tuple(
    str(n)
    for n in range(130, 200)
    if (n // 10 in {13, 15, 18} and n not in {138, 154}) or n in _NEWER_MOBILE_PREFIXES
)
_ROADS: dict[str, tuple[str, ...]] = {
    "440303": ("深南东路", "人民南路", "东门中路", "宝安南路", "笋岗路", "文锦中路", "翠竹路"),
    "440304": ("深南中路", "振华路", "华强北路", "福华三路", "香蜜湖路", "彩田路", "景田路"),
    "440305": ("南海大道", "南山大道", "科苑路", "沙河西路", "学府路", "桃园路", "后海大道"),
    "440306": ("宝安大道", "创业一路", "新湖路", "西乡大道", "宝源路", "福永大道", "新沙路"),
    "440307": ("龙岗大道", "深惠路", "布吉路", "坂雪岗大道", "吉华路", "龙翔大道", "平湖大街"),
    "440308": ("深盐路", "海山路", "沙头角路", "盐田路", "环梅路"),
    "440309": ("人民路", "民治大道", "梅龙大道", "观澜大道", "东环一路", "和平路"),
    "440310": ("深汕路", "坪山大道", "东纵路", "金牛路", "龙田路"),
    "440311": ("光明大道", "松白路", "华夏路", "公常路", "观光路"),
    "SZ-DP": ("葵涌路", "鹏飞路", "迎宾路", "南澳大道", "金岭路"),
}
_BUILDINGS = ("商务中心", "国际大厦", "科技大厦", "创业大厦", "金融中心", "中心广场", "商业大厦")
# Where Shenzhen's workers come from, by province (the rest spread over all others).
_HOME_PROVINCES = (
    ("440000", 34),
    ("430000", 15),
    ("450000", 12),
    ("420000", 10),
    ("360000", 9),
    ("510000", 8),
    ("410000", 7),
)
_OTHER_PROVINCES_WEIGHT = 5
_NOT_COUNTIES = ("园区", "示范区", "开发区", "管理区", "试验区")
_REJECT_REASONS = (
    "经营范围与本会业务范围不符，建议申请加入对口的行业协会。",
    "申请材料不全：未提供营业执照副本，请补齐后重新申请。",
)
_SUSPEND_REASONS = (
    "连续两次未按要求报送疫情防控台账，暂停会员资格至整改完成。",
    "复工前未提交防控预案即恢复营业，暂停会员资格至整改完成。",
)
_LEAVE_REASON = "企业已停业，申请退会。"


@dataclass(frozen=True)
class DemoUser:
    """A demo account: who it is and which organisations it acts for."""

    mobile: str
    name: str
    label: str
    grants: tuple[tuple[str, str], ...]  # (organisation key, role)


# Organisation keys: "federation", an association's name, or one of the cast enterprises.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("13800138001", "林建华", "federation_admin", (("federation", Role.ADMIN),)),
    DemoUser("13800138002", "周敏", "federation_viewer", (("federation", Role.VIEWER),)),
    DemoUser("13800138003", "黄志强", "association_admin", ((HOTEL_CHAMBER, Role.ADMIN),)),
    DemoUser("13800138004", "李婷", "association_admin", ((BEAUTY_ASSOCIATION, Role.ADMIN),)),
    DemoUser("13800138005", "王建国", "enterprise_admin", (("hotel", Role.ADMIN),)),
    DemoUser("13800138006", "张丽", "enterprise_staff", (("hotel", Role.STAFF),)),
    DemoUser("13800138007", "刘洋", "enterprise_viewer", (("hotel", Role.VIEWER),)),
    DemoUser(
        "13800138008",
        "陈静",
        "two_organisations",
        (("travel", Role.ADMIN), (TOURISM_ASSOCIATION, Role.STAFF)),
    ),
    DemoUser("13800138009", "赵雪", "enterprise_admin", (("beauty", Role.ADMIN),)),
)


def _role_label(key: str) -> str:
    labels = {
        "federation_admin": _("Federation administrator"),
        "federation_viewer": _("Federation viewer"),
        "association_admin": _("Association administrator"),
        "enterprise_admin": _("Enterprise administrator"),
        "enterprise_staff": _("Enterprise staff"),
        "enterprise_viewer": _("Enterprise viewer"),
        "two_organisations": _("Enterprise administrator and association staff"),
    }
    return labels[key]


# --- The plan: pure data drawn from the PRNG, written afterwards ---------------------------


@dataclass
class SitePlan:
    """A site to create, its street by code."""

    name: str
    address: str
    street: str
    area: Decimal
    kind: str
    mode: str


@dataclass
class PersonPlan:
    """A roster entry as someone would type it, before cleaning."""

    name: str
    mobile: str
    document_type: str
    document_number: str
    position: str
    site: int
    critical: bool
    county: str | None
    province: str | None
    status: str


@dataclass
class EnterprisePlan:
    """An enterprise with its sites, roster and memberships; `key` names the cast's ones."""

    key: str
    name: str
    uscc: str
    association: int
    legal_representative: str
    contact_name: str
    contact_mobile: str
    sites: list[SitePlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    # (association index, final status, reason); the first is the primary association.
    memberships: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class Geography:
    """The divisions the generator draws from, read once in code order."""

    streets: list[Division]
    district_of: dict[str, Division]
    counties_by_province: dict[str, list[Division]]
    divisions: dict[str, Division]

    @classmethod
    def load(cls) -> Geography:
        divisions = {d.code: d for d in Division.objects.order_by("code")}
        streets = [
            d
            for d in divisions.values()
            if d.level == Division.Level.STREET and d.code[:4] == "4403"
        ]
        district_of: dict[str, Division] = {}
        for street in streets:
            # Dapeng's streets are run by the new district, not by Longgang.
            managed = divisions.get(street.managed_by_id or "")
            if managed is not None and managed.level == Division.Level.FUNCTIONAL_AREA:
                district_of[street.code] = managed
            else:
                district_of[street.code] = divisions[street.parent_id or ""]
        counties: dict[str, list[Division]] = {}
        for county in divisions.values():
            if county.level != Division.Level.COUNTY or not _is_home_county(county):
                continue
            province = _province_of(county, divisions)
            if province is not None:
                counties.setdefault(province.code, []).append(county)
        return cls(streets, district_of, counties, divisions)


def _is_home_county(county: Division) -> bool:
    """Counties that issue ID numbers; development zones and the like do not."""
    code = county.code
    return (
        len(code) == 6
        and code.isdigit()
        and 1 <= int(code[4:]) < 70
        and not any(word in county.name for word in _NOT_COUNTIES)
    )


def _province_of(county: Division, divisions: dict[str, Division]) -> Division | None:
    parent = divisions.get(county.parent_id or "")
    if parent is not None and parent.level == Division.Level.CITY:
        parent = divisions.get(parent.parent_id or "")
    return parent if parent is not None and parent.level == Division.Level.PROVINCE else None


class Generator:
    """Draws the demo from one seeded PRNG; the same seed and scale give the same plan."""

    def __init__(self, geography: Geography, *, scale: float = 1.0, seed: int = SEED) -> None:
        # A seeded PRNG on purpose: the demo must be the same on every installation.
        self.rng = random.Random(seed)  # noqa: S311
        self.geo = geography
        self.scale = scale
        self.used_names: set[str] = set()
        self.used_codes: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.used_documents: set[str] = set()
        main = {code for code, _weight in _HOME_PROVINCES}
        # HK, Macau and Taiwan residents carry permits, not mainland resident IDs.
        self.other_provinces = sorted(
            code
            for code in geography.counties_by_province
            if code not in main and code[:2] not in {"71", "81", "82", "83"}
        )

    # Identifiers ---------------------------------------------------------------------

    def uscc(self, prefix: str) -> str:
        """A valid credit code: type prefix, Shenzhen, a 9-character organisation code."""
        while True:
            body8 = "".join(self.rng.choice("0123456789") for _ in range(8))
            for check in "0123456789X":
                body17 = prefix + "440300" + body8 + check
                code = body17 + uscc_check_char(body17)
                # The organisation code carries its own GB 11714 check character.
                if not uscc_warnings(code):
                    break
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def mobile(self) -> str:
        """A mainland mobile number nobody else in the demo has."""
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def person_name(self, sex: str) -> str:
        given = _GIVEN_MALE if sex == "M" else _GIVEN_FEMALE
        length = 2 if self.rng.random() < 0.7 else 1
        return self.rng.choice(_SURNAMES) + "".join(self.rng.choice(given) for _ in range(length))

    def resident_id(self, county: Division, sex: str) -> str:
        """A GB 11643 number issued in `county`, its sequence parity matching `sex`."""
        start, end = dt.date(1965, 1, 1).toordinal(), dt.date(2003, 12, 31).toordinal()
        while True:
            born = dt.date.fromordinal(self.rng.randint(start, end))
            parity = self.rng.choice("13579" if sex == "M" else "02468")
            body = f"{county.code}{born:%Y%m%d}{self.rng.randrange(100):02d}{parity}"
            number = body + resident_id_check_char(body)
            if number not in self.used_documents:
                self.used_documents.add(number)
                return number

    def other_document(self) -> tuple[str, str, str | None]:
        """A HK/Macau permit or a passport: (type, number, home province code)."""
        while True:
            roll = self.rng.random()
            if roll < 0.45:
                kind, number, home = DocumentType.HK_MACAU_PERMIT, "H", "810000"
            elif roll < 0.65:
                kind, number, home = DocumentType.HK_MACAU_PERMIT, "M", "820000"
            else:
                letter = self.rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
                kind, number, home = DocumentType.PASSPORT, "E" + letter, None
            digits = 8 if kind == DocumentType.HK_MACAU_PERMIT else 7
            number += "".join(self.rng.choice("0123456789") for _ in range(digits))
            if number not in self.used_documents:
                self.used_documents.add(number)
                return kind, number, home

    # Places ---------------------------------------------------------------------------

    def address(self, street: Division, *, office: bool) -> str:
        """深圳市 + district + street + a road of that district + a number (and a floor)."""
        district = self.geo.district_of[street.code]
        road = self.rng.choice(_ROADS.get(district.code, ("建设路", "人民路", "工业路")))
        text = f"深圳市{district.name}{street.name}{road}{self.rng.randint(1, 388)}号"
        if office:
            text += f"{self.rng.choice(_BUILDINGS)}{self.rng.randint(2, 28)}楼"
        return text

    def sites(self, profile: SectorProfile, size: int) -> list[SitePlan]:
        """One to four sites on distinct streets; bigger enterprises have more."""
        if size >= 50:
            count = self.rng.randint(2, 4)
        elif size > 15:
            count = self.rng.randint(1, 2)
        else:
            count = 1 if self.rng.random() < 0.85 else 2
        streets = self.rng.sample(self.geo.streets, count)
        plans = []
        for street in streets:
            kind = self.rng.choice(profile.site_kinds)
            low, high = profile.area
            modes, weights = zip(*profile.modes, strict=True)
            plans.append(
                SitePlan(
                    name=street.name.removesuffix("街道") + profile.site_word,
                    address=self.address(street, office=kind == Site.Kind.OFFICE),
                    street=street.code,
                    area=Decimal(self.rng.randint(low * 10, high * 10)) / 10,
                    kind=kind,
                    mode=self.rng.choices(modes, weights)[0],
                )
            )
        return plans

    # People ---------------------------------------------------------------------------

    def home_county(self) -> Division:
        provinces = [code for code, _weight in _HOME_PROVINCES]
        weights = [weight for _code, weight in _HOME_PROVINCES]
        choice = self.rng.choices([*provinces, ""], [*weights, _OTHER_PROVINCES_WEIGHT])[0]
        if choice not in self.geo.counties_by_province:
            choice = self.rng.choice(self.other_provinces)
        return self.rng.choice(self.geo.counties_by_province[choice])

    def person(self, profile: SectorProfile, *, first: bool, sites: int) -> PersonPlan:
        sex = "M" if self.rng.random() < 0.5 else "F"
        county: Division | None = None
        province: str | None = None
        if self.rng.random() < 0.03:
            kind, number, province = self.other_document()
        else:
            county = self.home_county()
            kind, number = DocumentType.RESIDENT_ID, self.resident_id(county, sex)
        roll = self.rng.random()
        status = EmploymentStatus.ACTIVE
        if not first and roll < 0.015:
            status = EmploymentStatus.SUSPENDED
        elif not first and roll < 0.025:
            status = EmploymentStatus.LEFT
        return PersonPlan(
            name=self.person_name(sex),
            mobile=self.mobile(),
            document_type=kind,
            document_number=number,
            position=profile.positions[0] if first else self.rng.choice(profile.positions[1:]),
            # Most staff work at the first (main) site.
            site=0 if sites == 1 or self.rng.random() < 0.5 else self.rng.randrange(sites),
            critical=first or self.rng.random() < 0.09,
            county=county.code if county else None,
            province=province,
            status=status,
        )

    def size(self, profile: SectorProfile) -> int:
        """Head count: mostly 5-15, some 16-40, a sector-dependent share 50-150."""
        roll = self.rng.random()
        if roll < profile.big_share:  # skewed: many more near 50 than near 150
            return 50 + int(101 * self.rng.random() ** 2)
        if roll < profile.big_share + 0.25:
            return self.rng.randint(16, 40)
        return self.rng.randint(5, 15)

    # Enterprises ----------------------------------------------------------------------

    def enterprise_name(self, profile: SectorProfile) -> tuple[str, str]:
        while True:
            brand = "".join(self.rng.sample(_BRAND_SYLLABLES, 2))
            suffix, prefix = self.rng.choice(profile.suffixes)
            name = f"深圳市{brand}{suffix}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name, prefix

    def enterprise(self, index: int, spec: AssociationSpec, key: str) -> EnterprisePlan:
        profile = PROFILES[spec.sector]
        name, prefix = self.enterprise_name(profile)
        size = self.size(profile)
        if key == "hotel":  # the cast's hotel: a sizeable member of the hotel chamber
            size = self.rng.randint(110, 150)
        sites = self.sites(profile, size)
        people = [self.person(profile, first=i == 0, sites=len(sites)) for i in range(size)]
        manager = people[0]
        return EnterprisePlan(
            key=key,
            name=name,
            uscc=self.uscc(prefix),
            association=index,
            legal_representative=self.person_name(self.rng.choice("MF")),
            contact_name=manager.name,
            contact_mobile=manager.mobile,
            sites=sites,
            people=people,
        )

    def plan(self) -> list[EnterprisePlan]:
        """Every enterprise with its sites, roster and memberships."""
        index_of = {spec.name: i for i, spec in enumerate(ASSOCIATIONS)}
        cast_keys = {
            HOTEL_CHAMBER: "hotel",
            BEAUTY_ASSOCIATION: "beauty",
            TRAVEL_AGENCIES: "travel",
        }
        plans: list[EnterprisePlan] = []
        leaders: set[int] = set()  # the first member of each association stays active
        for index, spec in enumerate(ASSOCIATIONS):
            for n in range(max(1, round(spec.weight * self.scale))):
                key = cast_keys.get(spec.name, "") if n == 0 else ""
                if n == 0:
                    leaders.add(len(plans))
                plans.append(self.enterprise(index, spec, key))
        for plan in plans:
            plan.memberships.append((plan.association, MembershipStatus.ACTIVE, ""))
        # One in ten also belongs to a neighbouring association (a hotel to tourism…).
        tourism = index_of[TOURISM_ASSOCIATION]
        others = [p for p in plans if p.key not in {"hotel", "travel"}]
        for plan in self.rng.sample(others, max(0, round(0.1 * len(plans)) - 2)):
            second = PROFILES[ASSOCIATIONS[plan.association].sector].second
            plan.memberships.append(
                (index_of[self.rng.choice(second)], MembershipStatus.ACTIVE, "")
            )
        for plan in plans:
            if plan.key in {"hotel", "travel"}:
                plan.memberships.append((tourism, MembershipStatus.ACTIVE, ""))
        self._vary_states(plans, leaders, index_of)
        return plans

    def _vary_states(
        self, plans: list[EnterprisePlan], leaders: set[int], index_of: dict[str, int]
    ) -> None:
        """A handful of memberships in every other state, so each state shows."""
        candidates = [i for i in range(len(plans)) if i not in leaders]
        self.rng.shuffle(candidates)

        def quota(full: int) -> int:
            return max(1, round(full * self.scale))

        taken = 0
        for status, full in (
            (MembershipStatus.APPLIED, 6),
            (MembershipStatus.SUSPENDED, 3),
            (MembershipStatus.LEFT, 2),
        ):
            for i in candidates[taken : taken + quota(full)]:
                reason = ""
                if status == MembershipStatus.SUSPENDED:
                    reason = self.rng.choice(_SUSPEND_REASONS)
                elif status == MembershipStatus.LEFT:
                    reason = _LEAVE_REASON
                if status == MembershipStatus.APPLIED:  # a newcomer applies to one only
                    plans[i].memberships = [(plans[i].association, status, reason)]
                else:
                    plans[i].memberships[0] = (plans[i].association, status, reason)
            taken += quota(full)
        # Second applications: some refused, some still waiting.
        for status, full in ((MembershipStatus.REJECTED, 3), (MembershipStatus.APPLIED, 3)):
            for i in candidates[taken : taken + quota(full)]:
                plan = plans[i]
                second = PROFILES[ASSOCIATIONS[plan.association].sector].second
                target = index_of[self.rng.choice(second)]
                reason = (
                    self.rng.choice(_REJECT_REASONS) if status == MembershipStatus.REJECTED else ""
                )
                plan.memberships = [m for m in plan.memberships if m[0] != target]
                plan.memberships.append((target, status, reason))
            taken += quota(full)


# --- Writing --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """What the loader wrote, and how long it took."""

    associations: int
    enterprises: int
    memberships: dict[str, int]
    sites: int
    employees: int
    users: int
    notices: int
    checkins: int
    seconds: float


_STEPS: dict[str, tuple[str, ...]] = {
    MembershipStatus.APPLIED: (),
    MembershipStatus.ACTIVE: (MembershipStatus.ACTIVE,),
    MembershipStatus.REJECTED: (MembershipStatus.REJECTED,),
    MembershipStatus.SUSPENDED: (MembershipStatus.ACTIVE, MembershipStatus.SUSPENDED),
    MembershipStatus.LEFT: (MembershipStatus.ACTIVE, MembershipStatus.LEFT),
}


def demo_exists() -> bool:
    """Tell whether a federation is there already (the demo, or a real one)."""
    return Organization.objects.filter(kind=OrganizationKind.FEDERATION).exists()


def demo_load(*, scale: float = 1.0) -> DemoSummary | None:
    """Load the demo once; returns None (changing nothing) when a federation exists."""
    started = time.perf_counter()
    with transaction.atomic():
        if demo_exists():
            return None
        geography = Geography.load()
        plans = Generator(geography, scale=scale).plan()
        federation, associations = _write_associations(geography)
        enterprises = _write_enterprises(plans, associations, geography)
        emergency = _write_emergency(federation)
        users = _write_users(federation, associations, plans, enterprises)
        notices = write_notices(
            federation=federation,
            associations=associations,
            officer=User.objects.get(mobile=DEMO_USERS[0].mobile),
            password=password_for_writers(),
            seed=SEED + 3,
        )
        health = write_health(emergency=emergency, federation=federation, seed=SEED + 4)
        write_plans(federation=federation, associations=associations, seed=SEED + 7)
        write_resumption(federation=federation, associations=associations, seed=SEED + 8)
        write_training(federation=federation, seed=SEED + 5)
        write_sitelogs(seed=SEED + 6, days=14)
        summary = DemoSummary(
            associations=len(associations),
            enterprises=len(enterprises),
            memberships={
                status: sum(1 for p in plans for m in p.memberships if m[1] == status)
                for status in MembershipStatus.values
            },
            sites=sum(len(p.sites) for p in plans),
            employees=sum(len(p.people) for p in plans),
            users=users,
            notices=notices.public + notices.directives,
            checkins=health.checkins,
            seconds=0.0,
        )
        audit_record(
            actor=None,
            action="demo.load",
            scope=federation,
            changes={"enterprises": summary.enterprises, "employees": summary.employees},
        )
    return replace(summary, seconds=time.perf_counter() - started)


def _write_associations(geo: Geography) -> tuple[Organization, list[Organization]]:
    gen = Generator(geo, seed=SEED + 1)  # its own stream: association data never shifts others
    hq = geo.divisions["440304011"]  # 华强北街道
    federation = Organization.objects.create(
        kind=OrganizationKind.FEDERATION,
        name=FEDERATION_NAME,
        short_name=FEDERATION_SHORT_NAME,
        district=geo.district_of[hq.code],
        street=hq,
        address=gen.address(hq, office=True),
        phone=f"0755-8{gen.rng.randrange(10**7):07d}",
        description="深圳市生活服务类十九家行业协会的联合党组织，统筹行业党建与疫情联防联控工作。",
    )
    audit_record(actor=None, action="organization.create", scope=federation, obj=federation)
    sectors = {s.code: s for s in Sector.objects.all()}
    associations = []
    for spec in ASSOCIATIONS:
        street = gen.rng.choice(geo.streets)
        association = Organization.objects.create(
            kind=OrganizationKind.ASSOCIATION,
            name=spec.name,
            short_name=spec.short_name,
            parent=federation,
            uscc=validate_uscc(gen.uscc("51")),
            legal_representative=gen.person_name(gen.rng.choice("MF")),
            sector=sectors[spec.sector],
            district=geo.district_of[street.code],
            street=street,
            address=gen.address(street, office=True),
            contact_name=gen.person_name(gen.rng.choice("MF")),
            contact_mobile=gen.mobile(),
            phone=f"0755-8{gen.rng.randrange(10**7):07d}",
            description=spec.description,
        )
        audit_record(actor=None, action="organization.create", scope=association, obj=association)
        associations.append(association)
    return federation, associations


def _write_enterprises(
    plans: list[EnterprisePlan], associations: list[Organization], geo: Geography
) -> list[Organization]:
    sectors = {s.code: s for s in Sector.objects.all()}
    enterprises = []
    employees: list[Employee] = []
    for plan in plans:
        first = plan.sites[0]
        enterprise = Organization.objects.create(
            kind=OrganizationKind.ENTERPRISE,
            name=plan.name,
            uscc=validate_uscc(plan.uscc),
            legal_representative=plan.legal_representative,
            sector=sectors[ASSOCIATIONS[plan.association].sector],
            district=geo.district_of[first.street],
            street=geo.divisions[first.street],
            address=first.address,
            contact_name=plan.contact_name,
            contact_mobile=normalize_mobile(plan.contact_mobile),
        )
        audit_record(actor=None, action="enterprise.create", scope=enterprise, obj=enterprise)
        enterprises.append(enterprise)
        for association, status, reason in plan.memberships:
            membership = membership_apply(
                actor=SYSTEM, enterprise=enterprise, association=associations[association]
            )
            _move(membership, status, reason)
        sites = [
            site_create(
                actor=SYSTEM,
                enterprise=enterprise,
                data=SiteData(
                    name=s.name,
                    address=s.address,
                    district=geo.district_of[s.street],
                    street=geo.divisions[s.street],
                    floor_area_m2=s.area,
                    kind=s.kind,
                    service_mode=s.mode,
                ),
            )
            for s in plan.sites
        ]
        employees.extend(_employees(plan, enterprise, sites, geo))
        audit_record(
            actor=None,
            action="employee.import",
            scope=enterprise,
            changes={"created": len(plan.people), "source": "demo"},
        )
    Employee.objects.bulk_create(employees, batch_size=500)
    return enterprises


def _move(membership: Membership, status: str, reason: str) -> None:
    for step in _STEPS[status]:
        membership = membership_transition(
            actor=SYSTEM, membership=membership, to=step, reason=reason if step == status else ""
        )


def _employees(
    plan: EnterprisePlan, enterprise: Organization, sites: list[Site], geo: Geography
) -> list[Employee]:
    """The roster, cleaned exactly as a form or an import would clean it."""
    rows = []
    for person in plan.people:
        county = geo.divisions[person.county] if person.county else None
        city = geo.divisions[county.parent_id or ""] if county else None
        if city is not None and city.level != Division.Level.CITY:
            city = None
        province = None
        if county is not None:
            province = geo.divisions[(city or county).parent_id or ""]
        elif person.province:
            province = geo.divisions.get(person.province)
        cleaned = employee_clean(
            enterprise=enterprise,
            data=EmployeeInput(
                name=person.name,
                mobile=person.mobile,
                document_type=person.document_type,
                document_number=person.document_number,
                position=person.position,
                site=sites[person.site],
                is_critical=person.critical,
                home_province=province,
                home_city=city,
                home_county=county,
                status=person.status,
            ),
            today=DEMO_DAY,
        )
        rows.append(Employee(enterprise=enterprise, **cleaned))
    return rows


def _write_emergency(federation: Organization) -> Emergency:
    emergency = emergency_create(
        actor=SYSTEM,
        federation=federation,
        name="新型冠状病毒肺炎疫情",
        kind=Emergency.Kind.EPIDEMIC,
        started_on=dt.date(2020, 1, 23),
        retention_days=30,
        make_current=True,
    )
    rule_publish(
        actor=None,
        scope=federation,
        emergency=emergency,
        key="personal_data.retention",
        data={"roster_days": 30, "health_days": 30, "audit_days": 180},
        effective_from=dt.date(2020, 1, 23),
        source_title=(
            "《中华人民共和国个人信息保护法》第十九条；中央网信办《关于做好个人信息保护"
            "利用大数据支撑联防联控工作的通知》（2020年2月4日）"
        ),
        note=(
            "个人信息保存期限为实现处理目的所必要的最短时间：疫情结束后花名册与健康数据"
            "保留30天后删除；审计日志依《网络安全法》第二十一条保留不少于六个月。"
        ),
    )
    return emergency


def _write_users(
    federation: Organization,
    associations: list[Organization],
    plans: list[EnterprisePlan],
    enterprises: list[Organization],
) -> int:
    organizations: dict[str, Organization] = {"federation": federation}
    organizations.update({a.name: a for a in associations})
    organizations.update({p.key: e for p, e in zip(plans, enterprises, strict=True) if p.key})
    # One hash for all: the password is public, and hashing it nine times costs seconds.
    password = make_password(DEMO_PASSWORD)
    for spec in DEMO_USERS:
        user = User.objects.create(mobile=spec.mobile, name=spec.name, password=password)
        for key, role in spec.grants:
            grant = RoleGrant.objects.create(user=user, organization=organizations[key], role=role)
            audit_record(
                actor=None,
                action="grant.create",
                scope=grant.organization,
                obj=grant,
                changes={"role": role},
            )
    return len(DEMO_USERS)


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(role, organisation, mobile, password) of each demo account that exists."""
    grants = Prefetch("grants", RoleGrant.objects.select_related("organization").order_by("pk"))
    users = {
        u.mobile: u
        for u in User.objects.filter(mobile__in=[s.mobile for s in DEMO_USERS]).prefetch_related(
            grants
        )
    }
    rows = []
    for spec in DEMO_USERS:
        user = users.get(spec.mobile)
        if user is None:
            continue
        names = " / ".join(
            g.organization.short_name or g.organization.name for g in user.grants.all()
        )
        rows.append((_role_label(spec.label), names, spec.mobile, DEMO_PASSWORD))
    return rows
