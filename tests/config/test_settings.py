import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "k3P!x9#qLm2$vR7@wZ4&nT8*bY6^cF1%hJ5(dS0)gA-eU_iO+pK=lM[jN]rQ{tV}"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ENV"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_debug_on():
    result = _manage(
        "check", DJANGO_ENV="production", DEBUG="1", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="x"
    )
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


@pytest.mark.parametrize(
    "secret", [None, "dev-insecure-7c1f0b2e-catalog-editor-do-not-use-in-production-4a9d"]
)
def test_production_refuses_missing_or_default_secret_key(secret):
    env = {"DJANGO_ENV": "production", "ALLOWED_HOSTS": "x"}
    if secret:
        env["SECRET_KEY"] = secret
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_empty_allowed_hosts():
    result = _manage("check", DJANGO_ENV="production", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


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
    assert result.returncode != 0
    assert "expected development, test or production" in result.stderr


def test_malformed_boolean_is_refused():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_category_depth_below_one_is_refused():
    result = _manage("check", CATALOG_CATEGORY_MAX_DEPTH="0")
    assert result.returncode != 0
    assert "CATALOG_CATEGORY_MAX_DEPTH=0" in result.stderr


def test_an_integer_below_its_minimum_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("CATALOG_TEST_COUNT", "-2")
    with pytest.raises(ImproperlyConfigured, match=r"^CATALOG_TEST_COUNT=-2: at least 0\.$"):
        env_int("CATALOG_TEST_COUNT", 5, minimum=0)
    monkeypatch.delenv("CATALOG_TEST_COUNT")
    assert env_int("CATALOG_TEST_COUNT", 5, minimum=0) == 5
