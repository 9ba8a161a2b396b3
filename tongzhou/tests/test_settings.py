"""Production settings refuse to start half-configured and pass `check --deploy` when complete.

Each case starts a fresh interpreter, because settings are read once per process. None of
them opens a database connection: `manage.py check` runs the database-tagged checks only
when it is given `--database`, so the PostgreSQL URL below is parsed but never dialled.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

REPO_ROOT = Path(__file__).resolve().parents[2]

# Every variable tongzhou/settings.py reads: dropped from the inherited environment so that
# a developer's shell or the CI job cannot decide a case.
SETTINGS_VARIABLES = frozenset(
    {
        "ALLOWED_HOSTS",
        "AXES_FAILURE_LIMIT",
        "CSRF_TRUSTED_ORIGINS",
        "DATABASE_URL",
        "DEBUG",
        "DEFAULT_FROM_EMAIL",
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
        "SECRET_KEY_FALLBACKS",
        "TRUSTED_PROXY_COUNT",
        # Not a setting, but the browser tests set it in this process; a deployment never has it.
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "FIELD_ENCRYPTION_KEYS",
        "FIELD_HASH_KEY",
        "LOG_LEVEL",
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "SITE_URL",
        "TASKS_BACKEND",
        "REDIS_URL",
        "SMS_BACKEND",
        "ALIYUN_SMS_ACCESS_KEY_ID",
        "ALIYUN_SMS_ACCESS_KEY_SECRET",
        "ALIYUN_SMS_ENDPOINT",
        "ALIYUN_SMS_LINK_VARIABLE",
        "ALIYUN_SMS_REGION",
        "ALIYUN_SMS_SIGN_NAME",
        "ALIYUN_SMS_TEMPLATE_CODE",
        "NOTIFY_WEBHOOK_ALLOWED_HOSTS",
        "TONGZHOU_ENV",
        "TONGZHOU_VAR_DIR",
    }
)


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A complete production environment; an override of None removes that variable."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="tongzhou.settings",
        TONGZHOU_ENV="production",
        TONGZHOU_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
        DATABASE_URL="postgres://u@127.0.0.1:5432/test",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        FIELD_HASH_KEY=secrets.token_urlsafe(32),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the project's interpreter from the repository root."""
    return subprocess.run(  # noqa: S603 (fixed arguments, our own interpreter)
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "mentions"),
    [
        ("SECRET_KEY", None, "SECRET_KEY"),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS"),
        ("ALLOWED_HOSTS", " , ", "ALLOWED_HOSTS"),
        ("DATABASE_URL", None, "PostgreSQL"),
        ("DATABASE_URL", "sqlite:////tmp/tongzhou.sqlite3", "PostgreSQL"),
        ("FIELD_ENCRYPTION_KEYS", None, "FIELD_ENCRYPTION_KEYS"),
        ("FIELD_HASH_KEY", None, "FIELD_HASH_KEY"),
        ("DEBUG", "1", "DEBUG"),
    ],
)
def test_it_refuses_to_start_production_half_configured(
    tmp_path: Path, variable: str, value: str | None, mentions: str
) -> None:
    env = production_env(tmp_path, **{variable: value})

    result = run(["-c", "import django; django.setup()"], env)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert mentions in last_line


def test_it_passes_check_deploy_without_warnings_when_fully_configured(tmp_path: Path) -> None:
    env = production_env(tmp_path)

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr


def test_it_starts_in_development_with_nothing_set(tmp_path: Path) -> None:
    # The variable directory stays in tmp_path so the run leaves the checkout untouched.
    unset = dict.fromkeys(SETTINGS_VARIABLES - {"TONGZHOU_VAR_DIR"})
    env = production_env(tmp_path, **unset)

    result = run(["-c", "import django; django.setup()"], env)

    assert result.returncode == 0, result.stderr
