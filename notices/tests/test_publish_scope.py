"""Nobody reaches organisations outside their scope: each cast role tries, through a
hand-crafted form POST and through the service, and gets a clear error (never a 500)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from conftest import Cast
from notices.models import AudienceKind, Category, Notice
from notices.selectors import audience_scope
from notices.services import NoticeInput, notice_create
from notices.tests.publish_factories import directive_input, later, members
from orgs.models import Division, Organization, Sector


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _form(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": Category.DIRECTIVE,
        "title": "越权测试",
        "body_md": "正文",
        "deadline": later().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(fields)
    return data


def _post(cast: Cast, user: Any, **fields: Any) -> Any:
    return cast.client(user).post("/notices/new/", _form(**fields))


def _refused(response: Any, field_message: str) -> None:
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not Notice.objects.filter(title="越权测试").exists()


# --- Through the form -------------------------------------------------------------------


def test_it_offers_each_publisher_only_its_own_reach(cast: Cast) -> None:
    members(cast.other_association, 1, sector="beauty", district="440304", with_admins=False)
    federation = audience_scope(publisher=cast.federation)
    association = audience_scope(publisher=cast.association)
    enterprise = audience_scope(publisher=cast.enterprise)
    assert set(federation.associations) == {cast.association, cast.other_association}
    assert {"hotel", "beauty"} <= {s.pk for s in federation.sectors}
    assert list(association.associations) == []
    assert [s.pk for s in association.sectors] == ["hotel"]
    assert [d.pk for d in association.districts] == ["440303"]
    assert association.kinds == [AudienceKind.MEMBERS, AudienceKind.NONE]
    assert enterprise.kinds == [AudienceKind.EMPLOYEES]
    page = cast.client(cast.association_officer).get("/notices/new/").content.decode()
    assert 'value="beauty"' not in page
    assert 'name="audience_associations"' not in page
    assert 'value="all_associations"' not in page
    page = cast.client(cast.enterprise_admin).get("/notices/new/").content.decode()
    assert 'name="audience_sectors"' not in page
    assert 'name="is_public"' not in page
    assert 'value="employees"' in page
    assert 'value="members"' not in page


def test_it_refuses_an_association_reaching_beyond_its_members(cast: Cast) -> None:
    officer = cast.association_officer
    _refused(
        _post(cast, officer, audience_kind="members", audience_sectors=["beauty"]),
        "Choose sectors among those of the enterprises you reach.",
    )
    _refused(
        _post(cast, officer, audience_kind="members", audience_districts=["440304"]),
        "Choose districts among those of the enterprises you reach.",
    )
    _refused(
        _post(cast, officer, audience_kind="all_associations"),
        "Your organisation cannot address this audience.",
    )
    _refused(
        _post(
            cast,
            officer,
            audience_kind="associations",
            audience_associations=[cast.other_association.pk],
        ),
        "Your organisation cannot address this audience.",
    )


def test_it_refuses_an_enterprise_reaching_beyond_its_staff(cast: Cast) -> None:
    admin = cast.enterprise_admin
    for kind in ("members", "all_associations", "associations", "none"):
        _refused(
            _post(cast, admin, audience_kind=kind, audience_associations=[cast.association.pk]),
            "Your organisation cannot address this audience.",
        )
    # Fields it is not shown are ignored, not trusted.
    response = _post(
        cast,
        admin,
        audience_kind="employees",
        is_public="on",
        asks_relay="on",
        audience_sectors=["beauty"],
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="越权测试")
    assert (notice.is_public, notice.asks_relay) == (False, False)
    assert not notice.audience_sectors.exists()


def test_it_refuses_the_federation_naming_what_is_not_an_association(cast: Cast) -> None:
    officer = cast.federation_officer
    for value in (cast.enterprise.pk, 999_999, "abc", "1 OR 1=1", -1):
        _refused(
            _post(cast, officer, audience_kind="associations", audience_associations=[value]),
            "You can only address associations within your reach.",
        )
    _refused(
        _post(cast, officer, audience_kind="members", audience_sectors=["no-such-sector"]),
        "Choose sectors among those of the enterprises you reach.",
    )
    _refused(
        _post(cast, officer, audience_kind="employees"),
        "Your organisation cannot address this audience.",
    )


def test_it_saves_what_is_in_scope(cast: Cast) -> None:
    response = _post(
        cast,
        cast.federation_officer,
        audience_kind="associations",
        audience_associations=[cast.association.pk],
        asks_relay="on",
        requires_ack="on",
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="越权测试")
    assert list(notice.audience_associations.all()) == [cast.association]
    assert notice.asks_relay


# --- Through the service ----------------------------------------------------------------


def _service_errors(actor: Any, publisher: Organization, data: NoticeInput) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        notice_create(actor=actor, publisher=publisher, data=data)
    return set(caught.value.message_dict)


def test_it_refuses_out_of_scope_targets_in_the_service(cast: Cast) -> None:
    beauty = Sector.objects.get(code="beauty")
    futian = Division.objects.get(code="440304")
    a, fed, ent = cast.association_officer, cast.federation_officer, cast.enterprise_admin
    assert _service_errors(
        a,
        cast.association,
        directive_input(audience_kind=AudienceKind.MEMBERS, audience_sectors=(beauty,)),
    ) == {"audience_sectors"}
    assert _service_errors(
        a,
        cast.association,
        directive_input(audience_kind=AudienceKind.MEMBERS, audience_districts=(futian,)),
    ) == {"audience_districts"}
    assert "audience_kind" in _service_errors(
        a,
        cast.association,
        directive_input(
            audience_kind=AudienceKind.ASSOCIATIONS,
            audience_associations=(cast.other_association,),
        ),
    )
    assert _service_errors(
        fed,
        cast.federation,
        directive_input(
            audience_kind=AudienceKind.ASSOCIATIONS, audience_associations=(cast.enterprise,)
        ),
    ) == {"audience_associations"}
    assert _service_errors(
        fed,
        cast.federation,
        directive_input(audience_kind=AudienceKind.ASSOCIATIONS, audience_associations=()),
    ) == {"audience_associations"}
    assert _service_errors(
        fed,
        cast.federation,
        directive_input(audience_kind=AudienceKind.MEMBERS, asks_relay=True),
    ) == {"asks_relay"}
    assert "audience_kind" in _service_errors(
        ent, cast.enterprise, directive_input(audience_kind=AudienceKind.MEMBERS)
    )
    assert _service_errors(
        ent,
        cast.enterprise,
        NoticeInput(
            category="news",
            title="x",
            is_public=True,
            audience_kind=AudienceKind.EMPLOYEES,
            requires_attestation=True,
        ),
    ) == {"is_public", "requires_attestation"}


def test_it_filters_the_federations_member_audience_by_association(cast: Cast) -> None:
    notice = notice_create(
        actor=cast.federation_officer,
        publisher=cast.federation,
        data=directive_input(
            audience_kind=AudienceKind.MEMBERS,
            audience_associations=(cast.other_association,),
        ),
    )
    from notices.selectors import audience_organizations

    assert list(audience_organizations(notice=notice)) == [cast.other_enterprise]


def test_it_shows_an_empty_audience_as_a_clear_error_on_publishing(cast: Cast) -> None:
    members(cast.association, 1, sector="tourism", district="440304", with_admins=False)
    client = cast.client(cast.association_officer)
    response = client.post(
        "/notices/new/",
        _form(audience_kind="members", audience_sectors=["tourism"], audience_districts=["440303"]),
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="越权测试")
    page = client.post(f"/notices/{notice.pk}/publish/", {"version": notice.version})
    assert page.status_code == 422
    assert "The audience is empty" in page.content.decode()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT
