"""Idempotency-Key on API POSTs: a retry replays the first answer and writes nothing twice."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import IdempotencyRecord
from accounts.services import api_key_create
from conftest import Cast
from orgs.models import Organization, Site

PATH = "/api/v1/sites"
BODY = json.dumps(
    {
        "name": "南山店",
        "address": "深圳市罗湖区桂园街道2号",
        "district": "440303",
        "street": "440303001",
        "floor_area_m2": "80.5",
        "kind": "store",
        "service_mode": "open",
    }
)


def key_secret(cast: Cast, organization: Organization | None = None) -> str:
    organization = organization or cast.enterprise
    actor = cast.enterprise_admin if organization == cast.enterprise else cast.other_admin
    _key, secret = api_key_create(actor=actor, organization=organization, name="ERP")
    return secret


def send(secret: str, key: str | None, body: str = BODY) -> Any:
    headers = {"authorization": f"Bearer {secret}"}
    if key is not None:
        headers["idempotency-key"] = key
    return Client(headers=headers).post(PATH, body, content_type="application/json")


def new_sites(cast: Cast) -> int:
    return Site.objects.exclude(pk__in=[cast.site.pk, cast.other_site.pk]).count()


def test_it_replays_the_first_response_to_a_retry(cast: Cast) -> None:
    secret = key_secret(cast)

    first = send(secret, "order-1")
    retry = send(secret, "order-1")

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first
    assert new_sites(cast) == 1


def test_it_replays_a_refusal_too(cast: Cast) -> None:
    secret = key_secret(cast)
    bad = json.dumps({**json.loads(BODY), "district": "999999"})

    first = send(secret, "order-2", bad)
    retry = send(secret, "order-2", bad)

    assert first.status_code == retry.status_code == 422
    assert retry.content == first.content
    assert retry["Idempotency-Replayed"] == "true"


def test_it_refuses_the_same_key_with_another_body(cast: Cast) -> None:
    secret = key_secret(cast)
    send(secret, "order-3")

    response = send(secret, "order-3", json.dumps({**json.loads(BODY), "name": "福田店"}))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert new_sites(cast) == 1


@pytest.mark.parametrize("same_enterprise", [True, False])
def test_it_keeps_the_keys_of_different_api_keys_apart(cast: Cast, same_enterprise: bool) -> None:
    first = key_secret(cast)
    second = key_secret(cast, cast.enterprise if same_enterprise else cast.other_enterprise)

    one = send(first, "shared")
    two = send(second, "shared")

    assert one.status_code == two.status_code == 201
    assert "Idempotency-Replayed" not in two
    assert one.json()["id"] != two.json()["id"]
    assert new_sites(cast) == 2


def test_it_does_nothing_without_the_header(cast: Cast) -> None:
    secret = key_secret(cast)

    send(secret, None)
    send(secret, None)

    assert new_sites(cast) == 2
    assert not IdempotencyRecord.objects.exists()


def test_it_ignores_reads(cast: Cast) -> None:
    secret = key_secret(cast)
    client = Client(headers={"authorization": f"Bearer {secret}", "idempotency-key": "read"})

    assert client.get(PATH).status_code == 200
    assert not IdempotencyRecord.objects.exists()


def test_it_refuses_an_overlong_key(cast: Cast) -> None:
    response = send(key_secret(cast), "k" * 101)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_idempotency_key"
    assert new_sites(cast) == 0


def test_it_answers_409_while_the_first_request_is_running(cast: Cast) -> None:
    secret = key_secret(cast)
    IdempotencyRecord.objects.create(
        principal="bearer:" + hashlib.sha256(secret.encode()).hexdigest()[:40],
        key="busy",
        fingerprint=hashlib.sha256(PATH.encode() + b"\n" + BODY.encode()).hexdigest(),
    )

    response = send(secret, "busy")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_progress"
    assert new_sites(cast) == 0


def test_it_forgets_keys_after_a_day(cast: Cast) -> None:
    secret = key_secret(cast)
    send(secret, "old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = send(secret, "old")

    assert response.status_code == 201
    assert "Idempotency-Replayed" not in response
    assert new_sites(cast) == 2


def test_it_scopes_a_session_key_to_the_user(cast: Cast) -> None:
    admin = cast.client(cast.enterprise_admin)
    other = cast.client(cast.other_admin)
    headers = {"idempotency-key": "browser"}

    first = admin.post(PATH, BODY, content_type="application/json", headers=headers)
    retry = admin.post(PATH, BODY, content_type="application/json", headers=headers)
    elsewhere = other.post(PATH, BODY, content_type="application/json", headers=headers)

    assert first.status_code == retry.status_code == elsewhere.status_code == 201
    assert retry["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in elsewhere
    assert new_sites(cast) == 2


def test_it_prunes_old_records_with_the_daily_command(cast: Cast) -> None:
    from io import StringIO

    from django.core.management import call_command

    secret = key_secret(cast)
    send(secret, "old")
    send(secret, "new")
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    out = StringIO()
    call_command("prune_idempotency_keys", stdout=out)
    assert "Deleted 1 " in out.getvalue()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
