"""Fit the weights that rank a passage's sentences: ``python -m evals.fit_sentences``.

Runs the assistant's first stages (rewrite, retrieve) on every answerable case of the dev
sets and reads, for each sentence of the first three passages, the signals the quote is
chosen by (``assistant.answer.sentence_signals``). A conditional logit then weighs them:
for each question, the sentences that hold an expected source against all the others
(the cosine's weight stays 1: the scale of the scores the margins and the answerability
signals read). An L2 pull towards the weights first tuned one signal at a time (``PRIOR``,
``--pull``) keeps a signal that few cases exercise where it was.

The weights are fitted on the fitted dev splits and checked on the others (the best
sentence holds the answer, before and after); the script prints them as the constants of
``assistant/answer.py``, to be copied there with the figures. Only dev splits are read:
the test splits are for reporting.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

from terms import Settings, offline_environment

offline_environment()  # before the assistant's modules import chromadb

from assistant.answer import HAND_TUNED_WEIGHTS  # noqa: E402

from .fit_answerability import DEV_SETS  # noqa: E402
from .metrics import normalise  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Dev splits the fit never reads: they say whether it carries over to questions it was not fitted on.
HELD_OUT = [ROOT / "evals" / "sets" / f"{name}.dev.jsonl" for name in ("scenarios-next", "scenarios-hard",
                                                                         "scenarios-field", "scenarios-floor")]
POOL = 3  # the passages whose sentences compete (``select_sentences``' default)
# The weights of SIGNALS as first tuned one signal at a time on the dev splits (losses negative).
PRIOR = np.array(HAND_TUNED_WEIGHTS)


def collect(sets: list[Path]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each answerable case whose expected source is among its candidate sentences:
    (signals of every candidate sentence, whether each holds a source)."""
    from assistant.answer import sentence_signals
    from assistant.asks import asks

    from .runner import assistant_for, read_set

    out = []
    with assistant_for(Settings(), None) as (assistant, _):
        for path in sets:
            for case in read_set(path):
                sources = [normalise(s) for s in (case.get("expect") or {}).get("sources") or []]
                if not case.get("answerable", True) or not sources:
                    continue
                query = assistant.rewrite(case["question"], case.get("history") or [])
                evidence = assistant.gather(query, assistant.settings.k)
                snap = evidence.snapshot
                rows = sentence_signals(snap, evidence.hits, evidence.sentence_vector, query.searched,
                                        POOL, asks(query.question), query.language, evidence.use_vector)
                texts = [normalise(snap.sentences[i].text) for i, _, _ in rows]
                holds = np.array([any(s in t or t in s for s in sources) for t in texts], dtype=bool)
                if holds.any():
                    out.append((np.stack([x for _, _, x in rows]), holds))
    return out


def _pack(cases: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width = max(len(h) for _, h in cases)
    signals = np.zeros((len(cases), width, cases[0][0].shape[1]))
    holds = np.zeros((len(cases), width), dtype=bool)
    present = np.zeros((len(cases), width), dtype=bool)
    for j, (x, h) in enumerate(cases):
        signals[j, :len(h)], holds[j, :len(h)], present[j, :len(h)] = x, h, True
    return signals, holds, present


def best_holds(weights: np.ndarray, cases: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The share of cases whose best-scored sentence holds the answer."""
    signals, holds, present = _pack(cases)
    scores = np.where(present, signals @ weights, -np.inf)
    return float(holds[np.arange(len(holds)), scores.argmax(1)].mean())


def fit(cases: list[tuple[np.ndarray, np.ndarray]], prior: np.ndarray, pull: float) -> np.ndarray:
    """Weights (the cosine's kept at 1) that make the sentences holding the answer likeliest,
    pulled towards ``prior`` (each weight relative to its size, at least 0.01)."""
    signals, holds, present = _pack(cases)
    scale = np.maximum(np.abs(prior[1:]), 0.01)

    def loss(theta: np.ndarray) -> float:
        weights = np.concatenate([[1.0], theta[:-1]])
        scores = np.where(present, (signals @ weights) * np.exp(theta[-1]), -np.inf)
        fit_ = -(logsumexp(np.where(holds, scores, -np.inf), axis=1) - logsumexp(scores, axis=1)).mean()
        return float(fit_ + pull * np.sum(((theta[:-1] - prior[1:]) / scale) ** 2))

    start = np.concatenate([prior[1:], [np.log(30.0)]])  # the temperature: fitted, then dropped
    theta = minimize(loss, start, method="L-BFGS-B").x
    return np.concatenate([[1.0], theta[:-1]])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pull", type=float, default=0.01, help="L2 pull towards PRIOR")
    args = parser.parse_args(argv)
    from assistant.answer import SIGNALS, sentence_weights

    fitted, held = collect(DEV_SETS), collect(HELD_OUT)
    weights = fit(fitted, PRIOR, args.pull)
    print(f"fitted on {len(fitted)} cases, checked on {len(held)}")
    for name, cases in (("fitted", fitted), ("held out", held)):
        print(f"  best sentence holds the answer, {name}: {best_holds(PRIOR, cases):.3f} (prior), "
              f"{best_holds(sentence_weights(), cases):.3f} (assistant/answer.py), {best_holds(weights, cases):.3f} (fit)")
    constants = {"overlap": "OVERLAP_WEIGHT", "story_overlap": "STORY_OVERLAP_WEIGHT", "rank": "RANK_STEP",
                 "passage": "PASSAGE_WEIGHT", "definition": "DEFINITION_STEP", "figure": "FIGURE_WEIGHT",
                 "asked": "ASKED_WEIGHT", "bank": "BANK_WEIGHT", "bank_words": "BANK_LEXICAL_WEIGHT"}
    for name, w in zip(SIGNALS[1:], weights[1:]):
        # a loss is written as a positive step (``sentence_weights`` negates it)
        value = -w if name in ("rank", "definition") else w
        print(f"{constants[name]} = {value:.4g}")


if __name__ == "__main__":
    main()
