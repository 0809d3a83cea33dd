"""Nothing a model returns is trusted: each sentence of its reply is checked against the
passages it cites (markers in range, numbers and most words found there, « quotes »
found verbatim) before it is shown."""
from __future__ import annotations

import re

from terms.records import DocumentInfo, Passage
from terms.text import ends_with_abbreviation, fold, sentence_spans, tokens
from terms.text import first_sentence as first_sentence_of_text

from ..answer import Answer, citation, label, where
from .errors import LLMUnavailable
from .prompts import echoes_prompt
from ..vocabulary import expand

MIN_SHARED = {"fr": 0.5, "en": 0.0}  # share of a sentence's terms its cited passages must hold
# An answer quotes, like an extractive one, a few sentences of at most three passages:
# a model asked to "copy the whole CGS" must not get a document out of us.
MAX_CITED = 3
MAX_QUOTED_CHARS = 1200
MAX_QUOTED_SENTENCES = 3
UNVERIFIED_QUOTE = {"fr": " (formulation non vérifiée)", "en": " (wording not verified)"}


_MARKER = re.compile(r"\s*\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKER_RUN = re.compile(r"(?:\s*\[[^\]\n]*\])*")
_UNDECIDED = re.compile(r"\s*(?:\[[^\]\n]*)?")
_QUOTE = re.compile(r"«\s*(.+?)\s*»", re.S)


def split_sentences(text: str, final: bool = True) -> list[tuple[str, str]]:
    """(separator before it, sentence) for each sentence of a model's reply.

    Markers after the full stop stay with their sentence; quotes and abbreviations
    ("art. 3", "L. 441-10") do not end one; a line break always does. With
    final=False (a reply still arriving) a full stop followed only by spaces or the
    start of a marker is not yet an end.

    >>> split_sentences("Selon l'art. 3, « payables. » [1]. Voir aussi [2].\\n- Item [2]")
    [('', "Selon l'art. 3, « payables. » [1]."), (' ', 'Voir aussi [2].'), ('\\n', '- Item [2]')]
    """
    raw: list[str] = []
    start, depth, i, n = 0, 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "«":
            depth += 1
        elif c == "»":
            depth = max(0, depth - 1)
        elif c == "\n":
            raw.append(text[start:i])
            start, depth = i, 0
        elif c in ".!?…" and depth == 0:
            j = i + 1
            while j < n and text[j] in ".!?…\"”’')":
                j += 1
            j = _MARKER_RUN.match(text, j).end()
            if not final and _UNDECIDED.fullmatch(text, j):
                break
            if (j == n or text[j].isspace()) and not ends_with_abbreviation(text, i):
                raw.append(text[start:j])
                start = i = j
                continue
        i += 1
    raw.append(text[start:])
    out, pending = [], ""
    for piece in raw:
        if not piece.strip():
            pending += piece
            continue
        lead = pending + piece[: len(piece) - len(piece.lstrip())]
        separator = "\n\n" if lead.count("\n") > 1 else "\n" if "\n" in lead else " " if out else ""
        out.append((separator, piece.strip()))
        pending = ""
    return out


def locate(haystack: str, needle: str) -> str | None:
    """The passage's own text that `needle` matches, ignoring case, accents and spacing
    (the test of assistant.answer.contains), or None.

    >>> locate("payables à 30 jours  date de facture", "PAYABLES A 30 JOURS DATE")
    'payables à 30 jours  date'
    """
    target = " ".join(fold(needle).split())
    if not target:
        return None
    chars: list[str] = []
    origin: list[int] = []
    for k, c in enumerate(haystack):
        for f in fold(c):
            if f.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    origin.append(k)
            else:
                chars.append(f)
                origin.append(k)
    at = "".join(chars).find(target)
    if at < 0:
        return None
    return haystack[origin[at]: origin[at + len(target) - 1] + 1]


# -- support: numbers and words ---------------------------------------------------------
_NUMBER_WORDS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "soixante-dix": 70, "quatre-vingt": 80,
    "quatre-vingts": 80, "quatre-vingt-dix": 90, "cent": 100, "mille": 1000,
    "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
}
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(
    r"[\s-]+".join(map(re.escape, w.split("-"))) for w in sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")


def with_digits(text: str) -> str:
    """Folded text with number words written as digits ("trente jours" -> "30 jours")."""
    return _NUMBER_WORD.sub(lambda m: f" {_NUMBER_WORDS['-'.join(m.group().replace('-', ' ').split())]} ",
                            fold(text))


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", with_digits(text)))


def terms(text: str, language: str) -> set[str]:
    """The content terms a sentence must share with its passages (French stems)."""
    text = with_digits(text)
    found = set(tokens(text, "fr"))
    if language == "en":
        found |= set(tokens(expand(text, "en"), "fr"))
    return {t for t in found if not t.isdigit()}


class Verifier:
    """Checks a reply sentence by sentence against the passages of the prompt."""

    def __init__(self, passages: list[Passage], docs: list[DocumentInfo | None], language: str) -> None:
        self.passages, self.docs, self.language = passages, docs, language
        names = [f"{p.text} {p.context} {label(p, d)} {where(p, d, 'fr')}" for p, d in zip(passages, docs)]
        self._terms = [terms(x, "fr") for x in names]
        self._numbers = [numbers(x) for x in names]
        self.numbering: dict[int, int] = {}  # prompt's passage number -> answer's citation number
        self.quotes: dict[int, str] = {}  # prompt's passage number -> first verified quote
        self.parts: list[str] = []
        self.dropped: list[tuple[str, str]] = []  # (why, sentence), for the log
        self._separator = ""
        self._quoted_chars = 0
        self._quoted_sentences = 0

    def add(self, separator: str, sentence: str) -> str | None:
        """The sentence as shown (with its separator), or None when it is dropped."""
        if len(separator) > len(self._separator):
            self._separator = separator
        if echoes_prompt(sentence):
            raise LLMUnavailable("echo")
        segments, markers, at = [], [], 0  # the text between markers, and each marker's numbers
        for m in _MARKER.finditer(sentence):
            segments.append(sentence[at:m.start()])
            markers.append([n for n in map(int, re.split(r"[,;]", m.group(1))) if 1 <= n <= len(self.passages)])
            at = m.end()
        segments.append(sentence[at:])
        cited = list(dict.fromkeys(n for numbers_ in markers for n in numbers_))
        if not cited:
            return self._drop("no valid citation", sentence)
        if len(set(self.numbering) | set(cited)) > MAX_CITED:
            return self._drop(f"cites more than {MAX_CITED} passages", sentence)
        why = self._unsupported(re.sub("[«»]", " ", "".join(segments)), cited)
        if why:
            return self._drop(why, sentence)
        found: dict[int, str] = {}
        verified: list[str] = []

        def verify(m: re.Match) -> str:
            for n in cited:
                if exact := locate(self.passages[n - 1].text, m.group(1)):
                    found.setdefault(n, exact)
                    verified.append(exact)
                    return f"\x02{exact}\x03"
            self.dropped.append(("quote not in its passage", m.group(1)))
            return m.group(1) + UNVERIFIED_QUOTE.get(self.language, UNVERIFIED_QUOTE["fr"])

        quoted = [_QUOTE.sub(verify, segment) for segment in segments]
        chars = sum(len(q) for q in verified)
        count = sum(len(sentence_spans(q)) for q in verified)
        if (self._quoted_chars + chars > MAX_QUOTED_CHARS
                or self._quoted_sentences + count > MAX_QUOTED_SENTENCES):
            return self._drop("quotes too long", sentence)
        self._quoted_chars += chars
        self._quoted_sentences += count
        for n in cited:
            self.numbering.setdefault(n, len(self.numbering) + 1)
        shown = ""
        for k, segment in enumerate(quoted):
            shown += segment
            if k < len(markers) and markers[k]:
                shown += " " + "".join(f"[{self.numbering[n]}]" for n in dict.fromkeys(markers[k]))
        # A « without its » (or one split by a marker) is no verified quote either.
        shown = re.sub("[«»]", "", shown).replace("\x02", "« ").replace("\x03", " »")
        shown = re.sub(r" +([.,])", r"\1", re.sub(r"[ \t]+", " ", shown)).strip()
        for n, exact in found.items():
            self.quotes.setdefault(n, exact)
        text = (self._separator if self.parts else "") + shown
        self.parts.append(text)
        self._separator = ""
        return text

    def _unsupported(self, body: str, cited: list[int]) -> str:
        have_numbers = set().union(*(self._numbers[n - 1] for n in cited))
        if missing := numbers(body) - have_numbers:
            return f"numbers not in the cited passages: {sorted(missing)}"
        mine = terms(body, self.language)
        shared = mine & set().union(*(self._terms[n - 1] for n in cited))
        if not shared:
            return "no words in common with the cited passages"
        if len(shared) < MIN_SHARED.get(self.language, 0.5) * len(mine):
            return f"too few words in common with the cited passages ({len(shared)}/{len(mine)})"
        return ""

    def _drop(self, why: str, sentence: str) -> None:
        self.dropped.append((why, sentence))
        return None

    def answer(self, base: Answer, first_sentence_of) -> Answer:
        if not self.parts:
            raise LLMUnavailable("unverified" if self.dropped else "empty")
        base_quotes = {c.passage_id: c.quote for c in base.citations if not c.supporting}
        citations = []
        for n in sorted(self.numbering, key=self.numbering.get):
            p, doc = self.passages[n - 1], self.docs[n - 1]
            quote = self.quotes.get(n) or base_quotes.get(p.id) or first_sentence_of(p)
            citations.append(citation(p, quote, doc))
        cited = {c.passage_id for c in citations}
        citations += [c for c in base.citations if c.supporting and c.passage_id not in cited]
        return Answer("".join(self.parts).strip(), citations, False, base.confidence, base.language, "llm",
                      pointers=base.pointers, question=base.question, hits=base.hits)


def first_sentence(p: Passage) -> str:
    """The passage's first sentence, verbatim: the quote of a cited passage the model did
    not quote (the snapshot's stored sentences give a better one when available)."""
    return first_sentence_of_text(p.text)
