"""The database refuses UPDATEs of log entries (SQLite and PostgreSQL triggers)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE_UP = ["""
CREATE TRIGGER sitelogs_logentry_append_only BEFORE UPDATE ON sitelogs_logentry
BEGIN SELECT RAISE(ABORT, 'sitelogs_logentry is append-only: record a correction'); END;
"""]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS sitelogs_logentry_append_only"]
POSTGRES_UP = ["""
CREATE OR REPLACE FUNCTION sitelogs_logentry_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'sitelogs_logentry is append-only: record a correction';
END;
$$ LANGUAGE plpgsql
""", """CREATE TRIGGER sitelogs_logentry_append_only BEFORE UPDATE ON sitelogs_logentry
FOR EACH ROW EXECUTE FUNCTION sitelogs_logentry_append_only()
"""]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS sitelogs_logentry_append_only ON sitelogs_logentry",
    "DROP FUNCTION IF EXISTS sitelogs_logentry_append_only()",
]


def _run(sql: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in sql.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("sitelogs", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
