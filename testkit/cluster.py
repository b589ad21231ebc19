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


def queue_info(name: str) -> dict[str, Any]:
    """``/api/queues/<vhost>/<name>`` of the management API in the settings."""
    url = settings.RABBITMQ_MANAGEMENT_URL
    if not url:
        raise RuntimeError("RABBITMQ_MANAGEMENT_URL is not set")
    parsed = urllib.parse.urlsplit(url)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}"
    auth = base64.b64encode(f"{parsed.username or 'guest'}:{parsed.password or 'guest'}".encode())
    vhost = urllib.parse.quote(settings.RABBITMQ_VHOST, safe="")
    request = urllib.request.Request(
        f"{base}/api/queues/{vhost}/{urllib.parse.quote(name)}",
        headers={"Authorization": f"Basic {auth.decode()}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


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
