"""The vocabulary files keep the format their README states: one spelling per term (also
once accents are removed, and never both `word` and `word*`), lowercase terms, 1 to 6
expansion words, and every term is found by the vocabulary built from its own file."""
from __future__ import annotations

import pytest

from assistant.vocabulary import FILES, FOLDER, SITUATIONS, build, parse
from terms.text import fold

NAMES = [*FILES.values(), SITUATIONS]


def entries(name: str) -> list[tuple[str, str]]:
    out = []
    for line in (FOLDER / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert line.count("\t") == 1, f"{name}: not TERM<TAB>EXPANSION: {line!r}"
            term, words = line.split("\t")
            out.append((term, words))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_one_spelling_per_term(name):
    seen: dict[str, str] = {}
    for term, _ in entries(name):
        key = " ".join(fold(term).replace("'", " ").split())
        stem = key.removesuffix("*")
        for other in (stem, stem + "*"):
            assert other not in seen, f"{name}: {term!r} repeats {seen[other]!r}"
        seen[key] = term


@pytest.mark.parametrize("name", NAMES)
def test_terms_and_expansions_keep_the_format(name):
    for term, words in entries(name):
        assert term == term.strip().lower() and term, f"{name}: {term!r}"
        assert "*" not in term[:-1], f"{name}: '*' only ends a term: {term!r}"
        parts = [w.strip() for w in words.split("|")]
        assert 1 <= len(parts) <= 6 and all(parts), f"{name}: {term!r} -> {words!r}"


@pytest.mark.parametrize("name", NAMES)
def test_every_term_finds_its_own_words(name):
    """A term that a longer or exact neighbour always hides would never expand."""
    vocabulary = build(parse([f"{t}\t{w}" for t, w in entries(name)]))
    hidden = []
    for term, words in entries(name):
        text = term.removesuffix("*") + ("s" if term.endswith("*") else "")
        if " ".join(w.strip() for w in words.split("|")) not in vocabulary.expand(text):
            hidden.append(term)
    assert not hidden, f"{name}: never expanded: {hidden[:20]}"
