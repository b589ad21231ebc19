"""An admin user over HTTP for benchmarks: cookies, CSRF, and the form a page carries.

Shared by ``bench/save_latency.py`` and ``bench/rehearsal.py``; standard library only.
``form_fields`` reads a change form as a browser would submit it (every input, select and
textarea, hidden ones included), so a save carries the page's own concurrency token and
inline management form instead of a hand-built copy of them.
"""

import re
import urllib.parse
from html.parser import HTMLParser
from http.cookies import SimpleCookie

from bench.server import PROXY, Response, request

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """Just enough of a browser for the admin: cookies, CSRF token, the proxy's header.

    Cookies are kept by hand: production marks them Secure, which ``http.cookiejar``
    would never send over the plain HTTP of this local connection.
    """

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {**PROXY, "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + path,
            }
        response = request(self.port, method, path, headers, body)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def get(self, path: str) -> Response:
        return self._send("GET", path)

    def post(self, path: str, form: dict) -> Response:
        return self._send("POST", path, form)

    def login(self, username: str, password: str) -> None:
        page = self.get("/admin/login/?next=/admin/")
        token = CSRF_INPUT.search(page.body)
        response = self.post(
            "/admin/login/?next=/admin/",
            {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": username,
                "password": password,
                "next": "/admin/",
            },
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"login of {username} failed: HTTP {response.status}")


class _FormFields(HTMLParser):
    """The successful controls of the form with id ``form_id``, in document order."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the one newline that follows <textarea>.
            self.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """What submitting the form ``form_id`` of ``html`` posts (last value of a repeated name)."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return dict(parser.fields)
