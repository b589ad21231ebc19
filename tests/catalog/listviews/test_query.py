from catalog.listviews.query import (
    ListShape,
    columns_clean,
    query_clean,
    query_sort,
    sort_clean,
    sort_names,
    sort_param,
)

KNOWN = {"q", "status__exact", "category__id__exact", "stock"}


def test_a_saved_query_keeps_only_the_parameters_the_list_knows_in_a_stable_order():
    query = "p=3&status__exact=draft&foo=1&q=shirt&o=2.-1&e=1&category__id__exact=7"

    assert query_clean(query, known=KNOWN) == "category__id__exact=7&q=shirt&status__exact=draft"


def test_an_empty_search_is_not_saved():
    assert query_clean("q=%20&status__exact=draft", known=KNOWN) == "status__exact=draft"


def test_the_sort_numbers_become_column_names_and_back_for_other_columns():
    seen = ["action_checkbox", "sku", "name", "updated"]
    names = sort_names("-3.1", columns=seen, sortable={"sku", "updated"})

    assert names == ["-updated", "sku"]
    # A teammate without list actions, with the columns in another order.
    assert sort_param(names, columns=["updated", "name", "sku"]) == "-0.2"


def test_a_sort_number_naming_no_sortable_column_is_dropped():
    seen = ["sku", "name", "variant_count"]

    assert sort_names("2.9.x.-0.0", columns=seen, sortable={"sku"}) == ["-sku"]
    assert query_sort("q=a&o=2.1") == "2.1"
    assert query_sort("q=a") == ""


def test_a_sort_on_a_column_no_longer_shown_is_left_out():
    assert sort_param(["-price", "sku"], columns=["sku", "name"]) == "0"


def test_saved_sort_names_are_kept_only_for_sortable_columns_each_once():
    assert sort_clean(["-updated", "updated", "bogus", "sku"], sortable={"sku", "updated"}) == [
        "-updated",
        "sku",
    ]


def test_the_chosen_columns_keep_their_order_and_always_the_required_ones():
    available = ["sku", "name", "category", "status", "price_range"]

    chosen = columns_clean(
        ["price_range", "nope", "category", "price_range"],
        available=available,
        required=["sku", "name"],
    )

    assert chosen == ["sku", "name", "price_range", "category"]
    assert columns_clean(
        ["name", "status", "sku"], available=available, required=["sku", "name"]
    ) == [
        "name",
        "status",
        "sku",
    ]


def test_no_choice_shows_the_standard_columns():
    shape = ListShape(
        available=["sku", "name", "status", "price_range"],
        standard=["sku", "name", "status"],
        required=["sku", "name"],
        sortable={"sku"},
        params=(),
    )

    assert shape.columns([]) == ["sku", "name", "status"]
    assert shape.columns(["status"]) == ["sku", "name", "status"]
