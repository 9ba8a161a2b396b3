"""A realistic sample packet for tests, the benchmark and previews (unmasked input on purpose)."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

from plans.packet.data import (
    SHANGHAI,
    ChecklistItem,
    Commitment,
    EmergencyContact,
    Isolation,
    PacketData,
    PlanSection,
    RosterRow,
    StaffSummary,
    SupplyRow,
    TeamMember,
)

_CHECKS = [
    (
        "EF-01",
        "防控机制到位：明确主要负责人、分管负责人及部门、班组负责人，成立不少于2人的防疫小组",
    ),
    ("EF-02", "员工排查到位：逐一掌握员工籍贯及近14天行程，建立“一人一档”并报街道联防联控小组"),
    ("EF-03", "设施物资到位：配备红外体温探测仪、消毒水、口罩、橡胶手套，储备不少于3天用量"),
    ("EF-04", "内部管理到位：实行封闭式管理，员工佩戴口罩，每日测温，食堂分餐、错峰就餐"),
    ("EF-05", "法律普及到位：向员工宣讲传染病防治法律法规规定的义务"),
    ("EF-06", "宣传教育：全体员工接受疫情防控及安全生产培训"),
    ("M1", "员工健康“一人一档”：健康状况、近期活动轨迹、接触史、隔离情况"),
    ("M2", "重点地区员工：未返回的劝其暂缓返回；已返回的落实14天隔离观察"),
    ("M3", "厂区封闭管理，进入人员每日至少测温两次，员工健康状况每日一查"),
    ("M4", "在疾控和社区指导下设置临时隔离室"),
    ("M5", "配备口罩、消毒液，重点区域清洁消毒，员工佩戴口罩"),
    ("M6", "减少聚集：配餐制、错时分散就餐，鼓励错峰上下班"),
    ("M7", "开展线上疫情防控和安全生产培训"),
    ("M8", "制定应急预案：出现发热、乏力、干咳等症状及时送医并报告社区"),
]
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红"
_POSITIONS = ["前台接待", "客房服务员", "厨师", "保安", "工程维修", "财务", "销售经理", "保洁"]
_SITES = ["福田店", "南山店", "罗湖中心店"]
_STATUS = ["在岗", "在岗", "在岗", "居家观察", "未返深", "隔离期满"]

COMMITMENT = (
    "本企业郑重承诺：\n\n"
    "一、严格落实疫情防控主体责任，法定代表人为疫情防控第一责任人，建立防控工作机制。\n\n"
    "二、所报员工信息、健康状况及防控措施真实、准确、完整，如有虚报、瞒报，愿承担相应法律责任。\n\n"
    "三、不新招录来自疫情重点地区的人员；市外返工人员不少于14天隔离医学观察。\n\n"
    "四、自觉接受属地街道、社区及行业协会的监督检查，发现问题立即整改。"
)


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


def _id_number(rng: random.Random) -> str:
    from lib.ids import resident_id_check_char

    body = f"440303{rng.randint(1965, 2002)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def sample_packet(*, checklist: int = 14, roster: int = 40, seed: int = 1) -> PacketData:
    """A packet for 深圳市同舟示范酒店有限公司 with full (unmasked) mobiles and IDs as input."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    items = []
    for n in range(checklist):
        code, text = (
            _CHECKS[n]
            if n < len(_CHECKS)
            else (f"S-{n:03d}", f"行业专项检查项目第{n}项：{rng.choice(_CHECKS)[1]}")
        )
        answer = rng.choice(["yes", "yes", "yes", "no", "na"])
        items.append(
            ChecklistItem(
                code=code,
                text=text,
                required=n % 5 != 4,
                answer=answer,
                note="已于2月8日完成"
                if answer == "yes"
                else ("正在采购，预计2月12日到货" if answer == "no" else ""),
                number=Decimal(rng.randint(2, 40)) if n % 3 == 0 else None,
                unit="人" if n % 3 == 0 else "",
                evidence=(f"EF{n:02d}-现场照片.jpg",) if n % 2 == 0 else (),
            )
        )
    rows = [
        RosterRow(
            name=_name(rng),
            position=rng.choice(_POSITIONS),
            site=rng.choice(_SITES),
            mobile=f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            document=_id_number(rng),
            status=rng.choice(_STATUS),
        )
        for _ in range(roster)
    ]
    return PacketData(
        enterprise_name="深圳市同舟示范酒店有限公司",
        uscc="91440300MA5FXXXX1X",
        legal_rep="陈建国",
        address="深圳市福田区福华三路88号同舟大厦1-5层",
        district="福田区",
        street="福田街道",
        sector="住宿业（酒店）",
        contact_name="李敏",
        contact_mobile="13800138000",
        responsible_person="陈建国（法定代表人）",
        association="深圳市酒店行业协会",
        reference="FT-2020-0213-0042",
        planned_date=date(2020, 2, 10),
        resumption_mode="部分复工",
        commitment=Commitment(
            text=COMMITMENT,
            confirmed_by="陈建国",
            confirmed_at=datetime(2020, 2, 8, 9, 30, tzinfo=SHANGHAI),
            confirmed_from="网页 203.0.113.5",
        ),
        plan_sections=(
            PlanSection(
                "组织领导",
                "成立以法定代表人为组长的疫情防控领导小组，下设防疫小组，负责日常测温、消毒、物资管理和信息报送。\n\n"
                "各部门负责人为本部门第一责任人，班组长负责每日健康排查并报防疫联络员。",
            ),
            PlanSection(
                "员工排查与健康管理",
                "返岗前逐一核实员工近14天行程及接触史，建立“一人一档”。外地返深员工到深后居家或在宿舍隔离区观察14天，体温正常方可上岗。\n\n"
                "每日上岗前及午后各测温一次，体温≥37.3℃者不得上岗，立即按应急预案处置。",
            ),
            PlanSection(
                "场所消毒与通风",
                "大堂、电梯、客房走廊、员工餐厅每日消毒不少于2次，使用含氯消毒剂500 mg/L；"
                "公共区域每日开窗通风3次，每次30分钟。",
            ),
            PlanSection(
                "就餐与聚集管理", "员工餐厅实行分餐、错峰就餐，取消集体会议，改为线上沟通。"
            ),
        ),
        checklist=tuple(items),
        team=(
            TeamMember("陈建国", "组长（法定代表人）", "13912345678", True),
            TeamMember("李敏", "防疫联络员", "13800138000", True),
            TeamMember("王磊", "物资管理", "13698765432", False),
        ),
        emergency_contacts=(
            EmergencyContact("福田街道防控办", "值班室", "0755-83331234"),
            EmergencyContact("急救", "", "120"),
            EmergencyContact("防疫联络员", "李敏", "13800138000"),
        ),
        emergency_steps=(
            "发现员工或顾客体温≥37.3℃或有乏力、干咳等症状，立即为其佩戴口罩，带至临时隔离室。",
            "防疫联络员立即报告社区健康服务中心和街道防控办，按指引送定点医院发热门诊。",
            "对其活动区域进行终末消毒，排查密切接触者并居家观察。",
            "每日向协会和街道报送情况，直至解除。",
        ),
        isolation=(
            Isolation(
                "自有宿舍隔离区", "员工宿舍B栋3楼", rooms=6, capacity=6, note="单人单间，独立卫生间"
            ),
            Isolation("临时隔离室", "一楼员工通道旁", rooms=1, capacity=1),
        ),
        staff=StaffSummary(
            total=max(roster, 126),
            on_site=88,
            in_shenzhen=101,
            from_outside_shenzhen=25,
            from_risk_areas=2,
            to_isolate=25,
            in_observation=17,
            completed_observation=8,
            not_returned=21,
        ),
        roster=tuple(rows),
        supplies=(
            SupplyRow("医用外科口罩", "个", Decimal(1200), Decimal(260)),
            SupplyRow("红外体温探测仪", "台", Decimal(4), Decimal(0)),
            SupplyRow("含氯消毒液", "升", Decimal(30), Decimal(12)),
            SupplyRow("橡胶手套", "双", Decimal(300), Decimal(40)),
            SupplyRow("洗手液", "瓶", Decimal(48), Decimal(6)),
        ),
        generated_at=datetime(2020, 2, 8, 10, 0, tzinfo=SHANGHAI),
    )
