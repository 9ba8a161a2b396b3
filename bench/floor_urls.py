"""URLs for the ingest bench's floor (bench/health_ingest.py --floor): the project's URLs
with the check-in path answered by a view that authenticates the API key, parses the body
and writes nothing. Served by gunicorn with the production settings and middleware, it is
the most any Django endpoint of this project can answer on this machine."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from accounts.services import api_key_authenticate
from tongzhou.urls import urlpatterns as project


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    secret = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if api_key_authenticate(secret) is None:
        return JsonResponse({"error": "unauthorised"}, status=401)
    payload = json.loads(request.body)
    return JsonResponse({"id": 0, "employee": payload["employee"]}, status=201)


urlpatterns = [path("api/v1/health/checkins", floor), *project]
