"""catalog.search: a term finds products by the start of their SKU or words of their name.

The searches run committed (``transaction=True``): MariaDB's full-text index takes a
row in when its transaction commits, as every admin save does. They run on SQLite too
(``icontains`` for the words), where they say the same.
"""

import pytest

from catalog.models import Product
from catalog.search import (
    COMMON_ONE_IN,
    product_search,
    search_term_read,
    words_are_common,
)

committed = pytest.mark.django_db(transaction=True)


def _found(term: str) -> list[str]:
    found = product_search(Product.objects.all(), term)
    skus = sorted(found.rows.values_list("sku", flat=True))
    assert found.counted.count() == len(skus)  # the count reads the same products
    return skus


@pytest.fixture
def shelf(product_factory) -> None:
    product_factory(sku="LAMP-100", name="Oak Desk Lamp")
    product_factory(sku="LAMP-200", name="Brass Floor Lamp XL")
    product_factory(sku="TEA-1", name="Teapot for the Garden")
    product_factory(sku="OAK-7", name="Side Table")


def test_a_term_is_read_as_a_sku_prefix_and_as_name_words():
    read = search_term_read("  Oak lamp ")
    assert read.sku_prefix is None  # a space: no SKU has one
    assert read.indexed_words == ("oak", "lamp")
    assert search_term_read("LAMP-1").sku_prefix == "LAMP-1"


def test_short_words_and_stopwords_are_not_sent_to_the_full_text_index():
    read = search_term_read("lamp XL for")
    assert read.indexed_words == ("lamp",)
    assert read.unindexed_words == ("xl", "for")


def test_full_text_operators_in_a_term_are_only_separators():
    read = search_term_read('"oak" -lamp+ (desk*)')
    assert read.indexed_words == ("oak", "lamp", "desk")
    assert read.sku_prefix is None


@committed
@pytest.mark.usefixtures("shelf")
def test_the_start_of_a_sku_finds_its_products_whatever_the_case():
    assert _found("LAMP-") == ["LAMP-100", "LAMP-200"]
    assert _found("lamp-2") == ["LAMP-200"]


@committed
@pytest.mark.usefixtures("shelf")
def test_a_name_word_or_its_start_finds_the_products_named_with_it():
    assert _found("teapot") == ["TEA-1"]
    assert _found("Brass") == ["LAMP-200"]
    assert _found("bras") == ["LAMP-200"]


@committed
@pytest.mark.usefixtures("shelf")
def test_every_word_of_a_term_must_be_in_the_name():
    assert _found("oak lamp") == ["LAMP-100"]
    assert _found("oak brass") == []


@committed
@pytest.mark.usefixtures("shelf")
def test_a_term_that_is_both_a_sku_start_and_a_name_word_finds_both():
    # "OAK" starts the SKU OAK-7 and is a word of LAMP-100's name.
    assert _found("oak") == ["LAMP-100", "OAK-7"]
    # "lamp" starts LAMP-100 and LAMP-200's SKUs and is in their names: once each.
    assert _found("lamp") == ["LAMP-100", "LAMP-200"]


@committed
@pytest.mark.usefixtures("shelf")
def test_a_short_word_the_index_leaves_out_is_still_found():
    assert _found("XL") == ["LAMP-200"]
    assert _found("lamp xl") == ["LAMP-200"]
    assert _found("teapot the") == ["TEA-1"]


@committed
@pytest.mark.usefixtures("shelf")
def test_a_piece_inside_a_sku_or_a_word_no_longer_matches():
    # The change docs/editors.md tells editors: the start of a SKU or a word, not its middle.
    assert _found("AMP-1") == []
    assert _found("eapot") == []


@committed
@pytest.mark.usefixtures("shelf")
def test_a_blank_term_or_punctuation_alone_leaves_the_list_whole():
    assert len(_found("   ")) == 4
    assert _found('"+-') == []  # neither a SKU start nor any word: nothing matches


@pytest.mark.django_db
def test_a_word_in_many_of_the_newest_names_is_common(product_factory):
    for n in range(COMMON_ONE_IN):
        product_factory(name=f"Brass hook {n}")
    product_factory(name="Velvet cushion")  # one name in 41: not quite common
    product_factory(name="Linen cushion")
    products = Product.objects.all()
    assert words_are_common(products, search_term_read("brass"))
    assert words_are_common(products, search_term_read("hoo"))
    assert not words_are_common(products, search_term_read("velvet"))
    assert not words_are_common(products, search_term_read("rass"))  # not a word's start


@committed
def test_a_common_word_is_read_row_by_row_for_the_page_and_counted_from_the_index(
    product_factory,
):
    for n in range(COMMON_ONE_IN):
        product_factory(sku=f"H-{n}", name=f"Brass hook {n}")
    product_factory(sku="V-1", name="Velvet Oak-brass cushion")
    common = product_search(Product.objects.all(), "brass")
    assert "LIKE" in str(common.rows.query)
    assert common.rows.count() == common.counted.count() == COMMON_ONE_IN + 1
    rare = product_search(Product.objects.all(), "velvet brass")
    assert [p.sku for p in rare.rows] == ["V-1"]
