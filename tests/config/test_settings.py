import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k3P!x9#qLm2$vR7@wZ4&nT8*bY6^cF1%hJ5(dS0)gA-eU_iO+pK=lM[jN]rQ{tV}"


def _run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ENV"}}
    return subprocess.run(
        command, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return _run([sys.executable, "manage.py", *args], **env)


def _refusal(result: subprocess.CompletedProcess) -> str:
    """A refusal of the settings: one line on stderr, no traceback, a non-zero exit."""
    assert result.returncode != 0, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Refusing to start: "), lines[0]
    return lines[0].removeprefix("Refusing to start: ")


def test_production_refuses_debug_on():
    result = _manage(
        "check", DJANGO_ENV="production", DEBUG="1", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="x"
    )
    assert _refusal(result) == "DEBUG must be off when DJANGO_ENV=production."


@pytest.mark.parametrize(
    "secret", [None, "dev-insecure-7c1f0b2e-catalog-editor-do-not-use-in-production-4a9d"]
)
def test_production_refuses_missing_or_default_secret_key(secret):
    env = {"DJANGO_ENV": "production", "ALLOWED_HOSTS": "x"}
    if secret:
        env["SECRET_KEY"] = secret
    result = _manage("check", **env)
    assert _refusal(result).startswith("SECRET_KEY must be set")


def test_production_refuses_empty_allowed_hosts():
    result = _manage("check", DJANGO_ENV="production", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="")
    assert _refusal(result) == "ALLOWED_HOSTS must be set when DJANGO_ENV=production."


def test_deploy_check_is_clean_in_production_mode():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="catalog.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_unknown_environment_name_is_refused():
    result = _manage("check", DJANGO_ENV="prod")
    assert "expected development, test or production" in _refusal(result)


def test_malformed_boolean_is_refused():
    result = _manage("check", DEBUG="maybe")
    assert "DEBUG='maybe' is not a boolean" in _refusal(result)


def test_a_category_depth_below_one_is_refused():
    result = _manage("check", CATALOG_CATEGORY_MAX_DEPTH="0")
    assert _refusal(result) == "CATALOG_CATEGORY_MAX_DEPTH=0: at least 1."


def test_an_integer_below_its_minimum_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("CATALOG_TEST_COUNT", "-2")
    with pytest.raises(ImproperlyConfigured, match=r"^CATALOG_TEST_COUNT=-2: at least 0\.$"):
        env_int("CATALOG_TEST_COUNT", 5, minimum=0)
    monkeypatch.delenv("CATALOG_TEST_COUNT")
    assert env_int("CATALOG_TEST_COUNT", 5, minimum=0) == 5


WEAK_KEYS = [
    "x",
    "s" * 80,  # long, one character
    "abcd" * 20,  # four different characters
    "k3P!x9#qLm2$vR7@wZ4&nT8*bY6^cF1%hJ5(dS0)gA-eU_iO+",  # 49 characters
    "django-insecure-" + GOOD_SECRET,  # what startproject generates for development
]


@pytest.mark.parametrize("secret", WEAK_KEYS)
def test_production_refuses_a_weak_secret_key_in_one_line(secret):
    result = _manage("check", DJANGO_ENV="production", SECRET_KEY=secret, ALLOWED_HOSTS="x")

    assert _refusal(result).startswith(
        "SECRET_KEY is too weak for DJANGO_ENV=production: it needs at least 50 characters, "
        "5 of them different, and must not start with 'django-insecure-'"
    )


def test_the_secret_key_rule_is_djangos_own():
    """Held equal to the rule of check --deploy (security.W009), which Django may change."""
    from django.core.checks.security import base

    from config.settings import core

    assert (
        core.SECRET_KEY_MIN_LENGTH,
        core.SECRET_KEY_MIN_UNIQUE_CHARACTERS,
        core.SECRET_KEY_INSECURE_PREFIX,
    ) == (
        base.SECRET_KEY_MIN_LENGTH,
        base.SECRET_KEY_MIN_UNIQUE_CHARACTERS,
        base.SECRET_KEY_INSECURE_PREFIX,
    )
    for key in [*WEAK_KEYS, GOOD_SECRET, "abcde" * 10]:
        assert core.secret_key_is_strong(key) == base._check_secret_key(key), key


@pytest.mark.parametrize("hosts", ["*", "catalog.example.com,*", "*.example.com"])
def test_production_refuses_a_wildcard_in_allowed_hosts_in_one_line(hosts):
    result = _manage("check", DJANGO_ENV="production", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS=hosts)

    assert _refusal(result).startswith(
        "ALLOWED_HOSTS must name the site's hosts when DJANGO_ENV=production, not '*'"
    )


PROCESSES = {
    "celery worker": ["celery", "-A", "config", "worker", "-Q", "nothing", "-c", "1"],
    "celery beat": ["celery", "-A", "config", "beat"],
    "gunicorn": ["gunicorn", "config.wsgi:application", "--bind", "127.0.0.1:0"],
}


@pytest.mark.slow
@pytest.mark.parametrize("process", PROCESSES)
def test_every_process_refuses_bad_settings_in_one_line_before_starting(process):
    """As the Procfile starts them: gunicorn's master checks before any worker starts
    (gunicorn.conf.py), the Celery processes when they import the app."""
    program, *args = PROCESSES[process]
    command = [str(Path(sys.executable).parent / program), *args]  # this virtualenv's

    result = _run(command, DJANGO_ENV="production", SECRET_KEY="x", ALLOWED_HOSTS="x")

    assert _refusal(result).startswith("SECRET_KEY is too weak for DJANGO_ENV=production")
    assert result.returncode == 4


@pytest.mark.parametrize("url", ["postgress://x@h/db", "mysql://root@127.0.0.1:port/catalog"])
def test_a_database_url_that_is_not_one_is_refused_in_one_line(url):
    assert _refusal(_manage("check", DATABASE_URL=url)).startswith(
        "DATABASE_URL is not a database URL"
    )
