import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product

pytestmark = pytest.mark.django_db


def test_seed_catalog_command_seeds_and_reports(capsys):
    call_command("seed_catalog", "--products", "12")
    assert Product.objects.count() == 12
    assert "Seeded 12 products" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("count", "shown"), [("-3", "-3"), ("1000000", "1,000,000"), (str(10**12), f"{10**12:,}")]
)
def test_seed_catalog_refuses_a_size_out_of_range_naming_the_maximum(count, shown):
    with pytest.raises(CommandError) as refused:
        call_command("seed_catalog", "--products", count)

    assert str(refused.value) == (
        f"Error: argument --products: {shown} is out of range: 0 to 999,999 products"
    )
    assert not Product.objects.exists()
