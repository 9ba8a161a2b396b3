"""SMS: a console backend for development and Alibaba Cloud SMS (dysmsapi) for production.

`SMS_BACKEND` picks one. Alibaba Cloud's `SendSms` (API version 2017-05-25) is an RPC-style
call: the parameters are sorted, percent-encoded (RFC 3986), joined, and signed with
HMAC-SHA1 keyed by the AccessKey secret plus "&" over
`POST&%2F&<percent-encoded canonical query>` (https://help.aliyun.com/document_detail/101343.html,
https://help.aliyun.com/document_detail/315526.html). An SMS must use a template approved
in the console: ours has the variable `${title}` and, if `ALIYUN_SMS_LINK_VARIABLE` names
one, a link variable.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Mapping
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from lib.ids import mask_mobile
from notify.backends import Backend, SendError, absolute_link, address_of
from notify.backends import http as web
from notify.models import Delivery

logger = logging.getLogger("tongzhou.sms")


def sms_text(delivery: Delivery) -> str:
    """The text a console SMS shows: the subject and the link."""
    link = absolute_link(delivery.url)
    return f"{delivery.subject} {link}".strip()


class ConsoleBackend(Backend):
    """Writes each SMS to the `tongzhou.sms` log with the number masked (development)."""

    def send(self, delivery: Delivery) -> str:
        mobile = address_of(delivery)
        provider_id = f"console-{uuid.uuid4().hex[:16]}"
        logger.info("SMS to %s (%s): %s", mask_mobile(mobile), provider_id, sms_text(delivery))
        return provider_id


def percent_encode(value: str) -> str:
    """Alibaba Cloud's POP encoding: RFC 3986, unreserved characters kept, space as %20."""
    return quote(value, safe="-_.~")


def aliyun_signature(method: str, parameters: Mapping[str, str], secret: str) -> str:
    """The `Signature` of an RPC-style request (HMAC-SHA1, base64), before URL encoding."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(parameters.items())
    )
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Codes worth another try later: throttling, the provider's own trouble, a used nonce (we
# make a new one), an account that is topped up or reactivated meanwhile. Any other code
# (a bad number, template, sign name or key) will fail again: it fails at once.
ALIYUN_RETRYABLE = {
    "isp.SYSTEM_ERROR",
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.AMOUNT_NOT_ENOUGH",
    "isv.OUT_OF_SERVICE",
    "SignatureNonceUsed",
    "ServiceUnavailable",
    "InternalError",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
}


class AliyunBackend(Backend):
    """Alibaba Cloud SMS `SendSms`, one number a request."""

    required = (
        "ALIYUN_SMS_ACCESS_KEY_ID",
        "ALIYUN_SMS_ACCESS_KEY_SECRET",
        "ALIYUN_SMS_SIGN_NAME",
        "ALIYUN_SMS_TEMPLATE_CODE",
    )

    def __init__(self) -> None:
        missing = [name for name in self.required if not getattr(settings, name, "")]
        if missing:
            raise ImproperlyConfigured(f"AliyunBackend needs {', '.join(missing)}.")
        self.endpoint: str = settings.ALIYUN_SMS_ENDPOINT
        self.http = web.client()

    def parameters(self, delivery: Delivery, mobile: str, now: dt.datetime) -> dict[str, str]:
        """Every request parameter but `Signature`."""
        template: dict[str, str] = {"title": delivery.subject[:35]}
        link_variable = getattr(settings, "ALIYUN_SMS_LINK_VARIABLE", "")
        if link_variable and delivery.url:
            template[link_variable] = absolute_link(delivery.url)
        return {
            "AccessKeyId": settings.ALIYUN_SMS_ACCESS_KEY_ID,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": str(delivery.pk),
            "PhoneNumbers": mobile,
            "RegionId": settings.ALIYUN_SMS_REGION,
            "SignName": settings.ALIYUN_SMS_SIGN_NAME,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": settings.ALIYUN_SMS_TEMPLATE_CODE,
            "TemplateParam": json.dumps(template, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, delivery: Delivery) -> str:
        parameters = self.parameters(delivery, address_of(delivery), dt.datetime.now(dt.UTC))
        parameters["Signature"] = aliyun_signature(
            "POST", parameters, settings.ALIYUN_SMS_ACCESS_KEY_SECRET
        )
        answer = web.post(self.http, self.endpoint, data=parameters)
        data = answer.json()
        if data is None or "Code" not in data:
            web.refuse_status(answer)
            raise SendError(_("The SMS provider gave an answer that is not JSON."), retryable=True)
        code = str(data["Code"])
        if code == "OK":
            return str(data.get("BizId", ""))[:100]
        message = str(data.get("Message", ""))[:200]
        raise SendError(
            _("The SMS provider refused the message: %(code)s %(message)s")
            % {"code": code, "message": message},
            retryable=code in ALIYUN_RETRYABLE or answer.status >= 500,
        )

    def close(self) -> None:
        self.http.close()
