"""The version token alone (catalog.admin.version_token): trusted only on the form it names."""

from datetime import UTC, datetime

import pytest
from django.core import signing

from catalog.admin.version_token import Binding, Token
from catalog.concurrency import EditState

PRODUCT_30 = Binding("catalog.product", "30", "change")
TOKEN = Token(
    version=4,
    at=datetime(2026, 12, 1, 14, 3, tzinfo=UTC),
    base=EditState(fields={"name": "Wool hat"}, rows={"7": {"price": "10.00"}}),
    pending=["name"],
)


def test_a_token_reads_back_on_the_form_it_names():
    read = Token.loads(TOKEN.dumps(PRODUCT_30), PRODUCT_30)

    assert read == TOKEN


@pytest.mark.parametrize(
    "other",
    [
        Binding("catalog.product", "31", "change"),  # another object
        Binding("catalog.category", "30", "change"),  # another model, same pk
        Binding("catalog.product", "30", "revert"),  # another form of the same object
    ],
)
def test_a_token_is_refused_anywhere_else(other, caplog):
    assert Token.loads(TOKEN.dumps(other), PRODUCT_30) is None
    assert "foreign version token on catalog.product 30" in caplog.text


@pytest.mark.parametrize("text", [None, "", "x", "not:a:token", "e30:bad-signature"])
def test_missing_or_garbage_is_refused(text):
    assert Token.loads(text, PRODUCT_30) is None


def test_every_single_byte_changed_is_refused():
    text = TOKEN.dumps(PRODUCT_30)
    for index in range(len(text)):
        changed = text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]
        assert Token.loads(changed, PRODUCT_30) is None, index


def test_a_signed_token_without_a_binding_from_before_is_refused():
    """The unbound token of the previous release (other salt, no "for"): base unknown."""
    old = signing.dumps(
        {"v": 4, "at": TOKEN.at.isoformat(), "base": TOKEN.base.as_json(), "pending": []},
        salt="catalog.admin.concurrency",
        compress=True,
    )
    assert Token.loads(old, PRODUCT_30) is None


def test_a_signed_but_malformed_token_is_refused(caplog):
    bad = signing.dumps(
        {"for": PRODUCT_30.as_json(), "v": "four"}, salt="catalog.admin.concurrency.bound"
    )

    assert Token.loads(bad, PRODUCT_30) is None
    assert "malformed version token" in caplog.text
