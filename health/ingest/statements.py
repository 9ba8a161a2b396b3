"""The ingest service's SQL (PostgreSQL): each check-in is written by one statement.

`WRITE_NEW` (a first check-in of the day) and `WRITE_UPDATE` (a resubmission) are one
statement each, so one transaction without BEGIN/COMMIT round trips:

1. `emp` finds the live API key (not revoked, may write, of the enterprise the answers
   were checked for) with its creator, and the employee on that enterprise's roster, not
   left, whose travel consent is what the answers were checked against; it locks the
   employee's row, as `health.services._lock_with_consents` does, so it waits for a
   consent being given or withdrawn. Any of these not so: it yields nothing;
2. `up` inserts the check-in (nothing if the day's row exists after all), or updates it
   only if its revision is still the one read; a concurrent change makes it yield nothing
   and the service reads (`READ`) and tries again, the second time holding the employee's
   row (`LOCK`);
3. `rev`, `audit` and the rollup CTEs run off `up`'s row, so nothing is written unless
   the check-in was. The enterprise's rollup row for the day is shared by all its
   employees' check-ins; waiting for it would queue a whole morning's burst behind one
   row lock held until each commit. So the row is updated only when it is free (`FOR
   UPDATE SKIP LOCKED`); when another check-in holds it, the change goes into a
   `RollupDelta` row (an insert, no waiting) that the service folds in moments later
   (`health.rollups.rollup_fold`). A missing row is inserted with the roster counted; an
   insert that meets a row committed meanwhile adds to it (`ON CONFLICT DO UPDATE`).
   Counters never go below zero, as in `health.rollups`.
4. `touch` records the key's use at most once a minute, without waiting for a request
   that is recording it.

`READ` is the slow path's one round trip: the key, the employee and their travel consent,
and the day's check-in — what the Django endpoint's answers depend on (401/403/404, a
left employee, the questions asked, an identical resubmission).
"""

from __future__ import annotations

from accounts.models import ApiKey, IdempotencyRecord, User
from audit.models import AuditEvent
from health.models import (
    CheckIn,
    CheckInRevision,
    Consent,
    ConsentKind,
    DailyRollup,
    Observation,
    RollupDelta,
)
from orgs.models import Organization, OrganizationKind
from workforce.models import Employee, EmploymentStatus

_KEY = ApiKey._meta.db_table
_ORG = Organization._meta.db_table
_USER = User._meta.db_table
_EMPLOYEE = Employee._meta.db_table
_CONSENT = Consent._meta.db_table
_CHECKIN = CheckIn._meta.db_table
_REVISION = CheckInRevision._meta.db_table
_AUDIT = AuditEvent._meta.db_table
_ROLLUP = DailyRollup._meta.db_table
_DELTA = RollupDelta._meta.db_table
_OBSERVATION = Observation._meta.db_table
_LEFT = EmploymentStatus.LEFT.value
_ACTIVE = EmploymentStatus.ACTIVE.value
_ENTERPRISE = OrganizationKind.ENTERPRISE.value


def _consent(kind: str, employee: str = "e") -> str:
    return (
        f"EXISTS (SELECT 1 FROM {_CONSENT} c WHERE c.employee_id = {employee}.id "  # noqa: S608
        f"AND c.kind = '{kind}' AND c.withdrawn_at IS NULL)"
    )


TRAVEL = ConsentKind.TRAVEL.value

# The key alone: for a body that does not parse (401/403/404 come before 422, as in ninja).
KEY = (
    "SELECT k.id, o.kind, k.can_write, "  # noqa: S608
    "k.last_used_at IS NULL OR k.last_used_at < %(now)s - interval '60 seconds' "
    f"FROM {_KEY} k "
    f"JOIN {_ORG} o ON o.id = k.organization_id "
    "WHERE k.key_hash = %(hash)s AND k.revoked_at IS NULL"
)

READ = (
    "SELECT k.id, o.kind, k.can_write, k.organization_id, "  # noqa: S608
    "k.last_used_at IS NULL OR k.last_used_at < %(now)s - interval '60 seconds', "
    f"e.id, e.status, e.name, e.id IS NOT NULL AND {_consent(TRAVEL)}, "
    "ci.id, ci.revision, ci.status, ci.reasons, ci.answers, ci.answers_digest, "
    "ci.form_version, ci.via, ci.quick, "
    f"(SELECT count(*) FROM {_REVISION} v WHERE v.checkin_id = ci.id "
    "AND v.submitted_at > %(now)s - interval '1 second' * %(window)s) "
    f"FROM {_KEY} k JOIN {_ORG} o ON o.id = k.organization_id "
    f"LEFT JOIN {_EMPLOYEE} e ON e.id = %(emp)s AND e.enterprise_id = k.organization_id "
    f"LEFT JOIN {_CHECKIN} ci ON ci.employee_id = e.id AND ci.day = %(day)s "
    "WHERE k.key_hash = %(hash)s AND k.revoked_at IS NULL"
)

# psycopg converts a query's %(name)s placeholders and caches the result only for queries
# up to 4,096 characters (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH); a longer one is
# parsed again on every execution, which cost 0.4 ms of CPU a check-in here. WRITE_NEW and
# WRITE_UPDATE are kept under it (short parameter names; test_ingest checks).
COUNTERS = ("submitted", "normal", "attention", "abnormal")


# Parameter names of the changes to the counters (short, for the limit above).
CHANGE = {"submitted": "ds", "normal": "dn", "attention": "da", "abnormal": "db"}
INSERTED = {"submitted": "ns", "normal": "nn", "attention": "na", "abnormal": "nb"}


def _increments(table: str) -> str:
    return ",".join(
        f"{column}=GREATEST({table}.{column}+%({CHANGE[column]})s::int,0)" for column in COUNTERS
    )


_EMP = (
    "emp AS ("  # noqa: S608
    "SELECT e.id, e.site_id, k.id AS kid, k.created_by_id AS actor, "
    "left(u.name||' ('||left(u.mobile,3)||'****'||right(u.mobile,4)||')',200) AS label, "
    "k.last_used_at IS NULL OR k.last_used_at < %(now)s - interval '60 seconds' AS stale "
    f"FROM {_KEY} k JOIN {_ORG} o ON o.id = k.organization_id "
    f"JOIN {_USER} u ON u.id = k.created_by_id "
    f"JOIN {_EMPLOYEE} e ON e.id = %(emp)s AND e.enterprise_id = k.organization_id "
    "WHERE k.key_hash = %(hash)s AND k.revoked_at IS NULL AND k.can_write "
    f"AND o.kind = '{_ENTERPRISE}' AND k.organization_id = %(ent)s "
    f"AND e.status <> '{_LEFT}' AND {_consent(TRAVEL)} = %(travel)s "
    "FOR UPDATE OF e"
    ")"
)
_COLUMNS = (
    "employee_id, enterprise_id, site_id, day, emergency_id, rule_version_id, form_version, "
    "answers, answers_digest, temperature, status, reasons, via, quick, recorded_by_id, "
    "submitted_at, updated_at, revision"
)
# A new check-in: inserted, or nothing when the day's row exists after all.
_INSERT = (
    f"up AS (INSERT INTO {_CHECKIN} ({_COLUMNS}) "  # noqa: S608
    "SELECT emp.id, %(ent)s, emp.site_id, %(day)s, %(emg)s::bigint, %(rv)s::bigint, "
    "%(fv)s, %(answers)s, %(dig)s, %(temp)s::numeric, %(status)s, %(reasons)s, %(via)s, "
    "false, emp.actor, %(now)s, %(now)s, 1 FROM emp "
    "ON CONFLICT (employee_id, day) DO NOTHING RETURNING id, revision)"
)
# A resubmission: the day's row, only if its revision is still the one read.
_UPDATE = (
    f"up AS (UPDATE {_CHECKIN} c SET enterprise_id = %(ent)s, site_id = emp.site_id, "  # noqa: S608
    "emergency_id = %(emg)s::bigint, rule_version_id = %(rv)s::bigint, form_version = %(fv)s, "
    "answers = %(answers)s, answers_digest = %(dig)s, temperature = %(temp)s::numeric, "
    "status = %(status)s, reasons = %(reasons)s, via = %(via)s, quick = false, "
    "recorded_by_id = emp.actor, submitted_at = %(now)s, updated_at = %(now)s, "
    "revision = c.revision + 1 FROM emp WHERE c.employee_id = emp.id AND c.day = %(day)s "
    "AND c.revision = %(exp)s RETURNING c.id, c.revision)"
)
_REST = (
    ", rev AS ("  # noqa: S608
    f"INSERT INTO {_REVISION} (checkin_id, number, answers, temperature, status, via, "
    "recorded_by_id, submitted_at) "
    "SELECT up.id, up.revision, %(answers)s, %(temp)s::numeric, %(status)s, %(via)s, "
    "emp.actor, %(now)s FROM up, emp"
    "), audit AS ("
    f"INSERT INTO {_AUDIT} (at, actor_id, actor_label, scope_id, action, object_type, "
    "object_id, object_repr, changes, personal_data) "
    "SELECT %(now)s, emp.actor, emp.label, %(ent)s, 'health.checkin_submit', %(otype)s, "
    "up.id::text, %(orepr)s, jsonb_build_object('day', %(dayt)s::text, 'via', "
    "%(via)s::text, 'revision', up.revision, 'quick', false), false FROM up, emp"
    "), roll_seen AS ("
    f"SELECT 1 FROM {_ROLLUP} y WHERE y.enterprise_id = %(ent)s AND y.day = %(day)s"
    "), roll_free AS ("
    f"SELECT z.id FROM {_ROLLUP} z WHERE %(count)s AND z.enterprise_id = %(ent)s "
    "AND z.day = %(day)s FOR UPDATE SKIP LOCKED"
    "), roll_update AS ("
    f"UPDATE {_ROLLUP} r SET {_increments('r')}, updated_at = %(now)s FROM up, roll_free "
    "WHERE r.id = roll_free.id"
    "), roll_delta AS ("
    f"INSERT INTO {_DELTA} (enterprise_id, day, submitted, normal, attention, abnormal) "
    "SELECT %(ent)s, %(day)s, %(ds)s, %(dn)s, %(da)s, %(db)s FROM up WHERE %(count)s "
    "AND EXISTS (SELECT 1 FROM roll_seen) AND NOT EXISTS (SELECT 1 FROM roll_free) "
    "RETURNING 1"
    "), roll_insert AS ("
    f"INSERT INTO {_ROLLUP} AS r (enterprise_id, day, sector_id, district_id, roster, "
    "submitted, normal, attention, abnormal, in_observation, updated_at) "
    "SELECT o.id, %(day)s, o.sector_id, o.district_id, "
    f"(SELECT COUNT(*) FROM {_EMPLOYEE} x WHERE x.enterprise_id = o.id "
    f"AND x.status = '{_ACTIVE}'), %(ns)s, %(nn)s, %(na)s, %(nb)s, "
    f"(SELECT COUNT(DISTINCT b.employee_id) FROM {_OBSERVATION} b "
    "WHERE b.enterprise_id = o.id AND b.starts_on <= %(day)s "
    "AND (b.released_on IS NULL OR b.released_on > %(day)s)), %(now)s "
    f"FROM {_ORG} o, up WHERE %(count)s AND o.id = %(ent)s "
    "AND NOT EXISTS (SELECT 1 FROM roll_seen) "
    f"ON CONFLICT (enterprise_id, day) DO UPDATE SET {_increments('r')}, "
    "updated_at = %(now)s"
    "), touch AS ("
    f"UPDATE {_KEY} SET last_used_at = %(now)s WHERE id IN (SELECT t.id FROM {_KEY} t "
    "JOIN emp ON t.id = emp.kid WHERE emp.stale FOR UPDATE OF t SKIP LOCKED)"
    ") SELECT id, revision, EXISTS (SELECT 1 FROM roll_delta) FROM up"
)

WRITE_NEW = f"WITH {_EMP}, {_INSERT}{_REST}"
WRITE_UPDATE = f"WITH {_EMP}, {_UPDATE}{_REST}"

# The worker's fold of one rollup row's deltas (health.rollups.rollup_fold does the same
# for the periodic job): waits for the row, deletes the deltas it can see and adds their
# sums. A delta committed while it waited stays for the next fold.
FOLD = (
    f"WITH lk AS (SELECT id FROM {_ROLLUP} WHERE enterprise_id = %(ent)s "  # noqa: S608
    "AND day = %(day)s FOR UPDATE), "
    f"d AS (DELETE FROM {_DELTA} x WHERE x.enterprise_id = %(ent)s AND x.day = %(day)s "
    "AND EXISTS (SELECT 1 FROM lk) RETURNING x.submitted, x.normal, x.attention, x.abnormal), "
    "s AS (SELECT count(*) AS n, coalesce(sum(submitted), 0) AS ds, "
    "coalesce(sum(normal), 0) AS dn, coalesce(sum(attention), 0) AS da, "
    "coalesce(sum(abnormal), 0) AS db FROM d) "
    f"UPDATE {_ROLLUP} r SET "
    + ",".join(f"{c}=GREATEST(r.{c}+s.{CHANGE[c]},0)" for c in COUNTERS)
    + ", updated_at = %(now)s FROM s, lk WHERE r.id = lk.id AND s.n > 0 RETURNING s.n"
)

# Taken before a second attempt, inside a transaction (health/ingest/app.py).
LOCK = f"SELECT 1 FROM {_EMPLOYEE} WHERE id = %(emp)s FOR UPDATE"  # noqa: S608

# The key's use when no write records it (a refusal, a bad body, an identical resubmission).
TOUCH = f"UPDATE {_KEY} SET last_used_at = %(now)s WHERE id = %(key)s"  # noqa: S608

# Idempotency-Key (lib/idempotency.py keeps the same table and rules).
_IDEMPOTENCY = IdempotencyRecord._meta.db_table
IDEMPOTENCY_FIND = (
    "SELECT id, fingerprint, status_code, response_body, created_at "  # noqa: S608
    f"FROM {_IDEMPOTENCY} WHERE principal = %(principal)s AND key = %(key)s"
)
IDEMPOTENCY_CLAIM = (
    f"INSERT INTO {_IDEMPOTENCY} (principal, key, fingerprint, created_at) "  # noqa: S608
    "VALUES (%(principal)s, %(key)s, %(fingerprint)s, %(now)s) "
    "ON CONFLICT (principal, key) DO NOTHING RETURNING id"
)
IDEMPOTENCY_STORE = (
    f"UPDATE {_IDEMPOTENCY} SET status_code = %(status)s, "  # noqa: S608
    "response_body = %(body)s WHERE id = %(id)s"
)
IDEMPOTENCY_DROP = f"DELETE FROM {_IDEMPOTENCY} WHERE id = %(id)s"  # noqa: S608
