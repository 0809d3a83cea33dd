"""The words a question uses, in the words the terms use.

Sales staff write "propale", "boîte", "virer le client"; support agents write "quotation",
"head office", "late payment"; the terms say "proposition commerciale", "société",
"résiliation", "devis", "siège social", "règlement hors délai". Two general vocabularies
(``vocabulary/en_fr.tsv``: English legal and business terms; ``vocabulary/fr_colloquial.tsv``:
French business slang, abbreviations and common misspellings) map one to the other.

A third (``vocabulary/situations.tsv``) maps the words of a story to the clause that
governs it: "on a les logs" -> "preuve, enregistrements"; "threatening to sue us for
millions" -> "responsabilité, plafond". Sales staff tell situations rather than name
clauses; the words of the story rarely occur in the clause.

All three were written from general legal and commercial vocabulary, not from any
question set, so they can be judged on questions they were not built from. Each file is
matched on its own (a situation phrase and a word rendering may overlap in a question).

A term matches on word boundaries of the folded question; a term ending in ``*`` matches
the start of a word ("terminat*" matches "terminated").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from terms.text import fold

FOLDER = Path(__file__).with_name("vocabulary")
FILES = {"en": "en_fr.tsv", "fr": "fr_colloquial.tsv"}
SITUATIONS = "situations.tsv"  # both languages


@dataclass(frozen=True)
class Vocabulary:
    # folded term (without its "*") -> the terms' words for it, main rendering first
    expansions: dict[str, tuple[str, ...]]
    # How terms are found: a question's words are looked up, not matched against one
    # regular expression of every term (an alternation of thousands of strings is tried
    # alternative by alternative at each word: 0.2-0.4 ms a question and vocabulary).
    exact: frozenset[str] = frozenset()  # folded exact terms
    exact_words: int = 0  # words in the longest exact term
    # prefix terms by their words before the last ("" for one-word prefixes) -> last words
    prefix_heads: dict[str, frozenset[str]] = field(default_factory=dict)
    head_words: tuple[int, ...] = ()  # the heads' word counts
    last_chars: int = 0  # the longest last word of a prefix term

    def expand(self, text: str, first_only: bool = False) -> str:
        """The terms' words for the words of ``text`` that the vocabulary knows, in order,
        each once ("" when none); with ``first_only``, each term's main rendering alone.

        >>> v = build({"uptime": ("disponibilité", "taux de disponibilité")})
        >>> v.expand("Uptime?"), v.expand("Uptime?", first_only=True)
        ('disponibilité taux de disponibilité', 'disponibilité')
        """
        if not self.expansions:
            return ""
        out: list[str] = []
        for term in self.found(_padded(text).split()):
            alternatives = self.expansions[term]
            words = " ".join(alternatives[:1] if first_only else alternatives)
            if words not in out:
                out.append(words)
        return " ".join(out)

    def found(self, words: list[str]) -> Iterator[str]:
        """The terms found in a text's words, left to right (a prefix term without its "*").

        At each word, the longest exact term that starts there, else the longest prefix
        term (its last word may go on in letters and digits: "terminat*" covers
        "terminated"); the search goes on after the words the term covers.

        >>> list(build({"head office": ("siège",), "head": ("tête",), "terminat*": ("fin",)}).found(
        ...     "the head office terminated it".split()))
        ['head office', 'terminat']
        """
        i = 0
        while i < len(words):
            term, covered = self._exact_at(words, i) or self._prefix_at(words, i) or (None, 1)
            if term is not None:
                yield term
            i += covered

    def _exact_at(self, words: list[str], i: int) -> tuple[str, int] | None:
        """The longest exact term starting at word ``i``, and the words it covers."""
        for n in range(min(self.exact_words, len(words) - i), 0, -1):
            term = " ".join(words[i:i + n])
            if term in self.exact:
                return term, n
        return None

    def _prefix_at(self, words: list[str], i: int) -> tuple[str, int] | None:
        """The longest prefix term starting at word ``i``, and the words it covers."""
        best = None
        for n in self.head_words:
            if i + n >= len(words):
                break
            head = " ".join(words[i:i + n])
            lasts = self.prefix_heads.get(head)
            if lasts is None:
                continue
            word = words[i + n]
            for size in range(min(len(word), self.last_chars), 0, -1):  # the longest last word first
                if word[:size] in lasts and _CONTINUES.fullmatch(word, size):
                    term = f"{head} {word[:size]}" if head else word[:size]
                    if best is None or len(term) > len(best[0]):
                        best = term, n + 1
                    break
        return best


# What may follow a prefix term's last letters in the word it covers.
_CONTINUES = re.compile(r"[0-9a-z]*")


def _padded(text: str) -> str:
    """Folded words between single spaces; a full stop is kept only inside a word ("excl.
    tax", "net 30." -> "net 30")."""
    kept = re.sub(r"[^0-9a-z@&%€'+.-]+", " ", fold(text)).replace("'", " ")
    return " " + " ".join(re.sub(r"\.+(?= |$)", " ", kept).split()) + " "


def parse(lines: list[str]) -> dict[str, tuple[str, ...]]:
    """``TERM<TAB>word | word`` lines (``#`` comments) as {term: ("word", "word")}.

    >>> parse(["# c", "head office\\tsiège social | siège", "terminat*\\trésiliation"])
    {'head office': ('siège social', 'siège'), 'terminat*': ('résiliation',)}
    """
    out: dict[str, tuple[str, ...]] = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#") or "\t" not in line:
            continue
        term, words = line.split("\t", 1)
        term = " ".join(fold(term).replace("'", " ").split())
        words = tuple(w.strip() for w in words.split("|") if w.strip())
        if term and words:
            out[term] = words
    return out


def build(entries: dict[str, tuple[str, ...]]) -> Vocabulary:
    """The vocabulary of ``entries``; the longest term wins where several start at a word.

    >>> build({"head office": ("siège social",), "terminat*": ("résiliation",)}).expand("Terminated? Head office.")
    'résiliation siège social'
    """
    if not entries:
        return Vocabulary({})
    exact = {t: w for t, w in entries.items() if not t.endswith("*")}
    prefixes = {t[:-1]: w for t, w in entries.items() if t.endswith("*")}
    heads: dict[str, set[str]] = {}
    for p in prefixes:
        head, _, last = p.rpartition(" ")
        heads.setdefault(head, set()).add(last)
    # An exact term wins over any prefix term at the same word (then the longest of each).
    return Vocabulary({**exact, **prefixes}, frozenset(exact),
                      max((len(t.split()) for t in exact), default=0),
                      {head: frozenset(lasts) for head, lasts in heads.items()},
                      tuple(sorted({len(head.split()) for head in heads})),
                      max((len(last) for lasts in heads.values() for last in lasts), default=0))


def _entries(names: list[str]) -> dict[str, tuple[str, ...]]:
    entries: dict[str, tuple[str, ...]] = {}
    for name in names:
        path = FOLDER / name
        if path.exists():
            for term, words in parse(path.read_text(encoding="utf-8").splitlines()).items():
                entries.setdefault(term, words)
    return entries


@lru_cache(maxsize=None)
def vocabulary(language: str) -> Vocabulary:
    """The word vocabulary for questions in ``language`` (English questions also use slang
    rarely, French questions use anglicisms often: French gets both)."""
    return build(_entries([FILES["en"]] if language == "en" else [FILES["fr"], FILES["en"]]))


@lru_cache(maxsize=None)
def situations() -> Vocabulary:
    """Story words -> the words of the clause that governs the situation (any language)."""
    return build(_entries([SITUATIONS]))


@lru_cache(maxsize=4096)  # one question is read by several stages (each pass costs ~0.4 ms)
def story(text: str, first_only: bool = False) -> str:
    """The clause words the situations vocabulary gives for a story's words ("" when none)."""
    return situations().expand(text, first_only)


@lru_cache(maxsize=4096)  # one question is expanded by several stages
def expand(text: str, language: str, corpus_language: str = "fr", first_only: bool = False) -> str:
    """The terms' words for a question's words ("" when it needs none); with
    ``first_only``, each term's main rendering alone.

    The vocabularies render into formal French: they serve French documents (an English
    question, or colloquial French); for documents in English they have nothing to add.

    >>> expand("late payment", "en"), expand("late payment", "en", corpus_language="en")
    ('retard de paiement règlement hors délai pénalités de retard', '')
    >>> expand("late payment", "en", first_only=True)
    'retard de paiement'
    """
    if corpus_language != "fr":
        return ""
    words, told = vocabulary(language).expand(text, first_only), story(text, first_only)
    return f"{words} {told}".strip() if told else words
