"""The Content-Security-Policy header (config/settings/content_policy.py): strict on every
admin page, report-only on request, and no inline code left in our own pages' sources."""

import importlib
import re
from pathlib import Path

import pytest
from django.urls import reverse

import config.settings.content_policy as content_policy

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_an_admin_page_is_sent_with_the_strict_policy(editor_client):
    response = editor_client.get(reverse("admin:catalog_product_changelist"))

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-hashes'" not in response["Content-Security-Policy"]
    assert not {"script-src", "style-src"} & policy.keys()  # nothing wider than default-src
    assert "Content-Security-Policy-Report-Only" not in response


def test_the_login_page_has_the_policy_too(client):
    response = client.get(reverse("admin:login"))

    assert _directives(response["Content-Security-Policy"])["default-src"] == ["'self'"]


def test_report_only_sends_the_same_policy_to_report_and_blocks_nothing(monkeypatch):
    monkeypatch.setenv("CSP_REPORT_ONLY", "1")
    try:
        reported = importlib.reload(content_policy)
        assert reported.CONTENT_SECURITY_POLICY is None
        report_only = reported.CONTENT_SECURITY_POLICY_REPORT_ONLY
    finally:
        monkeypatch.delenv("CSP_REPORT_ONLY")
        enforced = importlib.reload(content_policy)
    assert report_only == enforced.CONTENT_SECURITY_POLICY
    assert enforced.CONTENT_SECURITY_POLICY_REPORT_ONLY is None


def test_the_themes_colours_are_a_stylesheet_of_the_site(client, settings):
    from editors.services import admin_theme_ensure

    admin_theme_ensure(environment_name=settings.ADMIN_ENVIRONMENT_NAME)

    response = client.get(reverse("theme-css"))  # anonymous: the login page uses it

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert ":root .admin-interface {" in css
    assert re.search(r"--admin-interface-header-background-color: #[0-9A-Fa-f]{6};", css)
    assert "{%" not in css and "<style" not in css


#: What the policy blocks, written in a template or in Python that writes HTML.
INLINE = {
    "a style attribute": re.compile(r"""\sstyle\s*=\s*["']"""),
    "a <style> element": re.compile(r"<style[\s>]"),
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(?!\s*</script>)"),
    "an inline event handler": re.compile(r"""\son[a-z]+\s*=\s*["']"""),
}


#: A template's comments, which reach no page.
COMMENTS = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.DOTALL)


def _our_page_sources() -> dict[Path, str]:
    templates = {
        p: COMMENTS.sub("", p.read_text("utf-8")) for p in ROOT.glob("templates/**/*.html")
    }
    python = {
        p: p.read_text("utf-8")
        for app in ("catalog", "stats", "editors", "config")
        for p in (ROOT / app).rglob("*.py")
    }
    return templates | python


def test_no_page_of_ours_holds_inline_code_the_policy_would_block():
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path, source in _our_page_sources().items()
        for what, pattern in INLINE.items()
        if pattern.search(source)
    ]

    assert not found, "\n".join(found)
