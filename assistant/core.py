"""The assistant: a question in, an answer with exact clause citations out."""
from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ingest import Embedder, Index, is_present, make_client, read_manifest, settings_embedder
from ingest.use_channel import load_use
from terms.instructions import reads_as_instruction
from terms.records import DocumentInfo, Passage
from terms.settings import Settings
from terms.text import detect_language, fold, tokens, with_accents

from . import messages
from . import decide as answerability
from .answer import Answer, Citation, citation, merge_quotes, select_sentences, where
from .asks import (FIGURES, asked_parts, asks, asks_document, figure_subject, figure_word_terms, figures_asked,
                   proposed_figures, states, story_parts, wants_exact)
from . import background
from .background import Background
from .followup import rewrite, topic_words
from .guard import check_question, substance
from .parties import as_roles
from .retrieve import Hit, HybridSearch, Snapshot
from .tasks import task_request
from .vocabulary import expand


# A follow-up at most this long also ranks sentences by its own words (one more embedding).
OWN_VECTOR_TOKENS = 40
# A follow-up ranks passages by its standalone question (the history's topic and its own
# words), plus this weight times the ranking of its own words alone: "et si c'est lui qui
# veut résilier ?" after a question on unpaid invoices is about termination first, not
# about the unpaid invoices its standalone form repeats. Chosen on the 11 dev splits (MRR
# summed over the seven fitted / the four others): 6.702 / 3.826 without, 6.702 / 3.835 at
# 0.25, 6.707 / 3.835 at 0.5, 6.702 / 3.836 at 1 (one follow-up lost); quotes and key
# facts 3.824 -> 3.840 on the four from 0.25; out of scope unchanged.
FOLLOW_UP_OWN_WEIGHT = 0.5

# Question embeddings run here, at most one per core at a time (more would only wait
# for each other: each call is pinned to one thread).
EMBEDDING = ThreadPoolExecutor(max_workers=max(1, len(os.sched_getaffinity(0))), thread_name_prefix="query-embedding")


def query_threads(embedder: Embedder) -> int:
    """The threads the embedder's next question would take (1 for embedders that do not say)."""
    count = getattr(embedder, "query_thread_count", None)
    return count() if count is not None else 1


@dataclass(frozen=True)
class Query:
    """The question as the pipeline reads it (stage 1's output)."""

    question: str  # cleaned, as asked
    standalone: str  # a follow-up rewritten with its history; else the question
    language: str  # "fr" | "en"
    history: tuple[str, ...] = ()
    searched: str = ""  # what retrieval reads: the standalone question, parties named by their role

    def __post_init__(self) -> None:
        if not self.searched:
            object.__setattr__(self, "searched", self.standalone)

    @property
    def is_follow_up(self) -> bool:
        return self.standalone != self.question


@dataclass(frozen=True)
class Evidence:
    """What retrieval found (stage 2's output)."""

    hits: list[Hit]
    snapshot: Snapshot
    query_vector: np.ndarray
    sentence_vector: np.ndarray  # ranks sentences: a follow-up's own words count too
    k: int
    firsts: dict[str, str | None] = dataclasses.field(default_factory=dict)  # channel -> its first passage
    use_vector: np.ndarray | None = None  # the question's USE vector (without the second channel: None)
    use_best: float | None = None  # its similarity with the nearest passage
    # Each part's best sentences, once ranked: the decision and the quotes both read them.
    parts: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)


# (passage, start, end, score): a sentence in its passage's own offsets (stage 3's output).
Picked = tuple[Passage, int, int, float]


@dataclass(frozen=True)
class Decision:
    """Answer or abstain (stage 4's output)."""

    answer: bool
    confidence: float  # 0..1; 0.5 is the line
    pointers: list[dict[str, str]]  # absent documents the question belongs to
    # Why not: "" (it answers), "no_evidence", or "not_given" (the terms touch the topic
    # but do not state the figure asked for).
    reason: str = ""


# A question that asks two things (``Assistant._each_part``): each part chooses its sentence
# among the passages the whole question retrieved (the first PART_POOL), the best one not
# quoted yet among its PART_CANDIDATES best, if it scores within PART_MARGIN of the part's
# best. Chosen on the six dev splits (key facts summed over them; mean quote length on
# scenarios-new): 5.393 and 474 characters without parts; 5.419 and 484 with each part's
# best sentence; 5.434 and 515 with its best new one at any margin, 5.444 and 496 within
# 0.05, 5.434 and 502 within 0.1 (quotes 5.496 -> 5.512 at 0.05). The passages the parts
# choose from, the first 5 or 10: the same answers.
# A later part borrows the earlier parts' topic only when it names at most PART_OWN_WORDS
# content words of its own ("et si on le dépasse ?", "if so what's the cap?"). On the dev
# splits (key facts): 1 and 2 the same, scenarios-new, -blind and -floor one case each
# better than borrowing always; 3 gives back scenarios-floor's case.
# The parts' sentences are kept first, within max_quote_sentences - 1 + PART_ROOM + one per
# part (the whole question's third sentence used to push out the second part's). On the
# dev splits, key facts summed over the seven fitted splits and over the four others:
# 6.650 and 3.783 with no room added, 6.666 and 3.795 with one sentence (mean quote 521 ->
# 534 characters on four splits). Each part was also searched on
# its own (its own passages rather than the whole question's): no better (6.663 and 3.787),
# and one more out-of-scope question answered: left out.
PART_POOL = 10
PART_CANDIDATES = 4
PART_MARGIN = 0.05
PART_OWN_WORDS = 2
PART_ROOM = 1

# A word of a document's name is also named by its first letters, this many at least ("spé"
# for "spécifiques"), when it is more than twice as long.
ABBREVIATION_CHARS = 3

# An answer this close to the abstention line (confidence 0.5 at the line, 1 far above it)
# says its clause is to be checked before it is quoted to a customer. Chosen on the five
# dev sets: 47% of the answers under 0.7 quote the sentence that answers (a third of them
# answer out-of-scope questions), 67% of those above; 11% of answers get the note.
CAUTION_BELOW = 0.7


class Assistant:
    """Answers questions from the indexed terms.

    >>> assistant = Assistant.from_settings(Settings())       # doctest: +SKIP
    >>> assistant.ask("Quel est le délai de paiement ?").citations[0].article  # doctest: +SKIP
    '3'
    """

    def __init__(self, settings: Settings, index: Index, llm=None) -> None:
        self.settings = settings
        self.index = index
        use = load_use() if settings.second_channel == "use" else None
        self.search = HybridSearch(index, use, settings.data_dir, settings.corpus_dir / "questions")
        # Questions compare with the background in USE's space (see background).
        self.background = self.foreground = None
        if use is not None:
            self.background = Background(use.name, use.encode, settings.data_dir / "channels")
            self.foreground = Background(use.name, use.encode, settings.data_dir / "channels",
                                         background.FOREGROUND_TEXTS, background.FOREGROUND_SHIPPED)
        self._absent: tuple[str, list[DocumentInfo]] | None = None
        self.documents: dict[str, DocumentInfo] = {d.id: d for d in read_manifest(settings.corpus_dir)}
        self.llm = llm

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None, client=None) -> "Assistant":
        embedder = embedder or settings_embedder(settings)
        index = Index(client or make_client(settings), embedder, settings.collection_prefix)
        llm = None
        if settings.llm_base_url:
            from .llm import LLM

            llm = LLM(settings)
        return cls(settings, index, llm)

    @property
    def embedder(self) -> Embedder:
        return self.index.embedder

    # -- public API ----------------------------------------------------------
    def ask(self, question: str, history: list[str] | None = None, k: int | None = None,
            mode: str | None = None) -> Answer:
        """Answer a question (with the earlier questions of the conversation)."""
        started = time.perf_counter()
        answer = self._extractive(question, history, k)
        if (mode or ("llm" if self.llm else "extractive")) == "llm" and self.llm and not answer.abstained:
            snap = self.search.snapshot()
            answer = self.llm.answer(for_model(answer, snap), self.documents, snap.first_sentence)
        answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return answer

    def stream(self, question: str, history: list[str] | None = None, k: int | None = None,
               mode: str | None = None) -> Iterator[str | Answer]:
        """Yield pieces of the answer text as they come, then the complete Answer."""
        started = time.perf_counter()
        base = self._extractive(question, history, k)
        if (mode or ("llm" if self.llm else "extractive")) == "llm" and self.llm and not base.abstained:
            snap = self.search.snapshot()
            final = yield from self.llm.stream(for_model(base, snap), self.documents, snap.first_sentence)
        else:
            for piece in re.findall(r"\S+\s*", base.text):
                yield piece
            final = base
        final.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        yield final

    def retrieve(self, query: str, k: int | None = None, language: str | None = None) -> list[Hit]:
        language = language or detect_language(query)
        return self.search.search(query, k or self.settings.k, language)

    def query_vector(self, question: str, language: str, corpus_language: str | None = None):
        """The question's embedding; an English question also carries the French words the
        vocabulary gives for its words, which pulls it towards the French clauses.

        Each word's main rendering only: every alternative doubled the text embedded (63
        tokens against 44 for the median question of scenarios-fresh dev) and ranked worse
        (English cases of the five dev splits, MRR summed: 4.606 with every alternative,
        4.617 with two, 4.651 with the first; the lexical channel keeps them all)."""
        corpus_language = corpus_language or self.search.snapshot().language
        if language != corpus_language:
            extra = expand(question, language, corpus_language, first_only=True)
            if extra:
                question = f"{question} ({extra})"
        return self.embedder.embed_queries([question])[0]

    def absent_documents(self) -> list[DocumentInfo]:
        """Documents the manifest knows whose file is not here. Looked up on disk once per
        index generation (a dropped-in PDF is ingested, which makes a new generation)."""
        generation = self.search.snapshot().generation
        if self._absent is None or self._absent[0] != generation:
            self._absent = (generation, [d for d in self.documents.values()
                                         if not is_present(d, self.settings.corpus_dir)])
        return self._absent[1]

    # -- the extractive pipeline: rewrite -> retrieve -> choose -> decide -> compose --
    def _extractive(self, question: str, history: list[str] | None, k: int | None) -> Answer:
        with self.search.pinned():
            query = self.rewrite(question, history)
            if not substance(query.question):
                # "Bonjour", "merci", "???", bare markup: nothing to look up; say what the chat does.
                return Answer(messages.no_question(query.language, query.question), [], True, 0.0, query.language,
                              "extractive",
                              question=query.question, reason="no_question")
            evidence = self.gather(query, k or self.settings.k)
            if task_request(query.question):
                # A role to play, a story or a clause to make up, an order to obey, and no
                # question besides: the nearest clause would answer what was never asked.
                # (What retrieval found is kept for the record: nothing of it is quoted.)
                return Answer(messages.task(query.language), [], True, 0.0, query.language, "extractive",
                              question=query.question, hits=evidence.hits[:evidence.k], reason="task")
            picked = self.choose(query, evidence)
            decision = self.decide(query, evidence, picked)
            return self.compose(query, evidence, picked, decision)

    def rewrite(self, question: str, history: list[str] | None) -> Query:
        """Check the question, guess its language, make a follow-up standalone."""
        question, history = check_question(question, history, self.settings.max_question_chars,
                                           self.settings.max_history_turns)
        language = detect_language(question)
        standalone = self.llm.rewrite(question, history) if (self.llm and history) else rewrite(question, history)
        # Markup is not what a question is about: it is searched without it.
        searched = substance(standalone) or standalone
        snap = self.search.snapshot()
        if language == snap.language:  # "delai de paiement" is searched as "délai de paiement"
            searched = with_accents(searched, snap.accents)
        return Query(question, standalone, language, tuple(history), as_roles(searched, snap.parties))

    def gather(self, query: Query, k: int) -> Evidence:
        """Hybrid retrieval of the standalone question; the vector that ranks sentences."""
        # The e5 embedding runs in another thread while this one computes the lexical and
        # USE channels (the engine releases the GIL): on two cores a question then costs
        # about its embedding alone. An embedding that takes every core (an idle machine:
        # ``ingest.cores``) runs first and alone: a third busy thread would stall it.
        corpus = self.search.snapshot().language
        if query_threads(self.embedder) > 1:
            query_vector = self.query_vector(query.searched, query.language, corpus)
            own = self._own_vector(query)
            found = self.search.retrieve(query.searched, max(k, 5), query.language, query_vector=query_vector,
                                         also=self._own_words(query, own))
        else:
            pending = EMBEDDING.submit(self.query_vector, query.searched, query.language, corpus)
            own = self._own_vector(query)
            found = self.search.retrieve(query.searched, max(k, 5), query.language, query_vector=pending.result,
                                         also=self._own_words(query, own))
            query_vector = pending.result()
        hits = found.hits
        sentence_vector = query_vector
        if own is not None:
            # A follow-up's own words say which sentence answers ("en cas de retard");
            # the borrowed topic words only said where to look. (A long "follow-up" gets no
            # second embedding: it would double the cost of the costliest questions.)
            sentence_vector = (query_vector + own) / 2
        return Evidence(hits, self.search.snapshot(), query_vector, sentence_vector, k, found.firsts, found.use_vector,
                        found.use_best)

    def _own_vector(self, query: Query) -> np.ndarray | None:
        """A short follow-up's own embedding (None for a question that is not a follow-up)."""
        if query.is_follow_up and self.embedder.count_tokens(query.question) <= OWN_VECTOR_TOKENS:
            return self.query_vector(query.question, query.language)
        return None

    @staticmethod
    def _own_words(query: Query, own: np.ndarray | None) -> tuple[str, np.ndarray, float] | None:
        """What a follow-up's own words add to its passages' ranking (see FOLLOW_UP_OWN_WEIGHT)."""
        return (query.question, own, FOLLOW_UP_OWN_WEIGHT) if own is not None and FOLLOW_UP_OWN_WEIGHT else None

    def choose(self, query: Query, evidence: Evidence) -> list[Picked]:
        """The sentences that answer, best first: similar to the question, and carrying
        the kind of fact it asks for (a duration, an amount, a permission…)."""
        return select_sentences(evidence.snapshot, evidence.hits, evidence.sentence_vector, query.searched,
                                self.settings.max_quote_sentences, asked=asks(query.question),
                                language=query.language, use_vector=evidence.use_vector)

    def decide(self, query: Query, evidence: Evidence, picked: list[Picked]) -> Decision:
        """Answer or abstain (see ``decide``), and the absent documents the question points to.

        A topic of an absent document adds a pointer; it never overrides a clause that answers.
        """
        pointers = self._pointers(query.standalone)
        if not picked:
            return Decision(False, 0.0, pointers, "no_evidence")
        s = self.signals(query, evidence, picked)
        if s.figure_missing and self._parts_state_their_figures(query, evidence):
            s = dataclasses.replace(s, figure_missing=0.0)
        p = answerability.probability(s)
        # 0.5 is the line, wherever the fitted threshold sits.
        line = answerability.threshold(s)
        confidence = 0.5 + (p - line) / (2 * (1 - line)) if p >= line else 0.5 * p / line
        if p >= line:
            return Decision(True, round(confidence, 3), pointers)
        not_given = s.figure_missing or s.figure_off_subject or s.figure_proposed
        return Decision(False, round(confidence, 3), pointers, "not_given" if not_given else "no_evidence")

    def signals(self, query: Query, evidence: Evidence, picked: list[Picked]) -> answerability.Signals:
        """The answerability signals of one question (``assistant.decide``)."""
        corpus = evidence.snapshot.language
        cross = query.language != corpus
        wanted = tokens(query.searched, corpus)
        extra = expand(query.searched, query.language, corpus)
        if cross and extra:  # English words never occur in French text: their renderings do
            wanted = tokens(extra, "fr")
        elif extra:
            wanted = wanted + tokens(extra, "fr")
        absent = self._named(query.standalone)
        subject: frozenset[str] = frozenset()
        if words := " ".join(figure_subject(query.question, query.language)).replace("-", " "):
            # in the documents' terms, without the figure words its renderings bring
            rendered = expand(words, query.language, corpus) if query.language != corpus else ""
            subject = frozenset(tokens(f"{words} {rendered}", corpus)) - figure_word_terms(corpus)
        quoted = [p.text[a:b] for p, a, b, _ in picked]
        spans = [(p, a, b) for p, a, b, _ in picked if p.id == picked[0][0].id]
        leading = [p.text[a:b] for p, a, b in spans]
        named = self._bank_names(evidence.snapshot, spans, subject) if subject else None
        return answerability.signals(wanted, figures_asked(query.question), evidence.hits, quoted,
                                     max(x[3] for x in picked),
                                     self.threshold(query.language), cross, list(evidence.firsts.values()),
                                     names_absent=bool(absent),
                                     names_asked=asks_document(query.standalone, [n for d in absent for n in d.names]),
                                     instruction=reads_as_instruction(query.question),
                                     vocabulary=evidence.snapshot.bm25.idf, leading=leading, language=corpus,
                                     exact=wants_exact(query.question), subject=subject,
                                     leading_context=picked[0][0].context, leading_named=named,
                                     proposed=proposed_figures(query.question), leading_passage=picked[0][0].text,
                                     common=evidence.snapshot.capitals, **self.off_topic(evidence))

    @staticmethod
    def _bank_names(snap: Snapshot, spans: list[tuple], subject: frozenset[str]) -> list[bool]:
        """For each quoted span (passage, start, end), whether the bank questions its
        sentences answer use one of ``subject``'s terms: askers' words for what the sentence
        says ("la validité d'un devis" for "valable un (1) mois"), which it need not use itself."""
        if snap.bank is None:
            return [False] * len(spans)
        scores = snap.bank.sentence_lexical.scores(sorted(subject))  # every sentence's, once
        return [any(scores[i] > 0 for i in snap.sentences_of.get(p.id, [])
                    if p.start + a <= snap.sentences[i].start < p.start + b) for p, a, b in spans]

    def off_topic(self, evidence: Evidence) -> dict[str, float | None]:
        """How much nearer the question is to the background (questions of office life the
        terms never answer) than to the best passage (``background``), and than to the
        foreground of questions the terms do answer (``foreground``), in USE's space; and,
        when the documents have a question bank (``bank``), how much nearer the background
        is than the bank's questions (``bank``), how near those are in e5's space
        (``bank_dense``), and how much nearer the questions the documents do not answer are
        than the bank's (``bank_unanswered``). Without USE, the background signals are the
        dev sets' means (they say nothing either way) and the bank signals None, as without
        a bank (the model fitted without them decides)."""
        u = evidence.use_vector
        if self.background is None or self.foreground is None or u is None or evidence.use_best is None:
            return {"background": answerability.neutral("background"),
                    "foreground": answerability.neutral("foreground"), "bank": None}
        near = self.background.nearest(u)
        out: dict[str, float | None] = {"background": near - evidence.use_best,
                                        "foreground": near - self.foreground.nearest(u), "bank": None}
        bank = evidence.snapshot.bank
        if bank is not None and "use" in bank.spaces:
            asked = bank.nearest_questions("use", u)
            other = bank.nearest_unanswered("use", u)
            out.update(bank=near - asked, bank_dense=bank.nearest_questions("dense", evidence.query_vector),
                       bank_unanswered=None if other is None else other - asked)
        return out

    def compose(self, query: Query, evidence: Evidence, picked: list[Picked], decision: Decision) -> Answer:
        """The answer text and its citations (or the abstention and its pointers)."""
        language, hits, pointers = query.language, evidence.hits, decision.pointers
        if not decision.answer:
            lead, context = "", []
            if decision.reason == "not_given" and picked:
                # The nearest clause, shown as context, not as the answer.
                p, a, b, _ = picked[0]
                doc = self.documents.get(p.doc_id)
                # the figure asked, else the one the question checks ("la remise c'est 5 % ?")
                figure = next((f for f in FIGURES if f in figures_asked(query.question)), None) or next(
                    (kind for _, kind, checked in proposed_figures(query.question) if checked), "amount")
                lead = messages.not_given(language, figure, where(p, doc, language, evidence.snapshot.accents))
                context = [citation(p, p.text[a:b], doc, supporting=True)]
            return Answer(messages.abstain(language, pointers, lead), context, True, decision.confidence, language,
                          "extractive", pointers=pointers, question=query.standalone, hits=hits[:evidence.k],
                          reason=decision.reason or "no_evidence")
        picked = self._with_precedence(picked, hits, evidence.snapshot, evidence.query_vector, query.searched,
                                       language)
        picked = self._each_part(query, evidence, picked)
        quotes = merge_quotes(picked)
        citations = [citation(p, q, self.documents.get(p.doc_id)) for p, q in quotes]
        accents = evidence.snapshot.accents
        text = messages.extractive(language, [(where(p, self.documents.get(p.doc_id), language, accents), q)
                                              for p, q in quotes],
                                   precedence=self._has_precedence(citations))
        cited = {c.passage_id for c in citations}
        for definition in self.search.definitions_in(query.standalone)[:2]:
            if definition.id not in cited:
                citations.append(citation(definition, definition.text, self.documents.get(definition.doc_id),
                                          supporting=True))
        if pointers:
            text += "\n\n" + messages.see_also(language, pointers)
        notice = messages.t(language, "caution") if decision.confidence < CAUTION_BELOW else ""
        return Answer(text, citations, False, decision.confidence, language, "extractive", notice=notice,
                      pointers=pointers, question=query.standalone,
                      hits=quoted_first(hits, [p for p, _ in quotes if p.id in evidence.snapshot.banked],
                                        evidence.k))

    def threshold(self, language: str) -> float:
        """The usual evidence level of a question in ``language`` (see Settings)."""
        return self.settings.abstain_threshold_en if language == "en" else self.settings.abstain_threshold_fr

    def _named(self, question: str) -> list[DocumentInfo]:
        """Absent documents the question names ("le DPA", "the anti-corruption code"): every
        word of one of their names is in the question, in full or cut short ("les
        conditions spé Billing", "le code anticorrupt.")."""
        words = set(re.sub(r"[^0-9a-z+@]+", " ", fold(question)).split())
        words |= {w[:-1] for w in words if w.endswith("s")}
        cut = {w for w in words if len(w) >= ABBREVIATION_CHARS}
        found = []
        for doc in self.absent_documents():
            for name in doc.names:
                wanted = set(re.sub(r"[^0-9a-z+@]+", " ", fold(name)).split())
                if wanted and all(w in words or (len(w) > 2 * ABBREVIATION_CHARS and any(w.startswith(c) for c in cut))
                                  for w in wanted):
                    found.append(doc)
                    break
        return found

    def _pointers(self, question: str) -> list[dict[str, str]]:
        """Absent documents the question names or whose topics it touches."""
        folded = " " + " ".join(re.sub(r"[^0-9a-z+@]+", " ", fold(question)).split()) + " "
        found = []
        named = {d.id for d in self._named(question)}
        for doc in self.absent_documents():
            if doc.id in named or any(re.search(rf"(?<![0-9a-z]){re.escape(fold(t))}s?(?![0-9a-z])", folded)
                                      for t in doc.topics):
                found.append({"id": doc.id, "title": doc.title, "url": doc.url})
        return found

    def _each_part(self, query: Query, evidence: Evidence, picked: list[Picked]) -> list[Picked]:
        """A question that asks two things ("Quel est le délai de paiement, et que se passe-t-il
        si on le dépasse ?") quotes the sentence that answers each (``asks.asked_parts``),
        found among the passages the whole question retrieved. It comes after the decision:
        what the answer quotes grows, what it is decided on does not."""
        parts = asked_parts(query.question) or story_parts(query.question)
        if not parts:
            return picked
        have = {(p.id, a) for p, a, _, _ in picked}
        added: list[Picked] = []
        for i, part in enumerate(parts):
            ranked = self._part_sentences(query, evidence, part, parts[:i])
            # Each part asks something the others do not: its best sentence not quoted yet,
            # unless it falls too far below the part's best.
            for p, a, b, score in ranked:
                if (p.id, a) not in have and score >= ranked[0][3] - PART_MARGIN:
                    have.add((p.id, a))
                    added.append((p, a, b, score))
                    break
        # Within the bound, the parts' sentences are kept before the whole question's last ones.
        room = self.settings.max_quote_sentences + len(parts) - 1 + PART_ROOM
        return picked[: max(1, room - len(added))] + added[: room - 1]

    def _parts_state_their_figures(self, query: Query, evidence: Evidence) -> bool:
        """Whether, in a question that asks several things ("Quel est le délai de paiement,
        et quel tribunal est compétent ?"), each part that asks a figure finds it in its own
        best sentence: the answer's first quote may answer another part, and the figure
        asked is then not missing from the answer (each part gets its quote)."""
        parts = asked_parts(query.question)
        asking = [(i, part, figures_asked(part)) for i, part in enumerate(parts)]
        asking = [(i, part, figures) for i, part, figures in asking if figures]
        if not asking:
            return False
        for i, part, figures in asking:
            ranked = self._part_sentences(query, evidence, part, parts[:i])
            if not ranked or not figures & states(ranked[0][0].text[ranked[0][1]:ranked[0][2]], wants_exact(part)):
                return False
        return True

    def _part_sentences(self, query: Query, evidence: Evidence, part: str, before: list[str]) -> list[Picked]:
        """The best sentences for one part of a question (best first, PART_CANDIDATES of
        them), among the passages the whole question retrieved."""
        key = (part, *before)
        if key in evidence.parts:
            return evidence.parts[key]
        snap = evidence.snapshot
        # A part that refers back ("…, et que se passe-t-il si on le dépasse ?") borrows
        # the topic of the parts before it, as a follow-up does; one that names its own
        # matter ("…, et si ça finit au tribunal c'est lequel ?") does not: the earlier
        # part's words would pull it back to the clause already quoted.
        if len(topic_words(part)) <= PART_OWN_WORDS:
            part = rewrite(part, before)
        vector = self.query_vector(part, query.language, snap.language)
        use = self.search.use.encode([part])[0] if self.search.use is not None else None
        ranked = select_sentences(snap, evidence.hits, vector, part, PART_CANDIDATES, pool=PART_POOL,
                                  asked=asks(part), language=query.language, use_vector=use, join=False)
        evidence.parts[key] = ranked
        return ranked

    def _with_precedence(self, picked, hits: list[Hit], snap, query_vector, question, language):
        """When a specific-conditions document and the general conditions both answer,
        quote both (the specific conditions prevail, per the CGS preamble)."""
        groups = {"specific": [], "general": []}
        for h in hits:
            kind = self._kind(h.passage.doc_id).split(" ")[0]
            if kind in groups:
                groups[kind].append(h)
        if not groups["specific"] or not groups["general"]:
            return picked
        have = {self._kind(p.doc_id).split(" ")[0] for p, *_ in picked}
        for kind, group in groups.items():
            if kind in have:
                continue
            extra = select_sentences(snap, group, query_vector, question, 1, pool=3, language=language)
            if extra and extra[0][3] >= self.threshold(language):
                picked = picked[: self.settings.max_quote_sentences - 1] + extra[:1]
        return picked

    def _kind(self, doc_id: str) -> str:
        doc = self.documents.get(doc_id)
        return doc.kind if doc else ""

    def _has_precedence(self, citations: list[Citation]) -> bool:
        kinds = {self._kind(c.doc_id).split(":")[0] for c in citations}
        return "specific conditions" in kinds and "general conditions" in kinds


def quoted_first(hits: list[Hit], quoted: list[Passage], k: int) -> list[Hit]:
    """The passages an answer lists: those of ``quoted``, in that order, then the others
    retrieved, ``k`` in all, ranked anew.

    Retrieval ranks passages by their likeness to the question; the quote is chosen
    sentence by sentence, by what the question asks and by the bank questions each
    sentence answers, and where a passage has bank questions it tells better which passage
    answers. On the dev splits, MRR summed over the seven fitted splits 6.625 -> 6.656,
    over the four others 3.772 -> 3.774. Without bank questions it does not: on tos-en
    (another corpus, no bank) MRR 0.731 -> 0.711, so only passages with bank questions are
    moved (``Snapshot.banked``)."""
    by_id = {h.passage.id: h for h in hits}
    first = [by_id[i] for i in dict.fromkeys(p.id for p in quoted) if i in by_id]
    ordered = first + [h for h in hits if h not in first]
    return [dataclasses.replace(h, rank=r) for r, h in enumerate(ordered[:k], 1)]


def for_model(base: Answer, snap: Snapshot) -> Answer:
    """The extractive answer without the passages that address a model: a model is never
    shown text that tries to instruct it (it stays searchable, and is flagged at ingest)."""
    return dataclasses.replace(base, hits=[h for h in base.hits if h.passage.id not in snap.suspicious])
