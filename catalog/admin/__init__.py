"""The catalog's admin: products with their variants, variants, categories.

Other apps add to these pages through ``catalog.admin.hooks``, never by replacing them.
"""

from catalog.admin.category import CategoryAdmin
from catalog.admin.imports import CatalogImportAdmin
from catalog.admin.product import ProductAdmin, VariantInline
from catalog.admin.variant import VariantAdmin

__all__ = ["CatalogImportAdmin", "CategoryAdmin", "ProductAdmin", "VariantAdmin", "VariantInline"]
