"""Answer or abstain, from several signals rather than one similarity threshold.

Each signal is cheap and says something the others don't:

- ``evidence``: how similar the best passage and the best sentence are to the question
  (e5 cosines sit in a narrow band: about 0.78 for unrelated text, 0.90 for the clause
  that answers), relative to the language's usual level;
- ``coverage``: the share of the question's content words (or, for an English question,
  of their French renderings) that the best passages contain;
- ``quote_coverage``: the same share in the sentences the answer would quote;
- ``known``: the share of those words that occur anywhere in the documents (a question
  about quiche recipes or Outlook passwords uses words the terms never use);
- ``margin``: how far the first passage stands above the next ones;
- ``agreement``: whether the retrieval channels (dense, lexical, sentence, USE) put the
  same passage first;
- ``figure_missing``: the question asks for a figure (a duration, an amount, a rate, a
  date, a contact, a postal address, a name: "c'est qui notre assureur ?") and the answer's
  leading quote (the sentences of its first passage) states none (a name: a capitalised word
  that is not one of the documents' own terms, ``asks.names_someone``):
  the terms touch the topic but do not give what is asked. (A figure in a second clause
  quoted alongside is usually another topic's: the late-payment fee for a question on a
  set-up fee.) A question that wants the figure itself ("combien en euros pile ?", "how
  many hours?": ``asks.wants_exact``) needs it in figures: a formula, a statute's
  reference or the condition that ends a period does not give it;
- ``figure_off_subject``: the figure asked is the figure of something ("le taux de
  disponibilité", "the warranty period": ``asks.figure_subject``) and the leading quote
  states that kind of figure, but only in sentences that do not speak of it (nor does its
  passage's heading, nor the bank questions those sentences answer): a VAT rate "en
  vigueur" does not give an availability rate, nor a three-month notice a warranty period. Words, not meanings: a synonym ("délai de
  paiement" against "payables à trente jours") fires it too, so it is one signal among the
  others, weighed by the fit. The bank questions a sentence answers say what askers call
  it ("la validité d'un devis" for "valable un (1) mois"): a word any of them uses counts.
  (Held out one dev split at a time, out-of-scope recall 0.872 → 0.886, false abstentions
  0.39% → 0.26% on average, 1.8% → 0.9% at most. Counting a word only when 10%, 20% or 35%
  of them use it raised cross-validated recall, 0.889 → 0.899 / 0.910, but held-out false
  abstentions too, up to 2.7%.)
- ``figure_proposed``: the question puts forward a figure of the kind it asks for ("je
  peux lui écrire 99,9 % ?", "within 4 business hours?", "on a 30 jours max ?"), or ends
  on a figure whatever it asks with ("c'est 40 balles c'est ça ?", "la TVA est à 20 % du
  coup ?": ``asks.proposed_figures``), that the leading quote's passage does not hold (a
  statute's reference, "L. 441-10", holds no figure). Sales staff check figures they were
  told; when the clause found does not hold the figure, the terms usually do not give it
  (a story's figures, "3 semaines de retard", are of another kind than what it asks, are
  followed by what happened, or are told before the asking sentence). Counting the figures
  a question ends on: on the seven fit splits, out-of-scope recall in cross-validation
  0.887 -> 0.893 at the same false abstentions (held out one split at a time: 0.902 both);
  blind splits: scenarios-hard 0.840 -> 0.920, scenarios-field 0.720 -> 0.760,
  scenarios-next unchanged; answered unchanged on all;
- ``names_absent``: the question names a document that is referenced but not here ("que
  dit le DPA…"): it asks about that document's content;
- ``names_asked``: more than naming it, the question asks what that document says ("selon
  le DPA…", "what do the Marketing specific conditions require…"): naming it alone ("the
  specific conditions, where are they?", "which charters must he follow?") is often
  answered by the clause that refers to it;
- ``instruction``: the question reads as an instruction to a model rather than a
  question about the terms;
- ``background``: how much nearer the question is to a typical question of office life
  that contract terms never answer (a VPN, a restaurant, a colleague's phone number:
  ``background``) than to the best passage;
- ``bank``: the same, against the questions of the document's own question bank
  (``bank``), each tied to the sentence that answers it: a question as near to office
  life as to any question the terms are known to answer is probably not about them;
  ``bank_dense``: how near (in e5's space) the nearest bank questions are;
  ``bank_unanswered``: how much nearer the question is to the questions the document is
  known NOT to answer though they sound as if it did (a price, an SLA figure, what a
  linked document says) than to its bank questions;
- ``foreground``: how much nearer it is to that background than to typical questions the
  terms do answer (``foreground.txt``), in the same forms ("how long…", "c'est combien…"):
  a question's form matches background questions as well as its topic does, and this
  difference cancels the form out (on the dev splits, in cross-validation at ≤3%
  answerable abstentions: out-of-scope abstained on 0.62 with ``background`` alone,
  0.68 with both, and the exam-style questions' false abstentions halved).

They are combined by a logistic model whose weights were fitted on the dev splits of the
eval sets (``evals/fit_answerability.py``; the weights and the fit's report are in
``answerability.json``), never on the test splits.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from terms.text import tokens

from .asks import FIGURES, names_someone, numbers, states
from .retrieve import Hit

MODEL = Path(__file__).with_name("answerability.json")
FEATURES = ("evidence", "best_dense", "best_sentence", "coverage", "quote_coverage", "known", "margin", "agreement",
            "figure_missing", "names_absent", "instruction", "cross", "background", "foreground", "names_asked",
            "bank", "bank_dense", "bank_unanswered", "figure_off_subject", "figure_proposed")
# The side of zero each weight is fitted on: +1 argues for answering, -1 against, 0 either.
SIGNS = {"evidence": 1, "best_dense": 1, "best_sentence": 1, "coverage": 1, "quote_coverage": 1, "known": 1,
         "margin": 1, "agreement": 1, "figure_missing": -1, "names_absent": -1, "instruction": -1, "cross": 0,
         "background": -1, "foreground": -1, "names_asked": -1, "bank": -1, "bank_dense": 1, "bank_unanswered": -1,
         "figure_off_subject": -1, "figure_proposed": -1}


@dataclass(frozen=True)
class Signals:
    evidence: float
    best_dense: float
    best_sentence: float
    coverage: float
    quote_coverage: float
    known: float
    margin: float
    agreement: float
    figure_missing: float
    names_absent: float
    instruction: float
    cross: float  # the question is not in the documents' language
    background: float = 0.0  # nearest background questions' similarity minus the best passage's
    foreground: float = 0.0  # nearest background questions' similarity minus the nearest foreground ones'
    names_asked: float = 0.0  # the question asks what an absent document it names says
    # Nearest background questions' similarity minus the nearest bank questions'; None when
    # the documents have no question bank (the model fitted without this signal decides).
    bank: float | None = None
    bank_dense: float | None = None  # the mean e5 similarity of the nearest bank questions
    # How much nearer the question is to the questions the documents are known not to answer
    # than to the bank's (USE); None without them (their dev mean then stands in).
    bank_unanswered: float | None = None
    # The figure asked is bound to a subject ("le taux de disponibilité", "the warranty
    # period") and the leading quote states that kind of figure only for something else.
    figure_off_subject: float = 0.0
    # The question puts forward a figure of the kind it asks ("genre 99,9 % ?") that the
    # leading quote's passage does not hold.
    figure_proposed: float = 0.0

    def vector(self) -> list[float]:
        """The signals in ``FEATURES`` order (a missing bank signal at its dev mean)."""
        return [float(neutral(name) if getattr(self, name) is None else getattr(self, name)) for name in FEATURES]


def signals(question_terms: list[str], asked: frozenset[str], hits: list[Hit], quoted: list[str],
            best_sentence: float, level: float, cross: bool, channel_tops: list[str | None],
            names_absent: bool = False, instruction: bool = False, vocabulary: frozenset[str] | dict = frozenset(),
            leading: list[str] | None = None, background: float = 0.0, foreground: float = 0.0,
            language: str = "fr", names_asked: bool = False, bank: float | None = None,
            bank_dense: float | None = None, bank_unanswered: float | None = None, exact: bool = False,
            subject: frozenset[str] = frozenset(), leading_context: str = "",
            leading_named: list[bool] | None = None, proposed: tuple[tuple[str, str, bool], ...] = (),
            leading_passage: str = "", common: frozenset[str] = frozenset()) -> Signals:
    """The signals of one question (see the module docstring).

    ``question_terms``: the question's content terms in the documents' analysis (French
    stems; for a question in another language, the stems of its renderings); ``level``: the
    language's usual evidence level; ``channel_tops``: the first passage id of each
    retrieval channel (None where a channel found nothing); ``quoted``: the sentences the
    answer would quote (``leading``: those of its first passage; default all); ``vocabulary``:
    every term of the documents; ``language``: the documents' language (how their words are
    analysed, as the question's terms were); ``exact``: the question wants the figure itself
    ("combien en euros pile ?"), which a formula or a statute's reference does not give;
    ``subject``: the terms (in the documents' analysis) of what the figure asked is the figure
    of (``asks.figure_subject``); ``leading_context``: the heading of the leading quote's passage;
    ``leading_named``: for each leading sentence, whether the questions it is known to answer
    (the question bank) use one of those terms; ``proposed``: the figures the question puts
    forward, as (number, kind) (``asks.proposed_figures``); ``leading_passage``: the text of
    the leading quote's passage; ``common``: the documents' own capitalised terms
    (``asks.common_capitals``): a name asked for is given by a capitalised word not among them.
    """
    figures = asked & set(FIGURES)
    if not hits:
        return Signals(-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, float(bool(figures)), float(names_absent),
                       float(instruction), float(cross), background, foreground, float(names_asked), bank, bank_dense,
                       bank_unanswered)
    best_dense = max(h.dense for h in hits[:3])
    top = hits[:3]
    have = set()
    for h in top:
        have.update(tokens(h.passage.text, language))
        have.update(tokens(h.passage.context, language))
    wanted = set(question_terms)
    coverage = len(wanted & have) / len(wanted) if wanted else 0.0
    known = sum(t in vocabulary for t in wanted) / len(wanted) if wanted else 0.0
    in_quotes = {t for text in quoted for t in tokens(text, language)}
    quote_coverage = len(wanted & in_quotes) / len(wanted) if wanted else 0.0
    scores = [h.score for h in hits]
    margin = (scores[0] - scores[1]) / scores[0] if len(scores) > 1 and scores[0] > 0 else 1.0
    tops = [t for t in channel_tops if t is not None]
    agreement = sum(t == hits[0].passage.id for t in tops) / len(tops) if tops else 0.0
    stated: set[str] = set()
    for text in (quoted if leading is None else leading):
        stated |= states(text, exact)
    if "duration" in stated:  # "à partir de quand ?" is answered by "trente jours après…"
        stated.add("date")
    if "name" in figures and any(names_someone(text, common) for text in (quoted if leading is None else leading)):
        stated.add("name")
    figure_missing = 1.0 if figures and not (figures & stated) else 0.0
    figure_off_subject = 0.0
    if figures and subject and not figure_missing and not subject & set(tokens(leading_context, language)):
        # the sentences that state the figure asked: does any speak of what it is asked for?
        texts = quoted if leading is None else leading
        named = leading_named if leading is not None and leading_named is not None else [False] * len(texts)
        stating = [(text, by_bank) for text, by_bank in zip(texts, named) if figures & states(text, exact)]
        if not any(by_bank or subject & set(tokens(text, language)) for text, by_bank in stating):
            figure_off_subject = 1.0
    held = numbers(leading_passage)
    figure_proposed = 1.0 if any((kind in figures or checked) and number not in held
                                for number, kind, checked in proposed) else 0.0
    evidence = 0.5 * best_dense + 0.5 * best_sentence - level
    return Signals(evidence, best_dense, best_sentence, coverage, quote_coverage, known, margin, agreement, figure_missing,
                   float(names_absent), float(instruction), float(cross), background, foreground, float(names_asked),
                   bank, bank_dense, bank_unanswered, figure_off_subject, figure_proposed)


@lru_cache(maxsize=1)
def model() -> dict:
    """The fitted weights (``{"weights": {feature: w}, "bias": b, "threshold": t, ...}``),
    with, under ``"without_bank"``, the model fitted without the bank signal (for documents
    that have no question bank: the other signals then weigh what they weigh alone)."""
    return json.loads(MODEL.read_text(encoding="utf-8"))


def variant(s: Signals | None = None) -> dict:
    """The model that decides for these signals: without the bank signal when it is missing."""
    m = model()
    return m["without_bank"] if s is not None and s.bank is None and "without_bank" in m else m


def probability(s: Signals) -> float:
    """The fitted model's probability that the terms answer the question.

    >>> s = Signals(0.05, 0.9, 0.9, 1.0, 1.0, 1.0, 0.3, 1.0, 0.0, 0.0, 0.0, 0.0)
    >>> probability(s) > threshold(s)
    True
    """
    m = variant(s)
    values = dict(zip(FEATURES, s.vector()))
    z = m["bias"] + sum(w * values[name] for name, w in m["weights"].items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def neutral(name: str) -> float:
    """A signal's mean over the dev sets the model was fitted on: the value that says
    nothing, for a signal this configuration cannot compute."""
    return float(model().get("means", {}).get(name, 0.0))


def threshold(s: Signals | None = None) -> float:
    """The line: abstain below it (the line of the model that decides for ``s``)."""
    return float(variant(s)["threshold"])


__all__ = ["FEATURES", "SIGNS", "Signals", "neutral", "probability", "signals", "threshold"]
