"""The typed records that cross every stage boundary."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocumentInfo:
    """One entry of the corpus manifest (the document may be absent)."""

    id: str
    title: str
    version: str = ""
    kind: str = "general"
    language: str = "fr"
    effective: str = ""
    url: str = ""
    file: str | None = None
    short: str = ""  # how answers name it: "CGS", "DPA"…
    topics: tuple[str, ...] = ()  # words that point a question to this document
    names: tuple[str, ...] = ()  # what people call it ("DPA", "code de conduite"): a question naming it asks about it

    @property
    def label(self) -> str:
        return self.short or self.title


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    text: str


@dataclass(frozen=True)
class Passage:
    """A slice of a document's cleaned text, with its place in the document."""

    doc_id: str
    version: str
    text: str
    start: int
    end: int
    pages: tuple[int, ...]
    article: str = ""  # "3", "7.2", "III" or "" (preamble / unnumbered)
    article_title: str = ""
    headings: tuple[str, ...] = ()  # path below the article: ("Règlement",) …
    kind: str = "body"  # body | definition | preamble
    term: str = ""  # defined term for kind == "definition"
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", passage_id(self.doc_id, self.heading_path, self.text))

    @property
    def heading_path(self) -> tuple[str, ...]:
        head = (f"{self.article}. {self.article_title}".strip(". ") if self.article else self.article_title,)
        return tuple(h for h in head + self.headings if h)

    @property
    def context(self) -> str:
        """The heading path as one line, repeated in front of the text when embedding."""
        return " > ".join(self.heading_path)

    def provenance(self) -> dict:
        """The passage and where it sits, as plain JSON-ready data.

        >>> Passage("cgs", "CGS 1", "Texte.", 10, 16, (2,), "3").provenance()["pages"]
        [2]
        """
        return {"id": self.id, "doc_id": self.doc_id, "version": self.version, "article": self.article,
                "article_title": self.article_title, "headings": list(self.headings), "pages": list(self.pages),
                "start": self.start, "end": self.end, "kind": self.kind, "term": self.term, "text": self.text}


@dataclass(frozen=True)
class Sentence:
    passage_id: str
    text: str
    start: int  # offsets into the cleaned document text
    end: int


def passage_id(doc_id: str, path: tuple[str, ...], text: str) -> str:
    digest = hashlib.sha256("\x1f".join((doc_id, *path, text)).encode()).hexdigest()[:16]
    return f"{doc_id}:{digest}"
