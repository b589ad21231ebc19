"""The rehearsal's simulated editors: real HTTP through the admin, one thread each.

An editor logs in (CSRF and cookies), then until the deadline: opens a product's change
page, changes one field of the form the page carries (a variant's stock, else the
description) and posts it back with everything else as the page gave it (the version
token and the inline management form included), then thinks 2-6 s. Each editor works
on products of its own, and on any product of the catalog one save in twenty, so
conflicts are rare but possible. Only the POST is timed: what an editor waits for on Save.
"""

import http.client
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from bench.browser import Browser, form_fields

CHANGELIST = "/admin/catalog/product/"
FORM_ID = "product_form"
#: The share of saves on a product outside the editor's own: how conflicts can happen.
STRAY_SHARE = 0.05


@dataclass(frozen=True)
class Editor:
    username: str
    password: str
    port: int  # the web process this editor's "load balancer" sends it to
    own: tuple[int, ...]  # product ids


@dataclass
class Tally:
    """One editor's saves: every POST's seconds, and how each ended."""

    posts: list[float] = field(default_factory=list)
    saved: int = 0
    redisplayed: int = 0  # 200: the form came back (a conflict to resolve, or invalid)
    conflicts: int = 0  # of those, the ones showing the conflict form
    errors: int = 0  # anything else: 4xx/5xx, a redirect elsewhere, a timeout
    messages: list[str] = field(default_factory=list)


def _change(fields: dict[str, str], rng: random.Random) -> dict[str, str]:
    """One field changed, as an editor changes one thing per save."""
    if "variants-0-stock" in fields:
        old = fields["variants-0-stock"]
        fields["variants-0-stock"] = str((int(old or 0) + rng.randint(1, 50)) % 500)
    else:
        fields["description"] = f"{fields.get('description', '')[:200]} ({rng.randint(0, 9999)})"
    fields["_save"] = "Save"
    return fields


def edit(
    editor: Editor,
    tally: Tally,
    *,
    catalog: tuple[int, ...],
    start: threading.Barrier,
    deadline: list[float],
    seed: int,
) -> None:
    """One editor's session; ``deadline`` ([monotonic seconds]) is set once everyone is in."""
    rng = random.Random(f"{seed}-{editor.username}")
    browser = Browser(editor.port)
    try:
        browser.login(editor.username, editor.password)
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        tally.errors += 1
        tally.messages.append(f"login: {type(exc).__name__}: {exc}")
        start.wait()
        return
    start.wait()
    time.sleep(rng.uniform(0, 6))  # editors do not all press Save in the same second
    while time.monotonic() < deadline[0]:
        pool = catalog if rng.random() < STRAY_SHARE else editor.own
        url = f"{CHANGELIST}{rng.choice(pool)}/change/"
        try:
            page = browser.get(url)
            if page.status != 200:
                raise RuntimeError(f"GET change page: HTTP {page.status}")
            form = _change(form_fields(page.body, FORM_ID), rng)
            began = time.perf_counter()
            response = browser.post(url, form)
            tally.posts.append(time.perf_counter() - began)
            location = urllib.parse.urlsplit(response.headers.get("Location", "")).path
            if response.status == 302 and location == CHANGELIST:
                tally.saved += 1
            elif response.status == 200:
                tally.redisplayed += 1
                tally.conflicts += 'id="edit-conflicts"' in response.body
            else:
                raise RuntimeError(f"POST: HTTP {response.status} {location}")
        except (OSError, RuntimeError, ValueError, http.client.HTTPException) as exc:
            tally.errors += 1
            if len(tally.messages) < 5:
                tally.messages.append(f"{type(exc).__name__}: {exc}")
        time.sleep(min(rng.uniform(2, 6), max(0.0, deadline[0] - time.monotonic())))


def drive(
    editors: list[Editor], *, catalog: tuple[int, ...], duration: float, seed: int
) -> tuple[list[Tally], float, float]:
    """Every editor for ``duration`` seconds after all logged in: (tallies, start, end)
    as wall-clock times, so the caller can match them with BatchFlush rows."""
    tallies = [Tally() for _ in editors]
    start = threading.Barrier(len(editors) + 1)
    deadline = [float("inf")]
    threads = [
        threading.Thread(
            target=edit,
            args=(editor, tally),
            kwargs={
                "catalog": catalog,
                "start": start,
                "deadline": deadline,
                "seed": seed,
            },
            daemon=True,
            name=f"editor-{editor.username}",
        )
        for editor, tally in zip(editors, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait(timeout=300)
    began = time.time()
    deadline[0] = time.monotonic() + duration
    for thread in threads:
        # The duration, plus one GET and one POST that may each run to their timeout.
        thread.join(max(0.0, deadline[0] + 70 - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError("editors still running 70 s after the deadline")
    return tallies, began, time.time()
