"""URL arguments for the public site's parameterised pages (tongzhou/tests/test_url_access).

Every page here is public: the cast must all get through, so the objects are public ones.
"""

from __future__ import annotations

from typing import Any

PERSONAL: set[str] = set()


def objects(name: str, cast: Any) -> dict[str, Any] | None:
    if name in {"public:category", "public:feed_rss", "public:feed_atom"}:
        return {"category": "news"}
    if name == "public:organization_detail":
        return {"pk": cast.association.pk}
    if name == "public:notice_detail":
        return {"pk": _public_notice(cast).pk}
    if name == "public:attachment":
        file = _public_attachment(cast)
        return {"notice_pk": file.notice_id, "pk": file.pk}
    return None


def _public_notice(cast: Any) -> Any:
    from notices.models import Notice
    from public.tests.factories import make_notice

    existing = Notice.objects.filter(publisher=cast.association, title="公开的行业资讯").first()
    return existing or make_notice(cast.association, "公开的行业资讯")


def _public_attachment(cast: Any) -> Any:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from notices.models import Attachment

    notice = _public_notice(cast)
    existing = Attachment.objects.filter(notice=notice).first()
    if existing is not None:
        return existing
    stored = "notices/attachment/public-access-probe.txt"
    if not default_storage.exists(stored):
        default_storage.save(stored, ContentFile(b"tongzhou\n"))
    return Attachment.objects.create(
        notice=notice,
        file=stored,
        name="说明.txt",
        content_type="text/plain",
        size=9,
        sha256="0" * 64,
    )
