"""Background work of the roster: thin tasks that take primary keys and call a service."""

from __future__ import annotations

from django_tasks import task

from workforce import imports


@task()
def roster_import_run(job_id: int) -> None:
    """Check and import one uploaded roster (see workforce.imports)."""
    imports.roster_import_run(job_id)
