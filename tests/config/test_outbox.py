"""The outbox: sent once per key after the commit, nothing for a rollback, a failure logged
once with what repairs it. Real commits and rollbacks (``transaction=True``); the senders
here record what they are given (the paths' own senders meet the real broker in their
tests: tests/stats, tests/catalog/imports).
"""

import logging

import pytest
from django.db import transaction

from config.outbox import Outbox, unsent

pytestmark = pytest.mark.django_db(transaction=True)

#: What the senders below were handed, one list per call.
SENT: list[list[tuple[int, object]]] = []


def record(items) -> None:
    SENT.append(list(items))


def fail_at_three(items) -> None:
    taken = []
    SENT.append(taken)
    for key, value in items:
        if key == 3:
            raise ConnectionRefusedError(111, "Connection refused")
        taken.append((key, value))


@pytest.fixture(autouse=True)
def nothing_sent():
    SENT.clear()


def _outbox(send: str = "record") -> Outbox[int]:
    return Outbox(
        "test messages",
        send=f"tests.config.test_outbox.{send}",
        what=("test message", "test messages"),
        repair="the test's sweep sends them",
    )


def test_keys_of_one_transaction_are_sent_once_in_order_after_the_commit():
    outbox = _outbox()
    with transaction.atomic():
        assert outbox.add(3) is True
        assert outbox.add(1, "deleted") is True
        assert outbox.add(3) is False  # a product saved with three variant rows: one message
        with transaction.atomic():  # a nested block is the same transaction
            outbox.add(2)
        assert SENT == []
    assert SENT == [[(1, "deleted"), (2, None), (3, None)]]


def test_a_rolled_back_transaction_sends_nothing():
    outbox = _outbox()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.add(1)
        raise RuntimeError("the save failed")
    assert SENT == []


def test_outside_a_transaction_each_key_is_sent_at_once():
    outbox = _outbox()
    outbox.add(1)
    outbox.add(1)
    assert SENT == [[(1, None)], [(1, None)]]


def test_a_failed_publish_stops_there_and_logs_once_what_was_not_sent_and_what_repairs_it(
    caplog,
):
    outbox = _outbox("fail_at_three")
    with caplog.at_level(logging.ERROR), unsent() as failures, transaction.atomic():
        for key in (5, 1, 4, 2, 3):
            outbox.add(key)

    assert SENT == [[(1, None), (2, None)]]  # 3 raised: 4 and 5 were not tried
    [record] = [r for r in caplog.records if r.name == "config.outbox"]
    assert record.getMessage() == (
        "Could not queue 3 test messages; the test's sweep sends them "
        "(ConnectionRefusedError: [Errno 111] Connection refused)."
    )
    [failure] = failures
    assert (failure.outbox, failure.what) == ("test messages", "3 test messages")
    assert failure.sentence() == "3 test messages could not be sent: the test's sweep sends them."


def test_a_sender_that_cannot_be_imported_fails_the_publish_not_the_commit(caplog):
    outbox = _outbox("no_such_sender")
    with caplog.at_level(logging.ERROR), unsent() as failures, transaction.atomic():
        outbox.add(1)
    assert [f.what for f in failures] == ["1 test message"]
    assert "Could not queue 1 test message;" in caplog.text


def test_a_repair_sends_now_what_its_records_say_is_owed():
    outbox = _outbox()
    assert outbox.send_now([2, 1]) is None
    assert outbox.send_now({7: True}) is None
    assert outbox.send_now([]) is None
    assert SENT == [[(1, None), (2, None)], [(7, True)]]


def test_unsent_sees_only_the_failures_inside_its_block():
    outbox = _outbox("fail_at_three")
    outbox.add(3)
    with unsent() as outer:
        with unsent() as inner:
            outbox.add(3)
        outbox.send_now([3])
    assert (len(outer), len(inner)) == (2, 1)
