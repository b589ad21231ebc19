from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from catalog.models import Category, Product, Variant
from editors.services import EDITORS_GROUP

PASSWORD = "correct-horse-battery-staple"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"P-{n:06d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = "A product worth describing."
    category = factory.SubFactory(CategoryFactory)


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"V-{n:06d}")
    size = "M"
    colour = "black"
    price = Decimal("19.99")
    stock = 10


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class EditorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def editors_group(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.groups.add(editors_group())


def editors_group(*, restore_permissions: bool = False) -> Group:
    """The editors group as its data migrations create it, made again if a transactional
    test's flush emptied it (a flush keeps permissions, not migration data);
    ``restore_permissions`` also undoes a test's change to its permissions."""
    from django.db.models import Q

    from editors.services import EDITOR_PERMISSIONS

    group, created = Group.objects.get_or_create(name=EDITORS_GROUP)
    if created or restore_permissions:
        wanted = Q(pk__in=[])
        for app_label, codenames in EDITOR_PERMISSIONS.items():
            wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
        group.permissions.set(Permission.objects.filter(wanted))
    return group


def shop_in_currencies(product_factory, variant_factory, count: int) -> list[Product]:
    """``count`` products with two variants each, in EUR, USD and GBP by turns, under one
    root category: every category range and product figure must stay within a currency.
    """
    root = CategoryFactory()
    products = product_factory.create_batch(count, category__parent=root)
    for index, product in enumerate(products):
        currency = ("EUR", "USD", "GBP")[index % 3]
        variant_factory.create_batch(2, product=product, currency=currency)
    return products
