"""Word-by-word diffs of text, for the History pages' track-changes view.

One word changed in a 650-character description used to show both whole texts, and the
editor had to find the difference. Here a text change is one run of pieces: unchanged
text, removed words, added words; unchanged stretches far from any change are folded
("… 12 words …") so the change is what the eye meets. Pure: no Django, no HTML (the
admin renders the pieces: ``catalog.admin.history_diff``).
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

#: A word with the spaces after it; text that starts with spaces keeps them as a token.
_TOKEN = re.compile(r"\S+\s*|\s+")

#: Unchanged words kept on each side of a change: enough to recognise the sentence.
CONTEXT_WORDS = 6
#: A fold hides at least this many words: folding two words would save nothing.
MIN_FOLD_WORDS = 4

Kind = Literal["same", "removed", "added", "folded"]


@dataclass(frozen=True)
class Piece:
    """A run of text in the diff. ``folded``: unchanged text hidden behind "… N words …"."""

    kind: Kind
    text: str
    #: How many words ``text`` holds (what a fold says).
    words: int


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _words(tokens: list[str]) -> int:
    return sum(1 for token in tokens if token.strip())


def text_diff(old: str, new: str) -> list[Piece]:
    """The pieces that turn ``old`` into ``new``, word by word, with far context folded.

    Words are compared without the spaces after them (a full stop followed by a new
    sentence is the same word), and unchanged text is shown with the new spacing. Only
    when nothing but the spacing or line breaks changed is the whole text shown removed
    and added, so such a change is still visible. Removed words come before the words
    that replace them, as in a track-changes view.
    """
    a, b = _tokens(old), _tokens(new)
    raw: list[tuple[Kind, list[str]]] = []
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            raw.append(("same", b[b1:b2]))
            continue
        if a2 > a1:
            raw.append(("removed", a[a1:a2]))
        if b2 > b1:
            raw.append(("added", b[b1:b2]))
    if old != new and all(kind == "same" for kind, _ in raw):
        raw = [("removed", a), ("added", b)]
    pieces: list[Piece] = []
    for n, (kind, tokens) in enumerate(raw):
        if kind != "same":
            pieces.append(Piece(kind, "".join(tokens), _words(tokens)))
            continue
        pieces.extend(_fold(tokens, first=n == 0, last=n == len(raw) - 1))
    return pieces


def _fold(tokens: list[str], *, first: bool, last: bool) -> list[Piece]:
    """An unchanged stretch: keep ``CONTEXT_WORDS`` next to each change, fold the rest.

    At the start of the text only the words before the first change are kept, at its
    end only those after the last one.
    """
    keep_head = 0 if first else CONTEXT_WORDS
    keep_tail = 0 if last else CONTEXT_WORDS
    if first and last:  # no change at all: nothing to point at, nothing to fold
        keep_head = len(tokens)
    if len(tokens) - keep_head - keep_tail < MIN_FOLD_WORDS:
        return [Piece("same", "".join(tokens), _words(tokens))]
    head, middle = tokens[:keep_head], tokens[keep_head : len(tokens) - keep_tail]
    tail = tokens[len(tokens) - keep_tail :]
    pieces = []
    if head:
        pieces.append(Piece("same", "".join(head), _words(head)))
    pieces.append(Piece("folded", "".join(middle), _words(middle)))
    if tail:
        pieces.append(Piece("same", "".join(tail), _words(tail)))
    return pieces
