"""The rehearsal's arithmetic: percentiles, per-kind counts, de-duplication, the form it posts."""

from collections import Counter

from bench.browser import form_fields
from bench.rehearsal_editors import Tally
from bench.rehearsal_probes import Sample, kind_of
from bench.rehearsal_report import (
    counts,
    flush_figures,
    node_counts,
    percentile,
    queue_maxima,
    render,
    save_figures,
)
from testkit.stack import failover_rotated


def test_percentile_is_an_observed_value_by_nearest_rank():
    values = [0.1 * n for n in range(1, 101)]
    assert percentile(values, 50) == values[49]
    assert percentile(values, 95) == values[94]
    assert percentile([0.3], 99) == 0.3
    assert percentile([], 95) != percentile([], 95)  # NaN: nothing was measured


def test_counts_add_up_per_kind_and_keep_the_largest_single_process():
    samples = [
        Sample(at=1, db=Counter({"web1": 2, "web2": 4, "batch1": 1})),
        Sample(at=2, db=Counter({"web1": 3, "web2": 4})),
        Sample(at=3, db=Counter({"web1": 3, "web2": 5, "batch1": 1})),
    ]
    figures = counts(samples, "db")
    assert figures["total"]["max"] == 9
    assert figures["per_kind"]["web"] == {"max": 8, "mean": 7.0, "steady": 7}
    assert figures["per_process"]["web"] == {"processes": 2, "max": 5, "steady": 4}
    assert figures["per_process"]["batch"]["max"] == 1
    assert kind_of("batch12") == "batch" and kind_of("beat") == "beat"


def test_flush_figures_give_the_de_duplication_and_the_rate_per_busy_second():
    flushes = [
        {"worker": "batch1@h", "requests": 100, "products": 80, "computed": 80, "duration_ms": 500},
        {"worker": "batch1@h", "requests": 50, "products": 50, "computed": 49, "duration_ms": 500},
        {"worker": "batch2@h", "requests": 50, "products": 30, "computed": 30, "duration_ms": 1000},
    ]
    figures = flush_figures(flushes, seconds=100)
    assert figures["requests_per_second"] == 2.0
    assert figures["products_per_request"] == 0.8
    assert figures["per_busy_second"] == 100.0
    assert figures["per_worker"]["batch1@h"]["per_busy_second"] == 150.0
    assert flush_figures([], seconds=100)["products_per_request"] is None


def test_queue_maxima_leave_out_remote_control_queues():
    samples = [
        Sample(at=1, queues={"stats.batch": 40, "batch1@vm.celery.pidbox": 3}),
        Sample(at=2, queues={"stats.batch": 12, "stats.bulk": 19}),
    ]
    assert queue_maxima(samples) == {"stats.batch": 40, "stats.bulk": 19}


def test_each_process_starts_the_failover_list_at_another_node():
    urls = "amqp://a/v;amqp://b/v;amqp://c/v"
    assert failover_rotated(urls, 0) == urls
    assert failover_rotated(urls, 1) == "amqp://b/v;amqp://c/v;amqp://a/v"
    assert failover_rotated(urls, 5) == "amqp://c/v;amqp://a/v;amqp://b/v"


def test_the_posted_form_is_the_one_the_page_carries():
    page = """
    <form id="logout-form" method="post"><input name="csrfmiddlewaretoken" value="x"></form>
    <form id="product_form" method="post">
      <input type="hidden" name="csrfmiddlewaretoken" value="tok">
      <input type="hidden" name="_occ_token" value="v1:signed">
      <input name="name" value="Shirt &amp; tie">
      <textarea name="description">
Two lines</textarea>
      <select name="status"><option value="draft">D</option>
        <option value="published" selected>P</option></select>
      <input type="checkbox" name="variants-0-DELETE">
      <input type="checkbox" name="featured" checked>
      <input type="submit" name="_save" value="Save">
    </form>"""
    assert form_fields(page, "product_form") == {
        "csrfmiddlewaretoken": "tok",
        "_occ_token": "v1:signed",
        "name": "Shirt & tie",
        "description": "Two lines",
        "status": "published",
        "featured": "on",
    }


def test_the_table_renders_what_the_figures_hold():
    samples = [Sample(at=1, db=Counter({"web1": 8}), amqp=Counter({"batch1": 3}))]
    tally = Tally(posts=[0.05, 0.2], saved=2)
    flushes = [
        {"worker": "batch1@h", "requests": 2, "products": 2, "computed": 2, "duration_ms": 4}
    ]
    figures = {
        "run": {
            "started": "2026-12-01T15:00:00+00:00",
            "processes": "web x1",
            "editors": 1,
            "duration_s": 10,
            "settings": {"STATS_BATCH_SHARDS": "12"},
        },
        "machine": {
            "cpus": 2,
            "memory_gib": 24,
            "load_max": 1,
            "load_mean": 1,
            "cpu_busy_pct": 50,
            "rabbitmq": "3.10.8",
            "mariadb": "10.11",
        },
        "saves": save_figures([tally], seconds=10),
        "batch": flush_figures(flushes, seconds=10),
        "batch_during_load": flush_figures(flushes, seconds=10),
        "caught_up": "in 3.0 s",
        "mariadb": counts(samples, "db"),
        "amqp": counts(samples, "amqp"),
        "amqp_nodes": node_counts(samples),
        "channels": counts(samples, "channels"),
        "queue_max": queue_maxima(samples),
        "bulk": {"chunks_done": 1, "chunks_total": 20, "active": ["bulk1"], "waiting": ["bulk2"]},
        "leftovers": 0,
    }
    table = render(figures)
    assert "p95 200 ms" in table and "STATS_BATCH_SHARDS=12" in table
    assert "web (1 seen)" in table and "active consumer ['bulk1'], standby ['bulk2']" in table
