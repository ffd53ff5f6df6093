"""The query language and the highlighting, without a database."""

import pytest

from tracker.search import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    Highlighted,
    highlight,
    match_spans,
    parse_query,
    snippet,
    word_spans,
)
from tracker.search_sqlite import match_expression


def labels(raw: str) -> tuple[list[list[str]], list[str]]:
    parsed = parse_query(raw)
    return (
        [[t.label() for t in group] for group in parsed.groups],
        [t.label() for t in parsed.excluded],
    )


def test_words_phrases_prefixes_or_and_exclusions():
    assert labels('nuclear "joint exercises" exerc* Riyadh OR Tehran -postponed') == (
        [["nuclear"], ['"joint exercises"'], ["exerc*"], ["Riyadh", "Tehran"]],
        ["postponed"],
    )
    assert labels('-"naval drills" navy') == ([["navy"]], ['"naval drills"'])
    assert labels('"joint exer"*') == ([['"joint exer"*']], [])


@pytest.mark.parametrize(
    "raw",
    ['"', "*", "-", "OR", "OR OR", "AND", "(", ")", "NEAR(", "", "   ", "!!", "&|", "<->", ":"],
)
def test_operators_alone_give_an_empty_query_not_an_error(raw):
    parsed = parse_query(raw)
    if raw == "NEAR(":
        assert labels(raw) == ([["NEAR("]], [])  # a word like any other
    else:
        assert parsed.empty


def test_or_at_the_edges_and_repeated_is_ignored():
    assert labels("OR a OR OR b OR") == ([["a", "b"]], [])


def test_only_exclusions_is_explained():
    parsed = parse_query("-iran")
    assert parsed.empty
    assert any("only leaves words out" in n for n in parsed.notes)


def test_unclosed_quote_runs_to_the_end():
    assert labels('talks "joint naval') == ([["talks"], ['"joint naval"']], [])


def test_long_input_is_bounded():
    parsed = parse_query("word " * 5000)
    assert len(parsed.positive_terms) == MAX_TERMS
    assert any(str(MAX_QUERY_CHARS) in n for n in parsed.notes)
    assert any(str(MAX_TERMS) in n for n in parsed.notes)


def test_nul_and_control_characters_are_plain_text():
    assert labels("a\x00b") == ([["a"], ["b"]], [])


def test_fts5_expression_quotes_every_term():
    expression = match_expression(parse_query('NEAR(a b) "x" title:y -"z""" c*'))
    assert expression == ('(("NEAR(a") AND ("b)") AND ("x") AND ("title:y") AND ("c" *)) NOT ("z")')


def test_fts5_expression_doubles_quotes_inside_terms():
    parsed = parse_query("it's")
    assert match_expression(parsed) == '("it\'s")'


def test_word_spans_fold_case_and_latin_accents_but_keep_other_scripts():
    assert [w for _, _, w in word_spans("Café ZÜRICH déjà-vu")] == ["cafe", "zurich", "deja", "vu"]
    assert [w for _, _, w in word_spans("پاکستان می‌خواهم")] == ["پاکستان", "می", "خواهم"]
    assert [w for _, _, w in word_spans("हैलो वर्ल्ड")] == ["हैलो", "वर्ल्ड"]


def test_highlight_marks_words_phrases_and_prefixes():
    terms = parse_query('"joint naval" exerc*').positive_terms
    text = "Joint naval exercises; joint  naval drills; exercise"
    found = highlight(text, terms)
    assert found.marked() == "«Joint naval» «exercises»; «joint  naval» drills; «exercise»"
    assert found.parts()[0] == ("Joint naval", True)


def test_highlight_does_not_match_inside_words():
    assert match_spans("Iranian policy", parse_query("Iran").positive_terms) == []
    assert match_spans("Iranian policy", parse_query("Iran*").positive_terms) == [(0, 7)]


def test_snippet_windows_long_text_around_the_first_match():
    text = ("filler " * 80) + "the decisive word here " + ("more " * 80)
    cut = snippet(text, parse_query("decisive").positive_terms, size=80)
    assert cut.text.startswith("…") and cut.text.endswith("…")
    assert len(cut.text) <= 82
    (start, end) = cut.spans[0]
    assert cut.text[start:end] == "decisive"


def test_snippet_of_short_text_is_the_text():
    assert snippet("short", parse_query("short").positive_terms) == Highlighted("short", ((0, 5),))


def test_marked_uses_the_given_markers():
    assert Highlighted("a b", ((2, 3),)).marked("[", "]") == "a [b]"
