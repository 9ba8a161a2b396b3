"""Notice benchmarks (issue 3): a directive to 50,000 enterprises, and a 10,000-notice desk.

Measures, on a scratch test database:
1. publishing a federation directive to N member enterprises: creating the receipts and
   queueing the notifications (inbox items written at once; email deliveries queued as
   background tasks in the database queue), then draining the queue with the real worker
   (`db_worker --batch`, email through Django's console backend with its output
   discarded);
2. the sender's progress page and the non-responder list (first and last page) once a
   realistic share has read, acknowledged and attested;
3. a recipient with 10,000 notices: its desk (first page, last page, unread tab) and the
   user's in-app inbox.

Usage (from the repository root):
    .venv/bin/python bench/directive_fanout.py                         # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/directive_fanout.py
Options: --enterprises N (default 50000), --inbox N (default 10000), --repeat N (20).
It creates and destroys its own test database; nothing else is touched.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongzhou.settings")
os.environ.setdefault("TONGZHOU_ENV", "test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def page_figures(client: Client, url: str, repeat: int) -> tuple[float, float, int, int]:
    """Median and p95 milliseconds, queries per request, status."""
    client.get(url)  # warm caches
    times = []
    queries = 0
    status = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            elapsed, response = timed(client.get, url)
        times.append(elapsed * 1000)
        queries, status = len(captured), response.status_code
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95, queries, status


def report(label: str, client: Client, url: str, repeat: int) -> None:
    median, p95, queries, status = page_figures(client, url, repeat)
    print(f"  {label}: median {median:.1f} ms, p95 {p95:.1f} ms, {queries} queries, HTTP {status}")


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=50_000)
    parser.add_argument("--inbox", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args: argparse.Namespace) -> None:
    from django.contrib.auth.hashers import make_password

    from accounts.models import Role, RoleGrant, User
    from notices.models import AudienceKind, Category, Notice, Receipt
    from notices.services import NoticeInput, notice_create, notice_publish
    from notify.models import Delivery, InboxItem
    from orgs.models import Division, Membership, Organization, Sector

    rng = random.Random(20200209)
    n = args.enterprises
    print(f"database: {connection.vendor}; enterprises: {n:,}; desk notices: {args.inbox:,}")
    sectors = list(Sector.objects.order_by("code"))
    districts = list(Division.objects.filter(parent__code="440300", level="county"))
    federation = Organization.objects.create(kind="federation", name="联合委员会")
    associations = Organization.objects.bulk_create(
        [
            Organization(
                kind="association", name=f"深圳市{s.name}协会", parent=federation, sector=s
            )
            for s in sectors
        ]
    )

    started = time.perf_counter()
    enterprises = Organization.objects.bulk_create(
        [
            Organization(
                kind="enterprise",
                name=f"深圳市基准{i:05d}有限公司",
                sector=sectors[i % len(sectors)],
                district=districts[i % len(districts)],
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [
            Membership(
                enterprise=e, association=associations[i % len(associations)], status="active"
            )
            for i, e in enumerate(enterprises)
        ],
        batch_size=2000,
    )
    password = make_password("bench-password-123")
    users = User.objects.bulk_create(
        [
            User(
                mobile=f"139{i:08d}",
                name=f"管理员{i}",
                email=f"admin{i}@bench.invalid",
                password=password,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    RoleGrant.objects.bulk_create(
        [
            RoleGrant(user=u, organization=e, role=Role.ADMIN)
            for u, e in zip(users, enterprises, strict=True)
        ],
        batch_size=2000,
    )
    officer = User.objects.create_user("13800138001", "bench-password-123", name="联合委员会")
    RoleGrant.objects.create(user=officer, organization=federation, role=Role.ADMIN)
    print(
        f"setup: {n:,} enterprises, memberships, users and grants "
        f"in {time.perf_counter() - started:.1f} s"
    )
    _analyze()

    # 1. The directive to every member enterprise.
    directive = notice_create(
        actor=officer,
        publisher=federation,
        data=NoticeInput(
            category=Category.DIRECTIVE,
            title="关于做好复工复产疫情防控工作的通知",
            body_md="各会员企业：请于截止时间前确认收到并提交落实情况。",
            audience_kind=AudienceKind.MEMBERS,
            requires_ack=True,
            requires_attestation=True,
            deadline=timezone.now() + dt.timedelta(days=7),
        ),
    )
    t_publish, _ = timed(notice_publish, actor=officer, notice=directive)
    receipts = Receipt.objects.filter(notice=directive).count()
    print(
        f"publish to {receipts:,} enterprises: {t_publish:.2f} s "
        f"({receipts / t_publish:,.0f} receipts/s; notifications handed to the worker)"
    )
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        t_drain, _ = timed(
            call_command,
            "db_worker",
            batch=True,
            no_startup_delay=True,
            verbosity=0,
            reload=False,
        )
    inbox = InboxItem.objects.filter(key=f"notice:{directive.pk}").count()
    sent = Delivery.objects.filter(status="sent").exclude(channel="inbox").count()
    failed = Delivery.objects.filter(status__in=["failed", "retrying"]).count()
    print(
        f"worker drains the queue (email, console backend): {t_drain:.2f} s "
        f"({sent / t_drain:,.0f} emails/s); {inbox:,} inbox items written, "
        f"{sent:,} emails sent, {failed} failed or retrying"
    )
    sink.truncate(0)

    # Responses: 70 % read, 55 % acknowledged, 30 % attested.
    now = timezone.now()
    pks = list(Receipt.objects.filter(notice=directive).values_list("pk", flat=True))
    rng.shuffle(pks)
    read, acked, attested = pks[: int(n * 0.7)], pks[: int(n * 0.55)], pks[: int(n * 0.3)]
    Receipt.objects.filter(pk__in=read).update(read_at=now)
    Receipt.objects.filter(pk__in=acked).update(acknowledged_at=now)
    Receipt.objects.filter(pk__in=attested).update(attested_at=now, attestation_note="已落实")
    _analyze()

    client = Client()
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
    print("sender's pages (federation, directive to all members):")
    report(
        "progress page + non-responders page 1", client, f"/desk/sent/{directive.pk}/", args.repeat
    )
    last = (n - len(acked)) // 50
    report(
        f"non-responders, last page ({last})",
        client,
        f"/desk/sent/{directive.pk}/?page={last}",
        args.repeat,
    )

    # 3. One enterprise with 10,000 received notices, one user with 10,000 inbox items.
    target, target_user = enterprises[0], users[0]
    started = time.perf_counter()
    notices = Notice.objects.bulk_create(
        [
            Notice(
                publisher=federation,
                category=Category.NEWS,
                title=f"行业资讯第{i}期",
                body_md="资讯",
                body_html="<p>资讯</p>",
                status="published",
                published_at=now - dt.timedelta(minutes=i),
                audience_kind=AudienceKind.MEMBERS,
            )
            for i in range(args.inbox)
        ],
        batch_size=2000,
    )
    Notice.objects.filter(pk__in=[x.pk for x in notices]).update(root_id=F("id"))
    Receipt.objects.bulk_create(
        [
            Receipt(
                notice=x,
                root_id=x.pk,
                organization=target,
                sector=target.sector,
                district=target.district,
                delivered_at=x.published_at or now,
                read_at=x.published_at if i % 3 else None,
            )
            for i, x in enumerate(notices)
        ],
        batch_size=2000,
    )
    InboxItem.objects.bulk_create(
        [
            InboxItem(
                user=target_user,
                organization=target,
                key=f"bench:{i}",
                subject=f"行业资讯第{i}期",
                url="/desk/",
                read_at=now if i % 3 else None,
            )
            for i in range(args.inbox)
        ],
        batch_size=2000,
    )
    print(
        f"setup: {args.inbox:,} notices, receipts and inbox items "
        f"in {time.perf_counter() - started:.1f} s"
    )
    _analyze()
    client = Client()
    client.force_login(target_user, backend="django.contrib.auth.backends.ModelBackend")
    print(f"recipient's pages ({args.inbox + 1:,} notices on the desk):")
    report("desk, page 1", client, "/desk/", args.repeat)
    report("desk, last page", client, f"/desk/?page={(args.inbox + 1) // 50}", args.repeat)
    report("desk, unread tab", client, "/desk/?tab=unread", args.repeat)
    report("in-app inbox, page 1", client, "/notify/", args.repeat)
    report("home page (unread badge)", client, "/home/", args.repeat)


if __name__ == "__main__":
    main()
