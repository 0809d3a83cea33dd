"""Questions people ask, each tied to the sentence of the terms that answers it.

A salesperson tells a situation ("le client a signé la propale il y a deux mois et
veut tout arrêter, il doit payer quoi ?"); the clause that answers it speaks of
"annulation" and "commande ferme". Questions are much nearer to other questions than
to the clauses that answer them (USE was trained to match questions with questions),
so the corpus may come with a bank of the questions its sentences answer, written in
the askers' own words: ``corpus/questions/<document id>.tsv``, one ``anchor<TAB>question``
a line, the anchor a verbatim piece of the sentence that answers (``#`` comments).

Retrieval then has three more channels (``retrieve``): how near the question is to the
bank questions of each passage, in e5's and USE's spaces, and how many of their words
it shares (BM25 over each passage's bank questions). A bank is data about one document's text, like its
manifest entry: a document without one (any other corpus) is searched as before, and a
question whose anchor is no longer in the document (a new version changed the sentence)
is left out, with a warning, until its anchor is updated.

The question vectors are computed once per bank and encoder and kept: beside the bank
(``<document id>.npz``, written by ``python -m assistant.bank``) and, for a bank edited
since, in the data folder.

A fourth channel reads the bank as training data (``PassageModel``): a logistic regression
from a question's two vectors to the passage whose sentence answers it. The nearest
question says which passage has a question most like this one; the model weighs the
directions of both spaces that tell passages apart (the corrective maintenance clause from
the evolutive one), over all their questions at once.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from terms.records import Passage, Sentence
from terms.text import fold, tokens

from ingest.use_channel import read_arrays, write_arrays

from .background import kept_vectors, key, questions, ship_vectors
from .lexical import BM25

log = logging.getLogger(__name__)

# Questions whose similarities are kept (a few questions in flight, each with a vector or
# two per space).
RECENT = 16

# The passage model (``PassageModel``) reads both spaces, e5's and USE's, side by side.
MODEL_SPACES = ("dense", "use")
# Its regularisation (inverse strength) and its weight in the fusion (``retrieve``) were
# chosen on the 11 dev splits, MRR summed over the seven fitted / the four other splits
# (6.669 / 3.797 without the channel): C = 10 at weight 1, 6.700 / 3.808, MRR up on ten
# splits and down on none; C = 1, 6.674 / 3.806; C = 100, 6.690 / 3.804. Each passage's
# questions count alike (balanced classes: without, 6.695 / 3.808): a passage with 250
# bank questions is not likelier than one with 35.
MODEL_C = 10.0
# Past this many passages with bank questions the fit would take too long at load (73 for
# the CGS: 4 s); the channel is then left out, with a warning.
MODEL_MAX_CLASSES = 2000
# The model fitted on the banks as shipped, beside them (``python -m assistant.bank``): a
# fresh data folder (a new install, every test's) then never pays for the fit.
SHIPPED_MODEL = "passages.model.npz"


@dataclass(frozen=True)
class PassageModel:
    """How likely each passage is to answer a question, from the question's vectors: a
    multinomial logistic regression fitted on the bank's questions (both spaces side by
    side), each labelled with the passage of the sentence it is tied to."""

    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    classes: np.ndarray  # the passage (index in the snapshot's passages) of each class
    spaces: tuple[str, ...] = MODEL_SPACES  # the question's vectors it reads, in this order

    def log_probs(self, vectors: dict[str, np.ndarray], passages: int) -> np.ndarray:
        """Each passage's log-probability for a question (space -> its vector); a passage
        without bank questions gets the least likely passage's.

        >>> m = PassageModel(np.eye(2, dtype=np.float32), np.zeros(2, dtype=np.float32), np.array([0, 2]), ("dense",))
        >>> [round(float(x), 2) for x in m.log_probs({"dense": np.array([3.0, 0.0])}, 3)]
        [-0.05, -3.05, -3.05]
        """
        x = np.concatenate([np.asarray(vectors[space], dtype=np.float32) for space in self.spaces])
        logits = x @ self.weights + self.bias
        logits = logits - logits.max()
        logp = logits - np.log(np.exp(logits).sum())
        out = np.full(passages, logp.min(), dtype=np.float32)
        out[self.classes] = logp
        return out


# One fit per bank in a process (every data folder of a test run, every replica's
# snapshot of the same generation): keyed by what it is fitted on.
_MODELS: dict[str, PassageModel] = {}
_MODELS_LOCK = threading.Lock()


def model_key(spaces: dict[str, np.ndarray], owner: np.ndarray) -> str:
    """What a passage model is fitted on: the questions' vectors, their passages, its setting."""
    return _key(_features(spaces), owner)


def _features(spaces: dict[str, np.ndarray]) -> np.ndarray:
    return np.hstack([np.asarray(spaces[space], dtype=np.float32) for space in MODEL_SPACES])


def _key(x: np.ndarray, owner: np.ndarray) -> str:
    return hashlib.sha256(b"".join([x.tobytes(), np.asarray(owner, dtype=np.int64).tobytes(),
                                    repr(MODEL_C).encode()])).hexdigest()[:16]


def passage_model(spaces: dict[str, np.ndarray], owner: np.ndarray, cache_dir: Path | None,
                  shipped: Path | None = None) -> PassageModel | None:
    """The passage model of a bank (None without both spaces, or with too many passages):
    the shipped one or the one kept in the data folder when either was fitted on exactly
    these questions and passages; else fitted (once per process) and kept in the data folder."""
    if not all(space in spaces for space in MODEL_SPACES):
        return None
    classes = np.unique(owner)
    if len(classes) < 2:
        return None
    if len(classes) > MODEL_MAX_CLASSES:
        log.warning("passage model left out: %d passages with bank questions (at most %d)", len(classes),
                    MODEL_MAX_CLASSES)
        return None
    x = _features(spaces)
    digest = _key(x, owner)
    with _MODELS_LOCK:
        if digest in _MODELS:
            return _MODELS[digest]
        path = cache_dir / f"passage-model-{digest}.npz" if cache_dir else None
        model = None
        for place in [p for p in (shipped, path) if p is not None]:
            stored = read_arrays(place, ("key", "weights", "bias", "classes"))
            if stored is not None and str(stored["key"]) == digest:
                model = PassageModel(stored["weights"].astype(np.float32), stored["bias"].astype(np.float32),
                                     stored["classes"].astype(np.int64))
                break
        if model is None:
            model = _fit(x, owner)
            if path is not None:
                try:
                    _write_model(path, digest, model)
                except OSError as exc:  # a read-only data folder: fitted again next time
                    log.warning("passage model not kept (%s)", exc)
        _MODELS[digest] = model
        return model


def _write_model(path: Path, digest: str, model: PassageModel) -> None:
    write_arrays(path, key=np.array(digest), weights=model.weights, bias=model.bias, classes=model.classes)


def ship_model(folder: Path, bank: Bank) -> Path | None:
    """Write a snapshot's passage model beside the banks (after editing one, once the
    index is current): what ``passage_model`` finds first."""
    if bank.model is None:
        return None
    out = folder / SHIPPED_MODEL
    _write_model(out, model_key(bank.spaces, bank.owner), bank.model)
    return out


def _fit(x: np.ndarray, owner: np.ndarray) -> PassageModel:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    log.info("fitting the passage model on %d bank questions", len(x))
    fitted = LogisticRegression(C=MODEL_C, class_weight="balanced", max_iter=1000)
    with warnings.catch_warnings():
        # 77 iterations for the CGS bank; a model short of convergence still ranks.
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(x, owner)
    return PassageModel(fitted.coef_.T.astype(np.float32).copy(), fitted.intercept_.astype(np.float32),
                        fitted.classes_.astype(np.int64))


@dataclass(frozen=True)
class Bank:
    """The bank questions of one index generation, as vectors of each encoder ("space")."""

    spaces: dict[str, np.ndarray]  # "use" / "dense" -> one unit vector per question
    sentence: np.ndarray  # each question's sentence (index in the snapshot's sentences)
    owner: np.ndarray  # each question's passage (index in the snapshot's passages)
    covers: np.ndarray  # per passage of the snapshot: whether it has bank questions
    # BM25 over each passage's bank questions taken as one text (passage order): the askers'
    # own words ("propale", "virer", "STOP", "fax") that neither the clause nor the
    # vocabulary use.
    lexical: BM25
    sentence_lexical: BM25  # the same over each sentence's bank questions (sentence order)
    # Questions the documents do not answer though they sound as if they did (a price, an
    # SLA figure, what a linked document says), per space: ``<document id>.unanswered.txt``.
    unanswered: dict[str, np.ndarray] = field(default_factory=dict)
    model: PassageModel | None = None  # P(passage | question), from the bank's questions
    # A question's similarities to every bank question, by space and vector: retrieval,
    # choosing sentences and the answerability signals each need them (a product over
    # thousands of questions, a third of a millisecond each time).
    _recent: OrderedDict = field(default_factory=OrderedDict, repr=False, compare=False)
    _recent_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def similarities(self, space: str, vector: np.ndarray) -> np.ndarray:
        """A question vector's similarity to every bank question in ``space`` (read-only)."""
        key = (space, np.asarray(vector, dtype=np.float32).tobytes())
        with self._recent_lock:
            sims = self._recent.get(key)
            if sims is not None:
                self._recent.move_to_end(key)
                return sims
        sims = self.spaces[space] @ vector
        sims.flags.writeable = False
        with self._recent_lock:
            self._recent[key] = sims
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return sims

    def nearest(self, space: str, vector: np.ndarray, passages: int) -> np.ndarray:
        """Each passage's nearest bank question's similarity to a question's vector; a
        passage without bank questions gets the mean of the others (says nothing).

        The maximum favours passages with many bank questions (the best of 250 draws sits
        higher than the best of 35: over the CGS bank, a passage's mean nearest similarity
        to the other passages' questions follows the log of its question count, r = 0.89
        in e5's space, 0.85 in USE's). Taken out three ways on the 11 dev splits (MRR
        summed over the seven fitted / the four others, against 6.669 / 3.797), each
        ranked a little better and answered out-of-scope questions it abstained on before
        (out of scope 6.673 -> 6.606 or 6.643 on the seven, the answerability model refitted
        or not): each passage's similarities standardised by their mean and spread over
        2,000 other passages' bank questions, 6.684 / 3.807; a soft maximum (temperature
        0.01 in e5's space, 0.03 in USE's) averaging over the passage's questions, 6.696 /
        3.813. The maximum stays; the bias is taken out beside it instead, by the passage
        model (``PassageModel``: each passage's questions count alike), a channel of its
        own: 6.700 / 3.808, out of scope unchanged (a ridge regression in its place, fitted
        in 0.4 s instead of 4: 6.710 / 3.810, out of scope as the first two)."""
        return _best(self.similarities(space, vector), self.owner, passages)

    def nearest_questions(self, space: str, vector: np.ndarray, k: int = 3) -> float:
        """The mean similarity of the ``k`` bank questions nearest to a question's vector."""
        return _nearest(self.similarities(space, vector), k)

    def nearest_unanswered(self, space: str, vector: np.ndarray, k: int = 3) -> float | None:
        """The same for the questions the documents do not answer (None without any)."""
        vectors = self.unanswered.get(space)
        return _nearest(vectors @ vector, k) if vectors is not None and len(vectors) else None

    def lexical_scores(self, terms: list[str]) -> np.ndarray:
        """Each passage's BM25 score for a question's terms over its bank questions."""
        return np.asarray(self.lexical.scores(terms), dtype=np.float32)

    def sentence_lexical_scores(self, terms: list[str]) -> np.ndarray:
        """Each sentence's BM25 score for a question's terms over its bank questions, as a
        share of the best sentence's (all zeros when none shares a word)."""
        scores = np.asarray(self.sentence_lexical.scores(terms), dtype=np.float32)
        top = float(scores.max()) if len(scores) else 0.0
        return scores / top if top > 0 else scores

    def by_sentence(self, vectors: dict[str, np.ndarray], sentences: int) -> np.ndarray:
        """Each sentence's nearest bank question, by the mean similarity over the spaces
        given (space -> the question's vector); a sentence without bank questions gets
        the mean of the others."""
        sims = np.mean([self.similarities(space, v) for space, v in vectors.items()], axis=0)
        return _best(sims, self.sentence, sentences)


def _nearest(sims: np.ndarray, k: int) -> float:
    k = min(k, len(sims))
    return float(np.partition(sims, len(sims) - k)[len(sims) - k:].mean())


def _best(sims: np.ndarray, owner: np.ndarray, size: int) -> np.ndarray:
    best = np.full(size, -np.inf, dtype=np.float32)
    np.maximum.at(best, owner, sims)
    known = np.isfinite(best)
    best[~known] = best[known].mean() if known.any() else 0.0
    return best


def read(path: Path) -> list[tuple[str, str]]:
    """(anchor, question) lines of a bank file; malformed lines are skipped with a warning,
    and an unreadable file (not UTF-8, unreadable) counts as no bank, with a warning: a
    damaged bank costs its channels, never the answers.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.tsv"
    >>> _ = f.write_text("# c\\nsous 30 jours\\tOn a combien de temps pour payer ?\\nno tab\\n", encoding="utf-8")
    >>> read(f)
    [('sous 30 jours', 'On a combien de temps pour payer ?')]
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("question bank %s unreadable (%s): left out", path.name, exc)
        return []
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        anchor, _, question = line.partition("\t")
        if not question.strip() or not anchor.strip():
            log.warning("%s:%d: not 'anchor<TAB>question', skipped", path.name, number)
            continue
        out.append((anchor.strip(), question.strip()))
    return out


def read_unanswered(path: Path) -> list[str]:
    """The questions of an ``.unanswered.txt`` file (one a line, ``#`` comments); none
    when it is missing or unreadable (with a warning)."""
    if not path.is_file():
        return []
    try:
        return questions(path)
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("%s unreadable (%s): left out", path.name, exc)
        return []


def _plain(text: str) -> str:
    return " ".join(fold(text).split())


def resolve(anchors: list[str], sentences: list[Sentence], doc_of: dict[str, str], doc_id: str
            ) -> list[tuple[int, ...]]:
    """The sentences each anchor is in (their indices; none when it is in none of the
    document's sentences, accents, case and spacing aside). A text the document repeats
    (a definition given twice, a renewal clause written for each service) ties its
    questions to every copy: each answers them alike."""
    mine = [(i, _plain(s.text)) for i, s in enumerate(sentences) if doc_of.get(s.passage_id) == doc_id]
    where: dict[str, tuple[int, ...]] = {}
    for anchor in anchors:
        if anchor not in where:
            plain = _plain(anchor)
            where[anchor] = tuple(i for i, text in mine if plain in text)
    lost = sorted(a for a, found in where.items() if not found)
    if lost:
        log.warning("%s: %d bank anchors are not in the document's text (their questions are left out): %s",
                    doc_id, len(lost), "; ".join(lost[:3]))
    return [where[a] for a in anchors]


def load(folder: Path | None, passages: list[Passage], sentences: list[Sentence], sentence_owner: np.ndarray,
         encoders: dict[str, tuple[str, Callable[[list[str]], np.ndarray]]], cache_dir: Path | None,
         language: str = "fr") -> Bank | None:
    """The bank of the documents of a generation (None when none of them has one), in the
    space of each encoder (space -> (encoder name, encode)); its words are analysed in the
    documents' ``language``, as the questions' are."""
    if folder is None or not folder.is_dir() or not encoders:
        return None
    doc_of = {p.id: p.doc_id for p in passages}
    vectors: dict[str, list[np.ndarray]] = {space: [] for space in encoders}
    unanswered: dict[str, list[np.ndarray]] = {space: [] for space in encoders}
    index: list[int] = []
    kept_texts: list[str] = []
    for doc_id in sorted(set(doc_of.values())):
        others = read_unanswered(folder / f"{doc_id}.unanswered.txt")
        for space, (name, encode) in encoders.items():
            if others:
                cache = cache_dir / f"bank-{doc_id}-unanswered-{key(name, others)}.npz" if cache_dir else None
                unanswered[space] += list(kept_vectors(name, encode, others, folder / f"{doc_id}.unanswered.{space}.npz",
                                                       cache))
        path = folder / f"{doc_id}.tsv"
        lines = read(path) if path.is_file() else []
        if not lines:
            continue
        texts = [q for _, q in lines]
        where = resolve([a for a, _ in lines], sentences, doc_of, doc_id)
        rows = [row for row, found in enumerate(where) for _ in found]
        index += [i for found in where for i in found]
        kept_texts += [texts[row] for row in rows]
        for space, (name, encode) in encoders.items():
            cache = cache_dir / f"bank-{doc_id}-{key(name, texts)}.npz" if cache_dir else None
            found = kept_vectors(name, encode, texts, folder / f"{doc_id}.{space}.npz", cache)
            vectors[space] += [found[row] for row in rows]
    if not index:
        return None
    where = np.asarray(index, dtype=np.int64)
    owner = sentence_owner[where]
    covers = np.zeros(len(passages), dtype=bool)
    covers[owner] = True
    words: list[list[str]] = [[] for _ in passages]
    sentence_words: list[list[str]] = [[] for _ in sentences]
    for row, i, text in zip(owner.tolist(), where.tolist(), kept_texts):
        analysed = tokens(text, language)
        words[row] += analysed
        sentence_words[i] += analysed
    spaces = {space: np.asarray(v, dtype=np.float32) for space, v in vectors.items()}
    return Bank(spaces, where, owner, covers, BM25(words), BM25(sentence_words),
                {space: np.asarray(v, dtype=np.float32) for space, v in unanswered.items() if v},
                passage_model(spaces, owner, cache_dir, folder / SHIPPED_MODEL))


def ship(folder: Path, doc_id: str, space: str, name: str, encode: Callable[[list[str]], np.ndarray]) -> list[Path]:
    """Write a bank's vectors in one space beside it (after editing ``<doc_id>.tsv`` or
    ``<doc_id>.unanswered.txt``)."""
    out = [ship_vectors(name, encode, [q for _, q in read(folder / f"{doc_id}.tsv")], folder / f"{doc_id}.{space}.npz")]
    others = read_unanswered(folder / f"{doc_id}.unanswered.txt")
    if others:
        out.append(ship_vectors(name, encode, others, folder / f"{doc_id}.unanswered.{space}.npz"))
    return out


if __name__ == "__main__":
    import sys

    from terms import Settings, offline_environment

    offline_environment()
    from ingest import load_embedder
    from ingest.use_channel import load_use

    settings = Settings()
    use, e5 = load_use(), load_embedder(settings.embedding_model)
    folder = settings.corpus_dir / "questions"
    for path in sorted(folder.glob("*.tsv")):
        print(ship(folder, path.stem, "use", use.name, use.encode), file=sys.stderr)
        print(ship(folder, path.stem, "dense", e5.name, e5.embed_queries), file=sys.stderr)
    # The passage model reads the passages too: fitted on the current index (ingested
    # first when the corpus changed), from the vectors just written.
    from assistant.core import Assistant
    from ingest.pipeline import run

    run(settings, embedder=e5, progress=False)
    snapshot = Assistant.from_settings(settings, embedder=e5).search.snapshot()
    if snapshot.bank is not None:
        print(ship_model(folder, snapshot.bank), file=sys.stderr)
