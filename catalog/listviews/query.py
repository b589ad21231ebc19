"""The product list's address taken apart and put back together; pure, no database.

A saved view keeps the list's filters and search as the address says them, but only the
parameters the list knows (``known``): the page number, an old address's leftovers or a
hand-typed ``?foo=1`` are dropped, not saved to come back as "?e=1" later. The sort is
kept by column names (``sort_names``), and turned back into the list's ``o=`` for the
columns the viewer sees (``sort_param``).
"""

from collections.abc import Collection, Sequence
from urllib.parse import parse_qsl, urlencode

#: Django's change list parameters: sort, page, search; a saved query keeps only the search.
SORT_PARAM = "o"
SEARCH_PARAM = "q"


def query_clean(query: str, *, known: Collection[str]) -> str:
    """``query`` with only the parameters in ``known`` (and a non-empty search), in a
    stable order, so that the same list is saved the same way whichever way it was reached."""
    pairs = [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if key in known and (key != SEARCH_PARAM or value.strip())
    ]
    return urlencode(sorted(pairs))


def query_sort(query: str) -> str:
    """The ``o=`` of a list's address ("" when unsorted)."""
    return dict(parse_qsl(query)).get(SORT_PARAM, "")


def sort_names(order: str, *, columns: Sequence[str], sortable: Collection[str]) -> list[str]:
    """The list's ``o=`` ("-2.5": positions in ``columns``) as column names ("-updated").

    A position that names no column, or a column that does not sort, is dropped (Django
    itself ignores it when it shows the list).
    """
    names: list[str] = []
    for part in order.split("."):
        descending = part.startswith("-")
        try:
            position = int(part.lstrip("-"))
        except ValueError:
            continue
        if not 0 <= position < len(columns) or columns[position] not in sortable:
            continue
        name = columns[position]
        if name not in (n.lstrip("-") for n in names):
            names.append(f"-{name}" if descending else name)
    return names


def sort_param(names: Sequence[str], *, columns: Sequence[str]) -> str:
    """Column names ("-updated") back into the list's ``o=`` for ``columns``; a name not
    among them (a column the view no longer shows) is dropped."""
    parts = []
    for name in names:
        bare = name.lstrip("-")
        if bare in columns:
            parts.append(f"{'-' if name.startswith('-') else ''}{columns.index(bare)}")
    return ".".join(parts)


def sort_clean(names: Sequence[str], *, sortable: Collection[str]) -> list[str]:
    """Sort names kept only where they name a column that sorts, each once."""
    kept: list[str] = []
    for name in names:
        bare = name.lstrip("-")
        if bare in sortable and bare not in (k.lstrip("-") for k in kept):
            kept.append(name if name.count("-") <= 1 else f"-{bare}")
    return kept


def columns_clean(
    columns: Sequence[str], *, available: Sequence[str], required: Sequence[str]
) -> list[str]:
    """Chosen columns in their order, each once, only the available ones, and the
    ``required`` ones (the link to each product) always among them, first if missing."""
    kept: list[str] = []
    for name in columns:
        if name in available and name not in kept:
            kept.append(name)
    missing = [name for name in required if name not in kept]
    return [*missing, *kept]


class ListShape:
    """What the product list offers the viewer: its columns and the parameters it knows.

    Built by the admin (which knows the columns other apps add); the services check what
    an editor saves against it.
    """

    def __init__(
        self,
        *,
        available: Sequence[str],
        standard: Sequence[str],
        required: Sequence[str],
        sortable: Collection[str],
        params: Collection[str],
    ) -> None:
        #: Every column the list can show, in the standard order.
        self.available = tuple(available)
        #: The columns shown to an editor who chose none.
        self.standard = tuple(standard)
        #: Always shown (the link to each product).
        self.required = tuple(required)
        self.sortable = frozenset(sortable)
        #: Filter and search parameters of the list's address.
        self.params = frozenset(params)

    def columns(self, chosen: Sequence[str]) -> list[str]:
        """The columns shown for a choice (the standard ones for none)."""
        return columns_clean(
            chosen or self.standard, available=self.available, required=self.required
        )
