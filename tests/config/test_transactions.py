"""PerTransaction: first-time answers and one hand-over per committed transaction.

Real commits and rollbacks (``transaction=True``): a test transaction never commits.
"""

import pytest
from django.db import transaction

from config.transactions import PerTransaction
from testkit.on_commit import forget_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handed():
    return []


@pytest.fixture
def collect(handed):
    return PerTransaction("test collector", on_commit=lambda items: handed.append(dict(items)))


def test_keys_of_one_transaction_are_handed_on_once_at_commit(collect, handed):
    with transaction.atomic():
        assert collect.add(1) is True
        assert collect.add(1) is False
        assert collect.add(2, "deleted") is True
        assert handed == []
    assert handed == [{1: None, 2: "deleted"}]


def test_the_next_transaction_starts_afresh_after_a_commit(collect, handed):
    with transaction.atomic():
        collect.add(1)
    with transaction.atomic():
        assert collect.add(1) is True
    assert handed == [{1: None}, {1: None}]


def test_a_rolled_back_transaction_hands_on_nothing_and_is_forgotten(collect, handed):
    with pytest.raises(RuntimeError), transaction.atomic():
        collect.add(1)
        raise RuntimeError("the save failed")
    assert handed == []
    with transaction.atomic():
        assert collect.add(1) is True
    assert handed == [{1: None}]


def test_outside_a_transaction_each_add_is_handed_on_at_once(collect, handed):
    assert collect.add(1) is True
    assert collect.add(1) is True
    assert handed == [{1: None}, {1: None}]


def test_a_later_value_replaces_none_but_not_the_first_answer(collect, handed):
    with transaction.atomic():
        assert collect.add(7) is True
        assert collect.add(7, 42) is False
        assert collect.add(7) is False  # None never erases a value
    assert handed == [{7: 42}]


def test_nested_atomic_blocks_are_one_transaction(collect, handed):
    with transaction.atomic():
        collect.add(1)
        with transaction.atomic():
            assert collect.add(1) is False
            collect.add(2)
    assert handed == [{1: None, 2: None}]


def test_forget_all_starts_afresh_without_handing_on(collect, handed):
    with transaction.atomic():
        collect.add(1)
        forget_all()
        assert collect.add(1) is True
    assert handed == [{1: None}]
