"""The product list reads a page in two steps: the page's ids, then those rows by id.

Sorted by the default order, a page of 50 is 50 rows off the ``product_updated``
index whichever way it is read. Sorted or filtered by something no index orders (a
statistics column, a large category's subtree), the database sorts every matching row
first, and in one query MariaDB copies each of them whole into a temporary table
before sorting: the description, the statistics, the variant count's subquery
evaluated for each of the 100,000 products. That made "sort by completeness" take
0.7 s warm, 3 s cold. Sorting the ids alone and then reading the page's rows by
primary key costs one more query on every page (a constant: the query count does not
grow with the catalog), and the sort reads no more than it needs (figures in
``bench/README.md``).
"""

from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest


class IdsFirstChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Django left the page as a lazy slice of the sorted, filtered queryset.
        page: Any = self.result_list
        ids = list(page.values_list("pk", flat=True))
        rows = {row.pk: row for row in self.queryset.order_by().filter(pk__in=ids)}
        # A row deleted between the two reads is left out.
        self.result_list = [rows[pk] for pk in ids if pk in rows]
