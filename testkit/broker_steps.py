"""One step on a kombu transport, in a process of its own: for bench/embedded_broker.py and
the embedded broker's tests, which kill such processes.

    python -m testkit.broker_steps URL OPTIONS_JSON STEP COUNT CAP

Steps: ``publish`` COUNT messages; ``big`` 2 MB messages until killed; ``drain`` (ack
each) up to COUNT within CAP seconds, stopping after 5 idle seconds; ``hold`` (fetch
without ack, then sleep until killed); ``bind`` a queue to a fanout exchange and leave;
``broadcast`` to that exchange and count what reached the queue. Prints one JSON line.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kombu import Connection, Consumer, Exchange, Producer, Queue

import config.embedded_broker  # noqa: F401  (the sqlite:// scheme)

QUEUE = Queue("bench", Exchange("bench", "direct"), routing_key="bench")
FANOUT = Exchange("bench.fanout", "fanout")
SMALL, BIG = 200, 2_000_000


def publish(channel, count: int, pad: int) -> float:
    producer = Producer(channel)
    start = time.perf_counter()
    for i in range(count):
        producer.publish(
            {"i": i, "pad": "x" * pad},
            exchange=QUEUE.exchange,
            routing_key="bench",
            declare=[QUEUE],
        )
    return time.perf_counter() - start


def consume(conn, channel, *, count: int, cap: float, ack: bool) -> dict:
    got: list = []

    def on_message(payload, message):
        got.append(payload)
        if ack:
            message.ack()

    channel.basic_qos(0, 200 if ack else 1, False)
    with Consumer(channel, [QUEUE], callbacks=[on_message], accept=["json"]):
        start = last = time.perf_counter()
        while len(got) < count and time.perf_counter() - start < cap:
            try:
                conn.drain_events(timeout=1)
                last = time.perf_counter()
            except TimeoutError:
                if ack and time.perf_counter() - last > 5:
                    break  # nothing more is coming
        if not ack:
            print(json.dumps({"held": len(got)}), flush=True)
            time.sleep(600)
        whole = all(len(p.get("pad", "")) in (SMALL, BIG) for p in got)
        return {"seconds": time.perf_counter() - start, "count": len(got), "whole": whole}


def main() -> None:
    url, options, step = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    count, cap = int(sys.argv[4]), float(sys.argv[5])
    with Connection(url, transport_options=options) as conn:
        channel = conn.channel()
        if step == "publish":
            result = {"seconds": publish(channel, count, SMALL), "count": count}
        elif step == "big":
            publish(channel, 10**6, BIG)
        elif step in ("drain", "hold"):
            result = consume(conn, channel, count=count, cap=cap, ack=step == "drain")
        elif step == "bind":
            Queue("bench.fan", FANOUT)(channel).declare()
            result = {"bound": True}
        elif step == "broadcast":
            Producer(channel).publish({"hello": 1}, exchange=FANOUT, declare=[FANOUT])
            time.sleep(0.2)
            declared = Queue("bench.fan", FANOUT)(channel).queue_declare()
            result = {"delivered": declared.message_count}
        print(json.dumps(result))


ROOT = Path(__file__).resolve().parents[1]


def run_step(
    url: str, options: dict, step: str, count: int = 0, cap: float = 60.0, *, background=False
):
    """Run ``step`` in a new process: its JSON result, or (``background``) the process,
    in a session of its own so that a SIGKILL of its group leaves nothing behind."""
    command = [sys.executable, "-m", "testkit.broker_steps", url, json.dumps(options), step]
    command += [str(count), str(cap)]
    if background:
        return subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=cap + 600)
    if done.returncode:
        raise RuntimeError(f"{step} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
