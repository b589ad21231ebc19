import pytest

from catalog.listviews.query import ListShape


@pytest.fixture
def shape() -> ListShape:
    """The product list as the services see it (the admin builds the real one)."""
    return ListShape(
        available=["sku", "name", "category", "status", "updated", "price_range", "total_stock"],
        standard=["sku", "name", "category", "status", "updated"],
        required=["sku", "name"],
        sortable={"sku", "name", "status", "updated"},
        params={"q", "status__exact", "category__id__exact"},
    )
