"""Cut one worker's connections to RabbitMQ, and only its: a network blip for that worker.

Stopping the shared RabbitMQ node would cut every other user of it (tests marked
``restarts_broker`` do that); ``rabbitmqctl close_connection`` closes chosen connections
instead, found by the local ports of the worker's processes. The worker sees its
connection closed by the broker and reconnects as it would after a broker restart.
"""

import subprocess

import psutil


def _local_ports(pid: int) -> set[int]:
    main = psutil.Process(pid)
    ports = set()
    for process in [main, *main.children(recursive=True)]:
        for conn in process.net_connections(kind="tcp"):
            if conn.laddr:
                ports.add(conn.laddr.port)
    return ports


def _rabbitmqctl(*args: str) -> str:
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def close_worker_connections(vhost: str, pid: int) -> int:
    """Close the broker connections of process ``pid`` and its children in ``vhost``;
    how many were closed."""
    ports = _local_ports(pid)
    listed = _rabbitmqctl("list_connections", "--no-table-headers", "pid", "peer_port", "vhost")
    closed = 0
    for line in listed.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[2] == vhost and parts[1].isdigit() and int(parts[1]) in ports:
            _rabbitmqctl("close_connection", parts[0], "test: network cut")
            closed += 1
    return closed
