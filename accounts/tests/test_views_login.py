"""Signing in by mobile, lockout, switching organisation, invitations."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, Role, RoleGrant, User
from accounts.services import invitation_create, invitation_token
from audit.models import AuditEvent
from conftest import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def login(client: Client, mobile: str, password: str = PASSWORD) -> int:
    response = client.post(reverse("accounts:login"), {"username": mobile, "password": password})
    return response.status_code


def test_it_signs_in_with_a_mobile_number(cast: Cast) -> None:
    client = Client()
    assert login(client, "13800000003") == 302
    assert client.get(reverse("dashboards:home")).status_code == 200


def test_it_accepts_a_mobile_number_typed_with_full_width_digits_and_country_code(
    cast: Cast,
) -> None:
    client = Client()
    assert login(client, "+86 １３８００００００03") == 302


def test_it_refuses_a_wrong_password_with_a_clear_message(cast: Cast) -> None:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "13800000003", "password": "nope"}
    )
    assert response.status_code == 200
    assert (
        "手机号码或密码不正确" in response.content.decode()
        or "not right" in response.content.decode()
    )


def test_it_locks_out_after_repeated_failures(cast: Cast) -> None:
    client = Client()
    for _ in range(5):
        login(client, "13800000003", "wrong-password")
    response = client.post(
        reverse("accounts:login"), {"username": "13800000003", "password": PASSWORD}
    )
    assert response.status_code == 429
    # Another person's account from the same address is not locked.
    assert login(Client(), "13800000004") == 302


def test_it_switches_to_another_organisation_the_user_belongs_to(cast: Cast) -> None:
    RoleGrant.objects.create(
        user=cast.enterprise_admin, organization=cast.association, role=Role.STAFF
    )
    client = cast.client(cast.enterprise_admin)
    grant = RoleGrant.objects.get(user=cast.enterprise_admin, organization=cast.association)
    client.post(reverse("accounts:switch"), {"grant": grant.pk})
    response = client.get(reverse("dashboards:home"))
    assert cast.association.name in response.content.decode()


def test_it_ignores_a_switch_to_someone_elses_grant(cast: Cast) -> None:
    foreign = RoleGrant.objects.get(user=cast.other_admin)
    client = cast.client(cast.enterprise_admin)
    client.post(reverse("accounts:switch"), {"grant": foreign.pk})
    response = client.get(reverse("dashboards:home"))
    assert cast.other_enterprise.name not in response.content.decode()
    assert cast.enterprise.name in response.content.decode()


def test_it_invites_staff_by_a_signed_link_that_works_once(cast: Cast) -> None:
    admin = cast.client(cast.enterprise_admin)
    response = admin.post(
        reverse("accounts:people"), {"name": "王五", "mobile": "13611112222", "role": "staff"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(mobile="13611112222")
    link = reverse("accounts:invitation_accept", args=[invitation_token(invitation)])
    newcomer = Client()
    response = newcomer.post(
        link,
        {"name": "王五", "password1": "a-long-new-password", "password2": "a-long-new-password"},
    )
    assert response.status_code == 302
    user = User.objects.get(mobile="13611112222")
    assert RoleGrant.objects.get(user=user).organization == cast.enterprise
    assert Client().get(link).status_code == 400  # used
    assert AuditEvent.objects.filter(action="invitation.accept").exists()


def test_it_refuses_a_forged_invitation_link(cast: Cast) -> None:
    response = Client().get(reverse("accounts:invitation_accept", args=["forged:token"]))
    assert response.status_code == 400


def test_it_lets_an_association_invite_a_member_enterprise_admin_only(cast: Cast) -> None:
    grant = RoleGrant.objects.get(user=cast.association_officer)
    invitation = invitation_create(
        actor=cast.association_officer,
        grant=grant,
        organization=cast.enterprise,
        role=Role.ADMIN,
        mobile="13512345678",
        name="新管理员",
    )
    assert invitation.organization == cast.enterprise
    with pytest.raises(Exception, match="cannot invite"):
        invitation_create(
            actor=cast.association_officer,
            grant=grant,
            organization=cast.other_enterprise,
            role=Role.ADMIN,
            mobile="13512345679",
            name="外人",
        )


def test_it_keeps_one_admin(cast: Cast) -> None:
    admin = cast.client(cast.enterprise_admin)
    own = RoleGrant.objects.get(user=cast.enterprise_admin)
    admin.post(reverse("accounts:grant_change", args=[own.pk]), {"role": "viewer"})
    own.refresh_from_db()
    assert own.role == Role.ADMIN


def test_it_shows_an_api_key_secret_once_and_stores_only_its_hash(cast: Cast) -> None:
    admin = cast.client(cast.enterprise_admin)
    admin.post(reverse("accounts:api_keys"), {"name": "HR", "can_write": "on"})
    page = admin.get(reverse("accounts:api_keys")).content.decode()
    from accounts.models import ApiKey

    key = ApiKey.objects.get(organization=cast.enterprise)
    assert key.key_hash not in page
    assert "tz_" in page
    again = admin.get(reverse("accounts:api_keys")).content.decode()
    assert 'readonly value="tz_' not in again


def test_it_sends_a_password_reset_email(cast: Cast, mailoutbox: list) -> None:  # type: ignore[type-arg]
    cast.enterprise_admin.email = "officer@example.org"
    cast.enterprise_admin.save()
    Client().post(reverse("accounts:password_reset"), {"email": "officer@example.org"})
    assert len(mailoutbox) == 1
    assert "/accounts/password-reset/" in mailoutbox[0].body


def test_it_lets_an_association_admin_invite_a_members_first_admin_from_the_page(
    cast: Cast,
) -> None:
    client = cast.client(cast.association_officer)
    url = reverse("accounts:member_invite", args=[cast.enterprise.pk])
    response = client.post(url, {"name": "新店长", "mobile": "13698765432", "role": "admin"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(mobile="13698765432")
    assert invitation.organization == cast.enterprise
    assert invitation.role == Role.ADMIN
    # Not for an enterprise outside the association.
    other = reverse("accounts:member_invite", args=[cast.other_enterprise.pk])
    assert (
        client.post(other, {"name": "外人", "mobile": "13698765433", "role": "admin"}).status_code
        == 404
    )
