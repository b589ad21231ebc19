"""How the product list reads a search term, and the query that answers it from an index.

Editors type either the start of a SKU ("DEMO-19", "lamp-") or words of a name ("oak
lamp"). A term is read both ways and the list shows the **union**:

- the whole term as the **start of a SKU** (``sku LIKE 'term%'``, case-insensitive),
  read from the SKU's unique index. Only a term that can be part of a SKU (letters,
  digits, ``-`` ``_`` ``.``) is tried as one;
- every **word** of the term as the **start of a word of the name** ("lam" finds "Lamp",
  "oak lamp" finds names with both), read from the FULLTEXT index on the name on
  MariaDB/MySQL (boolean mode, ``+word*``); on SQLite (development) by a ``LIKE`` at
  the name's start or after a space (the same answers on the demo's names).

What changed for editors (docs/editors.md): a piece from the middle of a SKU ("19999"
of "DEMO-199990") or from inside a word ("eapot" of "Teapot") no longer matches; the
start of either still does. A ``LIKE '%term%'`` read every row (2.9 s at 1,000,000
products); these read only the matching index entries.

**Common words are read in the list's order instead.** The full-text index returns
every match before the list can sort them: a word in one name in ten ("Speaker") cost
0.11 s for the page at 200,000 products, growing with the catalog. Such a word fills a
page within the first few hundred rows of the list, so for the page it is checked row
by row (``name LIKE 'word%' OR LIKE '% word%' OR LIKE '%-word%'``) while the list is
read off its own index (about 1 ms whatever the catalog's size); the count still reads
the full-text index, up to its threshold (``Found.counted``), unless the list has no
other filter and the sample's share of the catalog is surely beyond the threshold:
then the list says "about N" from that share without counting. A word is common when
one in 40 of the newest 2,000 names has it (``words_share``: one read of 2,000 names).

**Short words and stopwords.** MariaDB's full-text index leaves out words shorter than
``innodb_ft_min_token_size`` (3 by default) and InnoDB's stopwords ("the", "for",
"with"...), so no index entry says that "Lamp XL" contains "XL". A term word that is
that short or a stopword is therefore not sent to the index: it is required with
``name LIKE '%word%'`` on the rows the other words found. A term made only of such
words ("XL") is read like a common word, in the list's order: found as before, but
a rare short word reads the whole list (no index can answer it; a few seconds at
1,000,000 products, the one search the EXPLAIN tests leave out).

**Why probes first.** MariaDB cannot combine a full-text index with another index
under ``OR``: ``sku LIKE 'x%' OR MATCH(name) ...`` reads the whole table. The SKU part
is first asked for one row (``LIMIT 1`` off the unique index); a term that starts no
SKU is searched in names alone. Otherwise the names are asked too, and only when both
have matches is the union spelled as two materialised ``IN`` subqueries, each read
from its own index (the page then walks the list's order, checking each row in them).
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Expression, F, FloatField, Func, Q, QuerySet, Value
from django.db.models.lookups import GreaterThan

#: InnoDB's default full-text stopword list (information_schema.INNODB_FT_DEFAULT_STOPWORD).
INNODB_STOPWORDS = frozenset(
    {"a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from"}
    | {"how", "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to"}
    | {"was", "what", "when", "where", "who", "will", "with", "und", "www"}
)
#: ``innodb_ft_min_token_size``'s default: shorter words are not in the index.
MIN_INDEXED_WORD = 3
#: What a SKU may be made of (``catalog.validators.sku_validator``, case aside).
_SKU_PREFIX = re.compile(r"^[A-Za-z0-9._-]+$")
#: The newest names that tell a common word from a rare one, and the share of them that
#: must match for it to be common (one in 40: a page of 50 within 2,000 rows of the list).
SAMPLE = 2_000
COMMON_ONE_IN = 40
#: A word as the full-text parser splits names: anything else separates words (and
#: boolean-mode operators such as + - * " never reach the query).
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchTerm:
    """A search term read both ways (see the module docstring)."""

    #: The whole term as the start of a SKU, or None when it cannot be one.
    sku_prefix: str | None
    #: Words the full-text index can answer (each as a word prefix).
    indexed_words: tuple[str, ...]
    #: Words it cannot (too short, stopwords): each a substring of the name.
    unindexed_words: tuple[str, ...]

    @property
    def has_words(self) -> bool:
        return bool(self.indexed_words or self.unindexed_words)


def search_term_read(term: str) -> SearchTerm:
    """Split what an editor typed into a SKU prefix and name words."""
    term = term.strip()
    words = [w.lower() for w in _WORD.findall(term)]
    indexed = tuple(w for w in words if len(w) >= MIN_INDEXED_WORD and w not in INNODB_STOPWORDS)
    unindexed = tuple(w for w in words if w not in indexed)
    return SearchTerm(
        sku_prefix=term if _SKU_PREFIX.match(term) else None,
        indexed_words=tuple(dict.fromkeys(indexed)),
        unindexed_words=tuple(dict.fromkeys(unindexed)),
    )


class NameWordsRelevance(Func):
    """``MATCH(name) AGAINST('+w1* +w2*' IN BOOLEAN MODE)``: every word as a word prefix.

    Its value is a relevance (0 where a word is missing), so the condition is ``> 0``,
    which MariaDB still reads from the full-text index (Django would compare a boolean
    expression ``= True``, i.e. ``= 1``, which no relevance equals).
    """

    output_field = FloatField()

    def __init__(self, words: tuple[str, ...]) -> None:
        query = " ".join(f"+{word}*" for word in words)
        super().__init__(F("name"), Value(query))

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[no-untyped-def,override]
        column, column_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        return (
            f"MATCH ({column}) AGAINST ({query} IN BOOLEAN MODE)",
            (*column_params, *query_params),
        )


def _full_text() -> bool:
    # The FULLTEXT index exists on MariaDB/MySQL only (catalog migration 0015).
    return connection.vendor == "mysql"


def _word_starts(words: tuple[str, ...]) -> Q:
    """Each word at the start of the name or after a space or hyphen (``LIKE``, no index)."""
    return Q(
        *(
            Q(name__istartswith=w) | Q(name__icontains=f" {w}") | Q(name__icontains=f"-{w}")
            for w in words
        )
    )


def words_share(queryset: QuerySet, term: SearchTerm) -> float:
    """The share of the newest ``SAMPLE`` names that have the term's words (0 to 1)."""
    products = queryset.model._default_manager
    # Ids first, off the update-time index alone; then their names by primary key.
    newest = list(products.order_by("-updated_at", "-id").values_list("pk", flat=True)[:SAMPLE])
    names = list(products.filter(pk__in=newest).values_list("name", flat=True))
    patterns = [
        re.compile(rf"(?:^|[\s-]){re.escape(w)}", re.IGNORECASE) for w in term.indexed_words
    ]
    patterns += [re.compile(re.escape(w), re.IGNORECASE) for w in term.unindexed_words]
    hits = sum(all(p.search(name) for p in patterns) for name in names)
    return hits / len(names) if names else 0.0


def words_are_common(queryset: QuerySet, term: SearchTerm) -> bool:
    """Whether the term's words are in one of every ``COMMON_ONE_IN`` of the newest
    ``SAMPLE`` names: enough that walking the list in order fills a page at once."""
    return words_share(queryset, term) * COMMON_ONE_IN >= 1


def _words_condition(term: SearchTerm) -> Q | Expression | None:
    """The words as the full-text index answers them (on SQLite: ``_word_starts``)."""
    if not term.has_words:
        return None
    substrings = Q(*(Q(name__icontains=w) for w in term.unindexed_words))
    if not _full_text():
        return _word_starts(term.indexed_words) & substrings
    if not term.indexed_words:
        return substrings
    match: Q | Expression = GreaterThan(NameWordsRelevance(term.indexed_words), 0)
    return Q(match) & substrings if term.unindexed_words else match


@dataclass(frozen=True)
class Found:
    """What a search found: ``rows`` for the page, ``counted`` as the count reads them.

    ``share``: for common words in an otherwise unfiltered list, the share of the
    sampled names that have them, from which the list may estimate its count without
    counting (``catalog.admin.product_list``).
    """

    rows: QuerySet
    counted: QuerySet
    share: float | None = None


def product_search(queryset: QuerySet, term: str) -> Found:
    """The products of ``queryset`` that ``term`` finds: SKU prefix or name words (union)."""
    if not term.strip():
        return Found(queryset, queryset)
    read = search_term_read(term)
    sku = Q(sku__istartswith=read.sku_prefix) if read.sku_prefix else None
    words = _words_condition(read)
    if sku is None and words is None:
        none = queryset.none()  # punctuation alone: neither a SKU start nor a word
        return Found(none, none)
    if words is None:
        return Found(queryset.filter(sku), queryset.filter(sku))
    base = queryset.model._default_manager.order_by()
    share = words_share(queryset, read) if _full_text() and read.indexed_words else 0.0
    if share * COMMON_ONE_IN >= 1:
        # The page: row by row in the list's order (the SKU one more test on each row);
        # the count: from the indexes, up to its threshold.
        walk = _word_starts(read.indexed_words) & Q(
            *(Q(name__icontains=w) for w in read.unindexed_words)
        )
        rows = queryset.filter(sku | walk if sku is not None else walk)
        # The sample is of the whole catalog: it speaks for an unfiltered list only.
        unfiltered = None if queryset.query.has_filters() else share
        if sku is None:
            return Found(rows, queryset.filter(words), unfiltered)
        union = Q(pk__in=base.filter(sku).values("pk")) | Q(pk__in=base.filter(words).values("pk"))
        return Found(rows, queryset.filter(union), unfiltered)
    if sku is None:
        return Found(queryset.filter(words), queryset.filter(words))
    # Both ways could match: ask each for one row from its index first (the SKU first:
    # a word that starts no SKU, the usual case, needs no second probe).
    if not base.filter(sku).exists():
        found = queryset.filter(words)
    elif not base.filter(words).exists():
        found = queryset.filter(sku)
    else:
        union = Q(pk__in=base.filter(sku).values("pk")) | Q(pk__in=base.filter(words).values("pk"))
        found = queryset.filter(union)
    return Found(found, found)
