"""What the rehearsal samples every second: MariaDB sessions, AMQP connections, channels, queues.

Standard library and MySQLdb only, so the sampler can run in a thread beside the editors.
A connection is traced to the process that holds it by its local TCP port: ``/proc/net/tcp``
gives the socket inode of each port, ``/proc/<pid>/fd`` the process holding the inode, and
the process's group (every rehearsal process runs in a session of its own, its pool
children in the same group) names it, e.g. ``web2`` or ``batch1``. Kinds drop the number.
"""

import base64
import contextlib
import json
import os
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import MySQLdb

#: The process group name of the rehearsal itself: its own connections are not counted.
SELF = "rehearsal"


def kind_of(name: str) -> str:
    """``web`` for ``web3``: the process kind a figure is budgeted per."""
    return name.rstrip("0123456789") or name


def _socket_ports() -> dict[str, int]:
    """{socket inode: local TCP port} for the machine's IPv4 and IPv6 sockets."""
    ports = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                parts = line.split()
                ports[parts[9]] = int(parts[1].rsplit(":", 1)[1], 16)
    return ports


def port_owners(groups: dict[int, str]) -> dict[int, str]:
    """{local TCP port: process name} for the sockets of the process groups ``groups``
    ({pgid: name}); ports of any other process are left out."""
    inode_port = _socket_ports()
    owners = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            name = groups.get(os.getpgid(int(entry.name)))
            if name is None:
                continue
            for fd in os.scandir(f"{entry.path}/fd"):
                target = os.readlink(fd.path)
                if target.startswith("socket:["):
                    port = inode_port.get(target[8:-1])
                    if port is not None:
                        owners[port] = name
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return owners


def _peer_port(text: str) -> int | None:
    """The client port of an AMQP connection name ``127.0.0.1:54321 -> 127.0.0.1:5701``."""
    found = re.match(r".*:(\d+) ->", text)
    return int(found[1]) if found else None


class Management:
    """GETs from a RabbitMQ management API (``http://user:pass@host:port``) on one vhost."""

    def __init__(self, url: str, vhost: str):
        parsed = urllib.parse.urlsplit(url)
        self.base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}/api"
        user = urllib.parse.unquote(parsed.username or "guest")
        password = urllib.parse.unquote(parsed.password or "guest")
        self.auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.vhost = urllib.parse.quote(vhost, safe="")

    def get(self, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.base}/{path.format(vhost=self.vhost)}",
            headers={"Authorization": f"Basic {self.auth}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def connections(self) -> list[dict]:
        return self.get("vhosts/{vhost}/connections?columns=name,node,channels")

    def channels(self) -> list[dict]:
        return self.get("vhosts/{vhost}/channels?columns=name,node,connection_details")

    def queues(self) -> list[dict]:
        return self.get(
            "queues/{vhost}?columns=name,type,leader,node,messages_ready,"
            "messages_unacknowledged,consumers"
        )

    def consumers(self, queue: str) -> list[dict]:
        """The queue's consumers: ``active`` is False for a single-active-consumer standby."""
        return self.get(f"queues/{{vhost}}/{urllib.parse.quote(queue, safe='')}")[
            "consumer_details"
        ]


@dataclass
class Sample:
    at: float
    db: Counter = field(default_factory=Counter)  # MariaDB sessions per process name
    amqp: Counter = field(default_factory=Counter)  # connections per process name
    channels: Counter = field(default_factory=Counter)  # channels per process name
    amqp_nodes: Counter = field(default_factory=Counter)  # connections per node
    queues: dict[str, int] = field(default_factory=dict)  # ready + unacked per queue
    load: float = 0.0


class Sampler(threading.Thread):
    """Samples every ``interval`` seconds until stopped; a failed look is counted, not fatal.

    ``groups`` ({pgid: name}) is read at every sample, so processes started later count.
    Sessions and connections no rehearsal process holds are named ``other``; those of
    the group named ``SELF`` (the rehearsal and its editors) are left out.
    """

    def __init__(
        self,
        *,
        db: dict[str, Any],
        management: Management,
        groups: dict[int, str],
        interval: float = 1.0,
    ):
        super().__init__(daemon=True, name="rehearsal-sampler")
        self.db, self.management, self.groups, self.interval = db, management, groups, interval
        self.samples: list[Sample] = []
        self.failures: list[str] = []
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()
        self.join(30)

    def run(self) -> None:
        conn = MySQLdb.connect(**self.db)
        try:
            while not self._halt.is_set():
                began = time.monotonic()
                try:
                    self.samples.append(self._sample(conn))
                except Exception as exc:  # a sample missed is reported, the run goes on
                    self.failures.append(f"{type(exc).__name__}: {exc}")
                self._halt.wait(max(0.0, self.interval - (time.monotonic() - began)))
        finally:
            conn.close()

    def _sample(self, conn: Any) -> Sample:
        sample = Sample(at=time.time(), load=os.getloadavg()[0])
        # Ports are traced before and after the look: a worker's connection lives for one
        # batch or chunk, and may open or close between the query and one of the scans.
        owners = port_owners(dict(self.groups))
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT HOST FROM information_schema.PROCESSLIST "
                "WHERE DB = %s AND ID <> CONNECTION_ID()",
                [self.db["database"]],
            )
            hosts = [row[0] for row in cursor.fetchall()]
        connections, channels = self.management.connections(), self.management.channels()
        queues = self.management.queues()
        owners = port_owners(dict(self.groups)) | owners
        for host in hosts:
            port = int(host.rsplit(":", 1)[1]) if ":" in host else None
            sample.db[owners.get(port, "other") if port else "other"] += 1
        for connection in connections:
            name = owners.get(_peer_port(connection["name"]) or -1, "other")
            if name != SELF:
                sample.amqp[name] += 1
                sample.amqp_nodes[connection["node"]] += 1
        for channel in channels:
            details = channel.get("connection_details") or {}
            port = details.get("peer_port") or _peer_port(details.get("name", ""))
            if (name := owners.get(port or -1, "other")) != SELF:
                sample.channels[name] += 1
        sample.db.pop(SELF, None)
        sample.queues = {
            q["name"]: q.get("messages_ready", 0) + q.get("messages_unacknowledged", 0)
            for q in queues
        }
        return sample


def active_consumer(management: Management, queue: str, groups: dict[int, str]) -> dict:
    """Which process consumes ``queue`` actively and which wait (single active consumer)."""
    owners = port_owners(dict(groups))
    found: dict[str, list[str]] = {"active": [], "waiting": []}
    for consumer in management.consumers(queue):
        channel = consumer.get("channel_details") or {}
        port = channel.get("peer_port") or _peer_port(channel.get("connection_name", ""))
        state = "active" if consumer.get("active", True) else "waiting"
        found[state].append(owners.get(port or -1, "other"))
    return found
