"""The plans pages with the tenancy cast: enterprise plan, review, templates, roll-up."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, RoleGrant
from conftest import Cast, make_enterprise, make_user
from orgs.models import Membership, Sector
from plans.models import ChecklistTemplate, Plan, PlanStatus, TemplateItem
from plans.services import plan_start
from plans.tests.helpers import ready, seeded, started

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _b1_plan(cast: Cast) -> Plan:
    seeded(cast)
    return plan_start(actor=cast.other_admin, enterprise=cast.other_enterprise)


def test_it_offers_to_start_a_plan_then_shows_its_sections(cast: Cast) -> None:
    seeded(cast)
    client = cast.client(cast.enterprise_admin)
    page = client.get(reverse("plans:mine"))
    assert page.status_code == 200
    assert "Start our plan" in page.content.decode()
    assert client.post(reverse("plans:start")).status_code == 302
    page = client.get(reverse("plans:mine"))
    html = page.content.decode()
    assert page.status_code == 200
    for code in ("EF-01", "M8", "G-DISINF", "HT-3"):
        assert code in html
    assert "Employees on the roster" in html


def test_it_saves_a_section_by_htmx_and_refuses_a_stale_one(cast: Cast) -> None:
    plan = started(cast)
    client = cast.client(cast.enterprise_admin)
    url = reverse("plans:section", kwargs={"pk": plan.pk, "name": "staff"})
    ok = client.post(
        url,
        {"version": plan.version, "isolation": "rented", "isolation_notes": "酒店A栋"},
        headers=HTMX,
    )
    assert ok.status_code == 200
    assert ok["HX-Trigger"] == "plan-saved"
    stale = client.post(
        url, {"version": plan.version, "isolation": "home", "isolation_notes": "覆盖"}, headers=HTMX
    )
    assert stale.status_code == 422
    assert "Someone else saved this plan" in stale.content.decode()
    plan.refresh_from_db()
    assert (plan.isolation, plan.isolation_notes) == ("rented", "酒店A栋")


def test_it_refuses_absurd_numbers_on_the_page(cast: Cast) -> None:
    plan = started(cast)
    client = cast.client(cast.enterprise_admin)
    url = reverse("plans:section", kwargs={"pk": plan.pk, "name": "supplies"})
    response = client.post(
        url,
        {
            "version": plan.version,
            "item": ["口罩"],
            "unit": ["个"],
            "on_hand": ["-5"],
            "daily_use": ["10"],
        },
    )
    assert response.status_code == 422
    assert "between 0 and" in response.content.decode()
    url = reverse("plans:section", kwargs={"pk": plan.pk, "name": "enterprise"})
    response = client.post(url, {"version": plan.version, "floor_area_m2": "1000000000"})
    assert response.status_code == 422
    plan.refresh_from_db()
    assert plan.version == 1


def test_it_refuses_a_fake_photo_on_the_page(cast: Cast) -> None:
    plan = started(cast)
    item = TemplateItem.objects.get(code="EF-03", section__template=plan.base_template)
    client = cast.client(cast.enterprise_admin)
    response = client.post(
        reverse("plans:answer", kwargs={"pk": plan.pk, "item": item.pk}),
        {
            "state": "done",
            "version": 0,
            "evidence": SimpleUploadedFile("x.png", b"MZ\x90\x00" + b"\0" * 64),
        },
        headers=HTMX,
    )
    assert response.status_code == 422
    assert "program or a script" in response.content.decode()
    assert not plan.answers.exists()


def test_it_records_the_commitment_only_from_the_named_person(cast: Cast) -> None:
    plan = started(cast)
    plan.responsible_user = cast.enterprise_admin
    plan.save()
    colleague = make_user("13800000020", "同事")
    RoleGrant.objects.create(user=colleague, organization=cast.enterprise, role=Role.ADMIN)
    url = reverse("plans:commitment", kwargs={"pk": plan.pk})
    cast.client(colleague).post(url, {"version": plan.version, "confirm": "yes"})
    plan.refresh_from_db()
    assert plan.commitment_confirmed_at is None
    cast.client(cast.enterprise_admin).post(
        url, {"version": plan.version, "confirm": "yes"}, HTTP_USER_AGENT="Mozilla/5.0 test"
    )
    plan.refresh_from_db()
    assert plan.commitment_confirmed_by == cast.enterprise_admin
    assert plan.commitment_user_agent == "Mozilla/5.0 test"
    assert plan.commitment_ip == "127.0.0.1"


def test_it_keeps_viewers_and_other_enterprises_out(cast: Cast) -> None:
    plan = started(cast)
    url = reverse("plans:section", kwargs={"pk": plan.pk, "name": "staff"})
    assert cast.client(cast.enterprise_viewer).post(url, {"version": 1}).status_code == 403
    assert cast.client(cast.other_admin).get(url).status_code == 404
    assert cast.client(cast.enterprise_viewer).get(reverse("plans:mine")).status_code == 200


def test_it_shows_reviewers_no_drafts_and_only_their_members(cast: Cast) -> None:
    draft = started(cast)
    b1 = _b1_plan(cast)
    Plan.objects.filter(pk=b1.pk).update(status=PlanStatus.SUBMITTED)
    officer = cast.client(cast.association_officer)
    assert officer.get(reverse("plans:review", kwargs={"pk": draft.pk})).status_code == 404
    assert officer.get(reverse("plans:review", kwargs={"pk": b1.pk})).status_code == 404
    queue = officer.get(reverse("plans:queue")).content.decode()
    assert cast.other_enterprise.name not in queue
    # The federation sees B1's submitted plan.
    assert (
        cast.client(cast.federation_officer)
        .get(reverse("plans:review", kwargs={"pk": b1.pk}))
        .status_code
        == 200
    )


def test_it_reviews_comments_returns_and_the_enterprise_resubmits(cast: Cast) -> None:
    plan = ready(cast)
    officer = cast.client(cast.association_officer)
    item = TemplateItem.objects.get(code="EF-03", section__template=plan.base_template)
    officer.post(
        reverse("plans:comment", kwargs={"pk": plan.pk}), {"item": item.pk, "text": "照片不清晰"}
    )
    officer.post(
        reverse("plans:decide", kwargs={"pk": plan.pk}), {"to": "returned", "reason": "请整改"}
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED
    page = cast.client(cast.enterprise_admin).get(reverse("plans:mine")).content.decode()
    assert "照片不清晰" in page
    assert "请整改" in page
    cast.client(cast.enterprise_admin).post(reverse("plans:submit", kwargs={"pk": plan.pk}))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RESUBMITTED
    officer.post(reverse("plans:decide", kwargs={"pk": plan.pk}), {"to": "approved"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    officer.post(
        reverse("plans:decide", kwargs={"pk": plan.pk}), {"to": "suspended", "reason": "抽查不合格"}
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUSPENDED


def test_it_refuses_approval_on_the_page_when_items_are_missing(cast: Cast) -> None:
    plan = ready(cast, skip={"M8"})
    response = cast.client(cast.association_officer).post(
        reverse("plans:decide", kwargs={"pk": plan.pk}), {"to": "approved"}, follow=True
    )
    assert "M8" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_it_approves_in_bulk_on_the_page(cast: Cast) -> None:
    plan = ready(cast)
    second = make_enterprise(
        "深圳市第三酒店有限公司", "91440300MA5G5678X1", Sector.objects.get(code="hotel")
    )
    Membership.objects.create(enterprise=second, association=cast.association, status="active")
    admin = make_user("13800000021", "三店")
    RoleGrant.objects.create(user=admin, organization=second, role=Role.ADMIN)
    other = plan_start(actor=admin, enterprise=second)
    Plan.objects.filter(pk=other.pk).update(status=PlanStatus.SUBMITTED)
    response = cast.client(cast.association_officer).post(
        reverse("plans:bulk_approve"), {"plan": [plan.pk, other.pk, "x", "999999"]}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 plan approved" in html
    assert "1 skipped" in html
    assert second.name in html
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.APPROVED
    assert Plan.objects.get(pk=other.pk).status == PlanStatus.SUBMITTED


def test_it_lists_the_queue_in_few_queries(cast: Cast, django_assert_max_num_queries: Any) -> None:
    ready(cast)
    client = cast.client(cast.association_officer)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("plans:queue"))
    assert cast.enterprise.name in response.content.decode()


def test_it_serves_evidence_to_the_reviewer_and_no_one_else(cast: Cast) -> None:
    plan = ready(cast)
    answer = plan.answers.exclude(evidence_file="").first()
    assert answer is not None
    url = reverse("plans:evidence", kwargs={"pk": answer.pk})
    assert cast.client(cast.association_officer).get(url).status_code == 200
    assert cast.client(cast.other_admin).get(url).status_code == 404


def test_it_makes_a_new_template_version_from_the_edit_page(cast: Cast) -> None:
    plan = started(cast)
    hotel = plan.sector_templates.get()
    item = TemplateItem.objects.get(section__template=hotel, code="HT-4")
    response = cast.client(cast.association_officer).post(
        reverse("plans:template_edit", kwargs={"pk": hotel.pk}),
        {
            "action": "item",
            "section": item.section_id,
            "item": item.pk,
            "code": "HT-4",
            "text": item.text,
            "evidence": "none",
            "parameter": "3",
            "parameter_unit": "次/天",
            "required": "on",
        },
    )
    newest = ChecklistTemplate.objects.filter(sector_id="hotel").order_by("-version").first()
    assert newest is not None
    assert newest.version == hotel.version + 1
    assert response.status_code == 302
    assert response["Location"].endswith(f"/{newest.pk}/edit/")
    assert TemplateItem.objects.get(section__template=newest, code="HT-4").parameter == 3
    assert TemplateItem.objects.get(pk=item.pk).parameter == 2
    # The beauty association's template is not the hotel association's to edit.
    beauty = ChecklistTemplate.objects.get(sector_id="beauty")
    assert (
        cast.client(cast.association_officer)
        .get(reverse("plans:template_edit", kwargs={"pk": beauty.pk}))
        .status_code
        == 404
    )


def test_it_downloads_the_filing_packet(cast: Cast) -> None:
    plan = ready(cast)
    client = cast.client(cast.enterprise_admin)
    pdf = client.get(reverse("plans:packet", kwargs={"pk": plan.pk}) + "?format=pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    docx = client.get(reverse("plans:packet", kwargs={"pk": plan.pk}) + "?format=docx")
    assert docx.status_code == 200
    assert docx.content.startswith(b"PK")
    assert b"13800138000" not in docx.content


def test_it_refuses_items_and_sections_outside_the_plan(cast: Cast) -> None:
    plan = started(cast)
    beauty_item = TemplateItem.objects.get(code="HB-1")  # another sector's template
    client = cast.client(cast.enterprise_admin)
    url = reverse("plans:answer", kwargs={"pk": plan.pk, "item": beauty_item.pk})
    assert client.post(url, {"state": "done", "version": 0}).status_code == 404
    assert (
        client.get(reverse("plans:section", kwargs={"pk": plan.pk, "name": "nope"})).status_code
        == 404
    )
    assert not plan.answers.exists()


def test_it_renders_the_home_card_for_each_kind(cast: Cast) -> None:
    from django.template import Context, Template

    plan = ready(cast)
    card = Template("{% load plans_cards %}{% plan_card %}")
    for user, expected in (
        (cast.enterprise_admin, "Required items missing"),
        (cast.association_officer, "To review"),
    ):
        grant = RoleGrant.objects.get(user=user)
        html = card.render(Context({"grant": grant}))
        assert expected in html
    grant = RoleGrant.objects.get(user=cast.association_officer)
    assert ">1<" in card.render(Context({"grant": grant}))  # A1's plan waits for review
    assert plan.status == PlanStatus.SUBMITTED


def test_it_sets_the_sites_rounds_from_the_plan(cast: Cast) -> None:
    from sitelogs.models import SiteSchedule

    plan = started(cast)
    url = reverse("plans:site_schedules", kwargs={"pk": plan.pk})
    assert cast.client(cast.enterprise_viewer).post(url).status_code == 403
    assert cast.client(cast.other_admin).post(url).status_code == 404
    response = cast.client(cast.enterprise_admin).post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("sitelogs:index")
    schedules = {s.kind: s for s in SiteSchedule.objects.filter(site=cast.site)}
    # The hotel plan: the base asks 2 disinfections, 3 ventilations, 2 temperature checks a
    # day; the hotels' additions ask 2 disinfections and 2 ventilations: the most wins.
    assert {kind: len(s.slots) for kind, s in schedules.items()} == {
        "disinfection": 2,
        "ventilation": 3,
        "temperature": 2,
    }
    assert schedules["ventilation"].duration_minutes == 30
    assert schedules["disinfection"].source == f"plan {plan.pk}"
    assert not SiteSchedule.objects.filter(site=cast.other_site).exists()
    # Again: the same rounds, no second open schedule of a kind.
    cast.client(cast.enterprise_admin).post(url)
    assert SiteSchedule.objects.filter(site=cast.site, valid_until__isnull=True).count() == 3
