"""gunicorn's access log leaves out static files unless CATALOG_VERBOSE is set."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.access_log import QuietAccessLogger


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_lines():
    """A QuietAccessLogger as the Procfile's ``--access-logfile -`` sets it up."""
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = QuietAccessLogger(cfg)
    lines = _Lines()
    logger.access_log.addHandler(lines)

    def request(path: str, status: int = 200) -> list[str]:
        lines.lines.clear()
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": path,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
        }
        resp = SimpleNamespace(status=f"{status} X", status_code=status, sent=10, headers=[])
        logger.access(resp, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
        return list(lines.lines)

    yield request
    logger.access_log.removeHandler(lines)


@pytest.mark.parametrize(
    "path",
    ["/static/admin/css/base.css", "/favicon.svg", "/favicon.ico", "/branding/logo.svg"],
)
def test_static_files_and_icons_are_left_out(access_lines, path):
    assert access_lines(path) == []
    assert access_lines(path, status=304) == []


@pytest.mark.parametrize("path", ["/admin/", "/admin/catalog/product/1/change/", "/healthz"])
def test_pages_are_logged(access_lines, path):
    [line] = access_lines(path)
    assert f'"GET {path} HTTP/1.1" 200' in line


def test_a_missing_static_file_is_logged(access_lines):
    [line] = access_lines("/static/admin/css/gone.css", status=404)
    assert '"GET /static/admin/css/gone.css HTTP/1.1" 404' in line


def test_catalog_verbose_logs_static_files_too(access_lines, settings):
    settings.CATALOG_VERBOSE = True
    assert len(access_lines("/static/admin/css/base.css")) == 1
    assert len(access_lines("/favicon.svg")) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/stats/products/12/figures",
        "/admin/catalog/product/12/presence/",
        "/admin/catalog/category/3/presence/",
        "/admin/stats/opsdashboard/?partial=1",
    ],
)
def test_the_polls_of_open_pages_are_left_out(access_lines, path):
    assert access_lines(path) == []


@pytest.mark.parametrize(
    "path", ["/stats/products/12/figures", "/admin/catalog/product/12/presence/"]
)
def test_a_failing_poll_is_logged(access_lines, path):
    assert len(access_lines(path, status=403)) == 1


def test_catalog_verbose_logs_the_polls_too(access_lines, settings):
    settings.CATALOG_VERBOSE = True
    assert len(access_lines("/stats/products/12/figures")) == 1
