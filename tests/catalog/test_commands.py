import pytest
from django.core.management import CommandError, call_command

from catalog.models import Product

pytestmark = pytest.mark.django_db


def test_seed_catalog_command_seeds_and_reports(capsys):
    call_command("seed_catalog", "--products", "12")
    assert Product.objects.count() == 12
    assert "Seeded 12 products" in capsys.readouterr().out


def test_seed_catalog_refuses_negative_count():
    with pytest.raises(CommandError, match="zero or more"):
        call_command("seed_catalog", "--products", "-3")
