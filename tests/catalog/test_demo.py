import pytest
from django.db.models import Count

from catalog.demo import catalog_seed
from catalog.models import Category, Product, Variant

pytestmark = pytest.mark.django_db


def test_seed_creates_products_with_one_to_five_variants():
    result = catalog_seed(products=120, batch_size=50)

    assert result.products_created == Product.objects.count() == 120
    assert result.variants_created == Variant.objects.count()
    counts = set(Product.objects.annotate(n=Count("variants")).values_list("n", flat=True))
    assert counts <= {1, 2, 3, 4, 5}
    assert len(counts) > 1
    assert Category.objects.filter(parent__isnull=False).exists()


def test_seed_is_idempotent_and_tops_up():
    catalog_seed(products=30)
    first_variants = Variant.objects.count()

    again = catalog_seed(products=30)
    assert (again.products_created, again.variants_created, again.categories_created) == (0, 0, 0)
    assert Variant.objects.count() == first_variants

    more = catalog_seed(products=45)
    assert more.products_created == 15
    assert Product.objects.count() == 45


def test_seed_reports_progress():
    seen: list[tuple[int, int]] = []
    catalog_seed(products=25, batch_size=10, on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(10, 25), (20, 25), (25, 25)]
