"""The check-in form as data: questions, choices and the rules that decide a status.

The federation publishes versions of the rule table `health.checkin_form` per emergency
(`emergencies.RuleVersion`, with an effective date and a cited source). Associations and
enterprises add questions of their own with `health.models.FormAddition` (validated by
`FormAdditions`). The form an employee sees on a day is the federation's version in force
⊕ the additions of the associations the enterprise is an active member of ⊕ the
enterprise's own additions (`health.services.checkin_form_for`).

Texts are part of the data, in the three languages the pages speak (`zh-hans` is
required; the others fall back to it). The default set follows the 2020 Shenzhen daily
check-in forms (reference: domain-china.md §3b, fields HC-01…HC-19).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import get_language
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from emergencies.rules import register

LANGUAGES = ("zh-hans", "zh-hant", "en")
FORM_KEY = "health.checkin_form"

StatusCode = Literal["normal", "attention", "abnormal"]
SEVERITY: dict[str, int] = {"normal": 0, "attention": 1, "abnormal": 2}

DEFAULT_SOURCE_TITLE = (
    "每日健康打卡字段（钉钉健康打卡与企业微信健康上报模板、深圳2020年复工复产防控要求）："
    "体温≥37.3℃、有症状、红/黄码或确诊/疑似接触为异常。参考 domain-china.md §3b、§3d"
)
DEFAULT_SOURCE_URL = "https://developer.work.weixin.qq.com/document/path/93679"


def _label_ok(value: dict[str, str]) -> dict[str, str]:
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ValueError(f"unknown languages {sorted(unknown)}; use {list(LANGUAGES)}")
    if "zh-hans" not in value:
        raise ValueError("every text needs a zh-hans version")
    return value


Label = Annotated[
    dict[
        str, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]
    ],
    AfterValidator(_label_ok),
]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


def text_for(label: dict[str, str] | None, language: str | None = None) -> str:
    """The text of a label in a language (default: the active one), else Simplified Chinese."""
    if not label:
        return ""
    lang = (language or get_language() or "zh-hans").lower()
    if lang in label:
        return label[lang]
    if lang.startswith("zh") and ("hant" in lang or lang in {"zh-tw", "zh-hk", "zh-mo"}):
        return label.get("zh-hant") or label["zh-hans"]
    return label["zh-hans"]


def t(zh_hans: str, zh_hant: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh_hans, "zh-hant": zh_hant, "en": en}


class Choice(BaseModel):
    """One answer of a choice question and the status it leads to."""

    code: Code
    label: Label
    status: StatusCode = "normal"
    # In a multi-choice question: cannot be combined with other answers ("none").
    exclusive: bool = False


class Threshold(BaseModel):
    """A number range (inclusive at both ends; open when an end is missing) and its status."""

    at_least: Decimal | None = None
    at_most: Decimal | None = None
    status: StatusCode

    @model_validator(mode="after")
    def _range(self) -> Threshold:
        if self.at_least is None and self.at_most is None:
            raise ValueError("a threshold needs at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError("at_least must not be above at_most")
        return self

    def matches(self, value: Decimal) -> bool:
        return (self.at_least is None or value >= self.at_least) and (
            self.at_most is None or value <= self.at_most
        )


class Question(BaseModel):
    """One question of the check-in form."""

    key: Code
    ref: str = Field(default="", max_length=20)  # e.g. HC-02 in domain-china.md §3b
    label: Label
    help: Label | None = None
    kind: Literal["temperature", "number", "choice", "multi", "text", "bool", "region"]
    required: bool = True
    # Which consent covers the answer (PIPL: health data and travel data separately).
    consent: Literal["health", "travel"] = "health"
    choices: list[Choice] = Field(default_factory=list, max_length=40)
    thresholds: list[Threshold] = Field(default_factory=list, max_length=10)
    minimum: Decimal | None = None  # number questions
    maximum: Decimal | None = None
    max_length: int = Field(default=500, ge=1, le=2000)  # text questions
    status_if_true: StatusCode = "normal"  # bool questions
    must_be_true: bool = False  # bool questions: a pledge

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.kind in {"choice", "multi"}:
            if len(self.choices) < 2:
                raise ValueError(f"{self.key}: a choice question needs at least two choices")
            codes = [c.code for c in self.choices]
            if len(codes) != len(set(codes)):
                raise ValueError(f"{self.key}: choice codes must be unique")
        elif self.choices:
            raise ValueError(f"{self.key}: only choice questions have choices")
        if self.thresholds and self.kind not in {"temperature", "number"}:
            raise ValueError(f"{self.key}: only number questions have thresholds")
        if self.must_be_true and self.kind != "bool":
            raise ValueError(f"{self.key}: only a yes/no question can be a pledge")
        return self

    def choice(self, code: str) -> Choice | None:
        return next((c for c in self.choices if c.code == code), None)


class TemperatureRules(BaseModel):
    """What a body temperature may be, and which typed values are read as Fahrenheit."""

    minimum: Decimal = Field(default=Decimal("34.0"), ge=20, le=45)
    maximum: Decimal = Field(default=Decimal("43.0"), ge=30, le=50)
    fahrenheit_minimum: Decimal = Field(default=Decimal("93.0"), ge=60, le=130)
    fahrenheit_maximum: Decimal = Field(default=Decimal("109.4"), ge=60, le=130)

    @model_validator(mode="after")
    def _ranges(self) -> TemperatureRules:
        if self.minimum >= self.maximum or self.fahrenheit_minimum >= self.fahrenheit_maximum:
            raise ValueError("a minimum must be below its maximum")
        if self.fahrenheit_minimum <= self.maximum:
            raise ValueError("the Fahrenheit range must lie above the Celsius range")
        return self


class QuickRules(BaseModel):
    """The one-tap "nothing has changed since yesterday" check-in."""

    enabled: bool = True
    # On about one day in N (chosen per employee and day by a keyed hash), the full form
    # is asked instead, to keep answers honest. 0 = never, 1 = every day.
    full_form_one_in: int = Field(default=7, ge=0, le=365)


class CheckInForm(BaseModel):
    """The rule table `health.checkin_form`: the federation's check-in form."""

    questions: list[Question] = Field(min_length=1, max_length=60)
    temperature: TemperatureRules = Field(default_factory=TemperatureRules)
    quick: QuickRules = Field(default_factory=QuickRules)
    # A form opened for one day and sent after midnight still counts for that day when it
    # arrives within this many minutes after midnight (Asia/Shanghai).
    late_grace_minutes: int = Field(default=120, ge=0, le=360)
    # What the employee and the prevention officer are told to do next, per status.
    next_steps: dict[Literal["attention", "abnormal"], Label] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keys(self) -> CheckInForm:
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("question keys must be unique")
        if sum(q.kind == "temperature" for q in self.questions) > 1:
            raise ValueError("a form has at most one temperature question")
        return self


class FormAdditions(BaseModel):
    """Questions an association or an enterprise adds to the federation's form (an empty
    list withdraws the earlier additions)."""

    questions: list[Question] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _keys(self) -> FormAdditions:
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("question keys must be unique")
        if any(q.kind == "temperature" for q in self.questions):
            raise ValueError("the temperature question belongs to the federation's form")
        return self


register(FORM_KEY, CheckInForm)


def default_checkin_form() -> dict[str, Any]:
    """The default form (JSON data of `health.checkin_form`), following domain-china.md §3b.

    Status rules: temperature ≥ 37.3 °C abnormal, 37.0–37.2 °C attention (HC-02); any
    symptom abnormal (HC-04); suspected or confirmed abnormal, unwell attention (HC-05);
    travel from a risk region, abroad or a city with local cases attention (HC-09);
    contact with a confirmed, suspected or asymptomatic case or a close contact abnormal,
    with people from risk regions or fever patients attention (HC-10); isolation abnormal,
    health monitoring attention (HC-12); red or yellow health code abnormal, no code
    attention (HC-13). Cite: DEFAULT_SOURCE_TITLE / DEFAULT_SOURCE_URL.
    """
    symptom = [
        ("fever", "发热", "發熱", "Fever"),
        ("dry_cough", "干咳", "乾咳", "Dry cough"),
        ("sputum", "咳痰", "咳痰", "Cough with phlegm"),
        ("sore_throat", "咽痛", "咽痛", "Sore throat"),
        ("fatigue", "乏力", "乏力", "Fatigue"),
        ("muscle_ache", "肌肉酸痛", "肌肉痠痛", "Muscle aches"),
        ("runny_nose", "鼻塞流涕", "鼻塞流涕", "Blocked or runny nose"),
        (
            "breathing",
            "胸闷气促、呼吸困难",
            "胸悶氣促、呼吸困難",
            "Chest tightness or shortness of breath",
        ),
        ("diarrhoea", "腹泻", "腹瀉", "Diarrhoea"),
        ("nausea", "恶心呕吐", "噁心嘔吐", "Nausea or vomiting"),
        ("smell_taste", "嗅觉或味觉减退", "嗅覺或味覺減退", "Loss of smell or taste"),
        ("conjunctivitis", "结膜炎（眼红）", "結膜炎（眼紅）", "Conjunctivitis (red eyes)"),
        ("headache", "头痛", "頭痛", "Headache"),
    ]
    form = CheckInForm(
        questions=[
            Question(
                key="temperature",
                ref="HC-02",
                kind="temperature",
                label=t("今日体温（℃）", "今日體溫（℃）", "Today's temperature (°C)"),
                help=t(
                    "例如 36.5。请在上岗前测量。",
                    "例如 36.5。請在上崗前測量。",
                    "For example 36.5. Measure it before work.",
                ),
                thresholds=[
                    Threshold(at_least=Decimal("37.3"), status="abnormal"),
                    Threshold(
                        at_least=Decimal("37.0"), at_most=Decimal("37.2"), status="attention"
                    ),
                ],
            ),
            Question(
                key="symptoms",
                ref="HC-04",
                kind="multi",
                label=t("今日有无以下症状", "今日有無以下症狀", "Symptoms today"),
                choices=[
                    Choice(code="none", label=t("无", "無", "None"), exclusive=True),
                    *[
                        Choice(code=code, label=t(hans, hant, en), status="abnormal")
                        for code, hans, hant, en in symptom
                    ],
                ],
            ),
            Question(
                key="health_status",
                ref="HC-05",
                kind="choice",
                label=t("本人健康状况", "本人健康狀況", "Your health"),
                choices=[
                    Choice(
                        code="healthy",
                        label=t("健康，无不适", "健康，無不適", "Well, no discomfort"),
                    ),
                    Choice(
                        code="unwell_seen",
                        label=t(
                            "身体不适，已就医", "身體不適，已就醫", "Unwell, have seen a doctor"
                        ),
                        status="attention",
                    ),
                    Choice(
                        code="unwell_not_seen",
                        label=t(
                            "身体不适，未就医", "身體不適，未就醫", "Unwell, have not seen a doctor"
                        ),
                        status="attention",
                    ),
                    Choice(
                        code="suspected",
                        label=t("疑似病例", "疑似病例", "Suspected case"),
                        status="abnormal",
                    ),
                    Choice(
                        code="confirmed",
                        label=t("确诊病例", "確診病例", "Confirmed case"),
                        status="abnormal",
                    ),
                    Choice(code="other", label=t("其他", "其他", "Other"), status="attention"),
                ],
            ),
            Question(
                key="location",
                ref="HC-07",
                kind="region",
                consent="travel",
                label=t("当前所在地", "當前所在地", "Where you are now"),
                help=t(
                    "在深圳请选择所在区；不在深圳请选择省份并填写城市。",
                    "在深圳請選擇所在區；不在深圳請選擇省份並填寫城市。",
                    "In Shenzhen choose the district; elsewhere choose the province and "
                    "type the city.",
                ),
            ),
            Question(
                key="travel",
                ref="HC-09",
                kind="choice",
                consent="travel",
                label=t("14天内旅居史", "14天內旅居史", "Travel in the last 14 days"),
                choices=[
                    Choice(
                        code="none", label=t("未离开本市", "未離開本市", "Did not leave the city")
                    ),
                    Choice(
                        code="low_risk",
                        label=t(
                            "去过其他低风险地区", "去過其他低風險地區", "Other low-risk places"
                        ),
                    ),
                    Choice(
                        code="case_city",
                        label=t(
                            "去过有本土病例的城市",
                            "去過有本土病例的城市",
                            "A city with local cases",
                        ),
                        status="attention",
                    ),
                    Choice(
                        code="risk_region",
                        label=t(
                            "去过中高风险地区", "去過中高風險地區", "A medium- or high-risk area"
                        ),
                        status="attention",
                    ),
                    Choice(
                        code="abroad",
                        label=t(
                            "境外（含港澳台）",
                            "境外（含港澳台）",
                            "Abroad (incl. HK, Macau, Taiwan)",
                        ),
                        status="attention",
                    ),
                ],
            ),
            Question(
                key="contact",
                ref="HC-10",
                kind="multi",
                consent="travel",
                label=t("14天内接触史", "14天內接觸史", "Contact in the last 14 days"),
                choices=[
                    Choice(code="none", label=t("无", "無", "None"), exclusive=True),
                    Choice(
                        code="confirmed",
                        label=t("确诊病例", "確診病例", "A confirmed case"),
                        status="abnormal",
                    ),
                    Choice(
                        code="suspected",
                        label=t("疑似病例", "疑似病例", "A suspected case"),
                        status="abnormal",
                    ),
                    Choice(
                        code="asymptomatic",
                        label=t("无症状感染者", "無症狀感染者", "An asymptomatic infection"),
                        status="abnormal",
                    ),
                    Choice(
                        code="close_contact",
                        label=t("密切接触者", "密切接觸者", "A close contact of a case"),
                        status="abnormal",
                    ),
                    Choice(
                        code="risk_region_person",
                        label=t(
                            "来自中高风险地区的人员",
                            "來自中高風險地區的人員",
                            "People from medium- or high-risk areas",
                        ),
                        status="attention",
                    ),
                    Choice(
                        code="fever_patient",
                        label=t("发热病人", "發熱病人", "People with fever"),
                        status="attention",
                    ),
                ],
            ),
            Question(
                key="isolation",
                ref="HC-12",
                kind="choice",
                label=t("隔离或医学观察状态", "隔離或醫學觀察狀態", "Isolation or observation"),
                choices=[
                    Choice(code="none", label=t("否", "否", "None")),
                    Choice(
                        code="home_isolation",
                        label=t("居家隔离", "居家隔離", "Home isolation"),
                        status="abnormal",
                    ),
                    Choice(
                        code="central_isolation",
                        label=t("集中隔离", "集中隔離", "Centralised isolation"),
                        status="abnormal",
                    ),
                    Choice(
                        code="home_monitoring",
                        label=t("居家健康监测", "居家健康監測", "Home health monitoring"),
                        status="attention",
                    ),
                    Choice(
                        code="self_monitoring",
                        label=t("自我健康监测", "自我健康監測", "Self health monitoring"),
                        status="attention",
                    ),
                ],
            ),
            Question(
                key="health_code",
                ref="HC-13",
                kind="choice",
                label=t(
                    "健康码颜色（本人申报）", "健康碼顏色（本人申報）", "Your health code colour"
                ),
                choices=[
                    Choice(code="green", label=t("绿码", "綠碼", "Green")),
                    Choice(code="yellow", label=t("黄码", "黃碼", "Yellow"), status="abnormal"),
                    Choice(code="red", label=t("红码", "紅碼", "Red"), status="abnormal"),
                    Choice(
                        code="none",
                        label=t("未申领或灰码", "未申領或灰碼", "None or grey"),
                        status="attention",
                    ),
                ],
            ),
            Question(
                key="remarks",
                ref="HC-18",
                kind="text",
                required=False,
                max_length=500,
                label=t("情况说明（选填）", "情況說明（選填）", "Remarks (optional)"),
            ),
            Question(
                key="pledge",
                ref="HC-19",
                kind="bool",
                must_be_true=True,
                label=t(
                    "本人承诺以上信息真实准确",
                    "本人承諾以上資訊真實準確",
                    "I confirm that the above is true and accurate",
                ),
            ),
        ],
        next_steps={
            "attention": t(
                "请留意身体状况，明天继续如实打卡；如有不适及时告知防疫负责人。",
                "請留意身體狀況，明天繼續如實打卡；如有不適及時告知防疫負責人。",
                "Watch your health and check in truthfully tomorrow; tell your prevention "
                "officer if you feel unwell.",
            ),
            "abnormal": t(
                "今日不得上岗。请戴好口罩、避免接触他人，联系防疫负责人，按要求就医并报告社区。",
                "今日不得上崗。請戴好口罩、避免接觸他人，聯繫防疫負責人，按要求就醫並報告社區。",
                "Do not work today. Wear a mask, keep away from others, contact your "
                "prevention officer, see a doctor as required and report to your community.",
            ),
        },
    )
    return form.model_dump(mode="json")
