"""Each channel backend against a real local HTTP server (or Django's locmem mail)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from typing import Any
from urllib.parse import unquote_plus

import pytest
from django.core import mail

from conftest import Cast
from lib import crypto
from notify.backends import SendError, absolute_link, backend_for
from notify.backends.robots import WECOM_MAX_BYTES, dingtalk_sign, fit, markdown
from notify.backends.sms import AliyunBackend, ConsoleBackend, aliyun_signature
from notify.models import Channel, ChannelConfig, Delivery
from notify.tests.conftest import Answer, Seen, Webhook, make_robot

SECRET = "SEC0123456789abcdef0123456789abcdef"


def robot_delivery(robot: ChannelConfig, **fields: Any) -> Delivery:
    values: dict[str, Any] = {
        "key": "notice:1",
        "channel": robot.channel,
        "robot": robot,
        "address_hash": "x",
        "address_masked": robot.webhook_masked,
        "subject": "关于复工的通知",
        "body": "请各会员单位做好防控。",
        "url": "/notices/1/",
    }
    values.update(fields)
    return Delivery(**values)


def address_delivery(channel: str, address: str, **fields: Any) -> Delivery:
    values: dict[str, Any] = {
        "pk": 7,
        "key": "notice:1",
        "channel": channel,
        "address_hash": "x",
        "address_enc": crypto.encrypt(address),
        "address_masked": "masked",
        "subject": "关于复工的通知",
        "body": "请各会员单位做好防控。",
        "url": "/notices/1/",
    }
    values.update(fields)
    return Delivery(**values)


def send(delivery: Delivery) -> str:
    backend = backend_for(delivery.channel)
    try:
        return backend.send(delivery)
    finally:
        backend.close()


# WeCom ----------------------------------------------------------------------------------


def test_it_posts_markdown_to_a_wecom_robot(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    send(robot_delivery(robot))
    [seen] = webhook.seen
    assert seen.path == "/cgi-bin/webhook/send"
    assert seen.query == {"key": "wecomkey0001"}
    payload = seen.json()
    assert payload["msgtype"] == "markdown"
    content = payload["markdown"]["content"]
    assert "**关于复工的通知**" in content
    assert "请各会员单位做好防控。" in content
    assert "http://127.0.0.1:8000/notices/1/" in content


def test_it_retries_a_wecom_robot_that_answers_500(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.reply(500, b"Internal Server Error")
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert error.value.retryable
    assert "HTTP 500" in error.value.message


def test_it_fails_a_wecom_robot_with_a_bad_key_at_once(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.reply(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert not error.value.retryable
    assert "93000" in error.value.message


def test_it_retries_a_wecom_robot_over_its_rate_limit(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.reply(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert error.value.retryable


def test_it_gives_up_on_a_hanging_robot_after_the_timeout(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    webhook.hang = 2.0
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert error.value.retryable
    assert "No answer" in error.value.message
    assert "wecomkey0001" not in error.value.message  # the token never reaches the log


def test_it_refuses_to_post_to_a_robot_that_is_off(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    robot.enabled = False
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert not error.value.retryable
    assert webhook.seen == []


def test_it_refuses_a_stored_webhook_no_longer_allowed(
    cast: Cast, webhook: Webhook, settings: Any
) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    settings.NOTIFY_WEBHOOK_ALLOWED_HOSTS = []  # the gateway was dropped from the settings
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert not error.value.retryable
    assert webhook.seen == []


def test_it_keeps_wecom_content_within_4096_bytes(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(cast.enterprise, cast.enterprise_admin, webhook.wecom_url())
    text = markdown(robot_delivery(robot, body="疫" * 5000), WECOM_MAX_BYTES)
    assert len(text.encode()) <= WECOM_MAX_BYTES
    assert text.startswith("**关于复工的通知**")
    assert text.endswith("(http://127.0.0.1:8000/notices/1/)")
    assert fit("防控" * 10, 7) == "防…"


# DingTalk -------------------------------------------------------------------------------


def test_it_signs_dingtalk_requests_as_documented() -> None:
    # DingTalk's algorithm: base64(HMAC-SHA256(secret, f"{timestamp}\n{secret}")), URL-encoded.
    expected = base64.b64encode(
        hmac.new(b"SECabc", b"1577836800000\nSECabc", hashlib.sha256).digest()
    ).decode()
    assert unquote_plus(dingtalk_sign("SECabc", 1577836800000)) == expected


def test_it_posts_signed_markdown_to_a_dingtalk_robot(cast: Cast, webhook: Webhook) -> None:
    def verify(seen: Seen) -> Answer:
        stamp = seen.query.get("timestamp", "")
        to_sign = f"{stamp}\n{SECRET}".encode()
        digest = hmac.new(SECRET.encode(), to_sign, hashlib.sha256).digest()
        if seen.query.get("sign") != base64.b64encode(digest).decode():
            return Answer(200, {"errcode": 310000, "errmsg": "sign not match"})
        return Answer(200, {"errcode": 0, "errmsg": "ok"})

    webhook.respond = verify
    robot = make_robot(
        cast.enterprise,
        cast.enterprise_admin,
        webhook.dingtalk_url(),
        channel=Channel.DINGTALK,
        secret=SECRET,
    )
    send(robot_delivery(robot))
    [seen] = webhook.seen
    assert seen.query["access_token"] == "dingtoken0001"
    payload = seen.json()
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"] == "关于复工的通知"
    assert "请各会员单位做好防控。" in payload["markdown"]["text"]


def test_it_fails_a_dingtalk_robot_whose_signature_is_refused(cast: Cast, webhook: Webhook) -> None:
    webhook.reply(200, {"errcode": 310000, "errmsg": "sign not match"})
    robot = make_robot(
        cast.enterprise,
        cast.enterprise_admin,
        webhook.dingtalk_url(),
        channel=Channel.DINGTALK,
        secret=SECRET,
    )
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert not error.value.retryable
    assert "310000" in error.value.message


def test_it_posts_unsigned_to_a_dingtalk_robot_without_a_secret(
    cast: Cast, webhook: Webhook
) -> None:
    robot = make_robot(
        cast.enterprise, cast.enterprise_admin, webhook.dingtalk_url(), channel=Channel.DINGTALK
    )
    send(robot_delivery(robot))
    assert set(webhook.seen[0].query) == {"access_token"}


def test_it_retries_an_answer_that_is_not_json(cast: Cast, webhook: Webhook) -> None:
    robot = make_robot(
        cast.enterprise, cast.enterprise_admin, webhook.dingtalk_url(), channel=Channel.DINGTALK
    )
    webhook.reply(200, b"<html>gateway</html>")
    with pytest.raises(SendError) as error:
        send(robot_delivery(robot))
    assert error.value.retryable


# Email ----------------------------------------------------------------------------------


def test_it_sends_plain_text_email_with_an_absolute_link(settings: Any, db: None) -> None:
    settings.SITE_URL = "https://tongzhou.example.org"
    message_id = send(address_delivery(Channel.EMAIL, "officer@example.org"))
    [email] = mail.outbox
    assert email.to == ["officer@example.org"]
    assert email.subject == "关于复工的通知"
    assert "请各会员单位做好防控。" in email.body
    assert "https://tongzhou.example.org/notices/1/" in email.body
    assert email.extra_headers["Message-ID"] == message_id
    assert message_id.endswith("@tongzhou.example.org>")


def test_it_keeps_line_breaks_out_of_the_email_subject(db: None) -> None:
    send(address_delivery(Channel.EMAIL, "a@example.org", subject="一\n二\r\n三"))
    assert mail.outbox[0].subject == "一 二 三"


def test_it_retries_when_the_mail_server_is_down(settings: Any, db: None) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard: nothing listens
    settings.EMAIL_TIMEOUT = 0.5
    with pytest.raises(SendError) as error:
        send(address_delivery(Channel.EMAIL, "a@example.org"))
    assert error.value.retryable


def test_it_makes_relative_links_absolute(settings: Any) -> None:
    settings.SITE_URL = "https://tz.example.org/"
    assert absolute_link("/notices/1/") == "https://tz.example.org/notices/1/"
    assert absolute_link("") == ""
    assert absolute_link("https://other.example.org/x") == "https://other.example.org/x"


# SMS ------------------------------------------------------------------------------------


def test_it_logs_console_sms_with_the_number_masked(
    caplog: pytest.LogCaptureFixture, db: None
) -> None:
    with caplog.at_level(logging.INFO, logger="tongzhou.sms"):
        provider_id = ConsoleBackend().send(address_delivery(Channel.SMS, "13912345678"))
    assert provider_id.startswith("console-")
    assert "139****5678" in caplog.text
    assert "13912345678" not in caplog.text
    assert "关于复工的通知" in caplog.text


def test_it_signs_aliyun_requests_like_the_documented_example() -> None:
    # The example of https://help.aliyun.com/document_detail/101343.html (GET, testSecret).
    parameters = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature("GET", parameters, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


@pytest.fixture
def aliyun(settings: Any, webhook: Webhook) -> Webhook:
    settings.SMS_BACKEND = "notify.backends.sms.AliyunBackend"
    settings.ALIYUN_SMS_ACCESS_KEY_ID = "LTAItestid"
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "test-secret"
    settings.ALIYUN_SMS_SIGN_NAME = "同舟"
    settings.ALIYUN_SMS_TEMPLATE_CODE = "SMS_100001"
    settings.ALIYUN_SMS_LINK_VARIABLE = "link"
    settings.ALIYUN_SMS_ENDPOINT = f"{webhook.base}/"

    def verify(seen: Seen) -> Answer:
        form = seen.form()
        signature = form.pop("Signature", "")
        if signature != aliyun_signature("POST", form, "test-secret"):
            return Answer(400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"})
        return Answer(200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"})

    webhook.respond = verify
    return webhook


def test_it_sends_sms_through_aliyun_with_a_valid_signature(aliyun: Webhook, db: None) -> None:
    provider_id = send(address_delivery(Channel.SMS, "13912345678"))
    assert provider_id == "900619746936498440^0"
    form = aliyun.seen[0].form()
    assert form["Action"] == "SendSms"
    assert form["PhoneNumbers"] == "13912345678"
    assert form["SignName"] == "同舟"
    assert form["TemplateCode"] == "SMS_100001"
    assert form["TemplateParam"] == (
        '{"title":"关于复工的通知","link":"http://127.0.0.1:8000/notices/1/"}'
    )
    assert form["OutId"] == "7"


def test_it_fails_an_aliyun_refusal_of_the_number_at_once(aliyun: Webhook, db: None) -> None:
    aliyun.respond = None
    aliyun.reply(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"})
    with pytest.raises(SendError) as error:
        send(address_delivery(Channel.SMS, "13912345678"))
    assert not error.value.retryable
    assert "isv.MOBILE_NUMBER_ILLEGAL" in error.value.message


def test_it_fails_a_wrong_aliyun_signature_at_once(
    aliyun: Webhook, settings: Any, db: None
) -> None:
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "wrong-secret"
    with pytest.raises(SendError) as error:
        send(address_delivery(Channel.SMS, "13912345678"))
    assert not error.value.retryable
    assert "SignatureDoesNotMatch" in error.value.message


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}),
        (503, {"Code": "ServiceUnavailable", "Message": "busy"}),
        (502, b"Bad Gateway"),
    ],
)
def test_it_retries_aliyun_throttling_and_outages(
    aliyun: Webhook, db: None, status: int, body: Any
) -> None:
    aliyun.respond = None
    aliyun.reply(status, body)
    with pytest.raises(SendError) as error:
        send(address_delivery(Channel.SMS, "13912345678"))
    assert error.value.retryable


def test_it_refuses_to_start_aliyun_without_credentials(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.ALIYUN_SMS_ACCESS_KEY_ID = ""
    with pytest.raises(ImproperlyConfigured):
        AliyunBackend()
