"""Word-by-word diffs (catalog.textdiff): what changed is marked, far context folded."""

from catalog.textdiff import CONTEXT_WORDS, Piece, text_diff


def _kinds(pieces: list[Piece]) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in pieces]


def test_one_changed_word_is_removed_then_added_between_unchanged_words():
    assert _kinds(text_diff("A light grey shoe", "A light blue shoe")) == [
        ("same", "A light "),
        ("removed", "grey "),
        ("added", "blue "),
        ("same", "shoe"),
    ]


def test_unchanged_text_far_from_the_change_is_folded_with_its_word_count():
    words = [f"w{n}" for n in range(40)]
    old = " ".join(words)
    new = " ".join([*words[:20], "NEW", *words[21:]])

    pieces = text_diff(old, new)

    assert [p.kind for p in pieces] == ["folded", "same", "removed", "added", "same", "folded"]
    assert pieces[0].words == 20 - CONTEXT_WORDS and pieces[1].words == CONTEXT_WORDS
    assert (pieces[2].text, pieces[3].text) == ("w20 ", "NEW ")
    assert pieces[-1].words == 19 - CONTEXT_WORDS
    # Nothing is lost: the pieces without the removed words are the new text.
    assert "".join(p.text for p in pieces if p.kind != "removed") == new


def test_a_short_stretch_between_two_changes_is_not_folded():
    pieces = text_diff("one two three four five", "ONE two three four FIVE")

    assert [p.kind for p in pieces] == ["removed", "added", "same", "removed", "added"]


def test_words_added_at_the_end_and_a_text_emptied():
    assert _kinds(text_diff("Soft cotton.", "Soft cotton. Machine washable.")) == [
        ("same", "Soft cotton. "),
        ("added", "Machine washable."),
    ]
    assert _kinds(text_diff("Gone now", "")) == [("removed", "Gone now")]


def test_a_change_of_line_breaks_only_still_shows():
    assert _kinds(text_diff("Soft\ncotton", "Soft cotton")) == [
        ("removed", "Soft\ncotton"),
        ("added", "Soft cotton"),
    ]
