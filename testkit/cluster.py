"""The three-node test cluster of ``scripts/rabbitmq-cluster.sh``, seen from a test.

Queue facts come from the management API the settings name (a quorum queue's type,
leader, members and consumers); nodes are stopped and started through the script, which
only ever addresses its own nodes (catalog1..3), never the system RabbitMQ node.
"""

import base64
import json
import subprocess
import time
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings

from testkit.workers import ROOT

SCRIPT = ROOT / "scripts" / "rabbitmq-cluster.sh"


def management_api(path: str, *, node: int | None = None) -> Any:
    """GET ``/api/<path>`` (``{vhost}`` filled in) from the management API in the settings,
    or from the test cluster's node ``node`` (another node answers when one is stopped)."""
    url = settings.RABBITMQ_MANAGEMENT_URL
    if not url:
        raise RuntimeError("RABBITMQ_MANAGEMENT_URL is not set")
    parsed = urllib.parse.urlsplit(url)
    port = 15700 + node if node else parsed.port or 15672
    auth = base64.b64encode(f"{parsed.username or 'guest'}:{parsed.password or 'guest'}".encode())
    vhost = urllib.parse.quote(settings.RABBITMQ_VHOST, safe="")
    request = urllib.request.Request(
        f"{parsed.scheme}://{parsed.hostname}:{port}/api/{path.format(vhost=vhost)}",
        headers={"Authorization": f"Basic {auth.decode()}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def queue_info(name: str, *, node: int | None = None) -> dict[str, Any]:
    """``/api/queues/<vhost>/<name>``: type, arguments, leader, counts, consumers."""
    return management_api(f"queues/{{vhost}}/{urllib.parse.quote(name)}", node=node)


def consumer_nodes(queue: str, *, node: int | None = None) -> list[str]:
    """The nodes whose channels consume ``queue`` (where those workers are connected)."""
    consumers = management_api("consumers/{vhost}", node=node)
    # A consumer whose channel the API has no statistics for yet has "channel_details": [].
    return [
        c["channel_details"]["node"]
        for c in consumers
        if c["queue"]["name"] == queue and isinstance(c.get("channel_details"), dict)
    ]


def cluster(*args: str, timeout: float = 180) -> str:
    """Run ``scripts/rabbitmq-cluster.sh ARGS``; its output."""
    done = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode:
        raise RuntimeError(f"rabbitmq-cluster.sh {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout


def node_number(node: str) -> int:
    """1 for ``catalog1@localhost``."""
    return int(node.split("@")[0].removeprefix("catalog"))


def stop_node(number: int) -> float:
    """Stop RabbitMQ on a node (its connections drop, its queue leaders move); seconds taken."""
    started = time.monotonic()
    cluster("stop-node", str(number))
    return time.monotonic() - started


def start_node(number: int) -> None:
    cluster("start-node", str(number))


def running_nodes() -> set[int]:
    """The numbers of the nodes whose RabbitMQ serves (from ``status``)."""
    return {
        node_number(line.split()[0])
        for line in cluster("status").splitlines()
        if line.startswith("catalog") and line.endswith("running")
    }
