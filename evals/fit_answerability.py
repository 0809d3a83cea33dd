"""Fit the answerability model on the dev splits: ``python -m evals.fit_answerability``.

Runs the assistant's first stages (rewrite, retrieve, choose) on every case of the dev
sets, computes the signals of ``assistant.decide`` for each, and fits a logistic
regression (L2, numpy; features standardised, weights given back on the raw scale) that
predicts ``answerable``. The line is chosen on out-of-fold predictions (5-fold cross-
validation): the highest share of unanswerable questions abstained on while at most
``--max-false-abstention`` of answerable ones are, in every dev set (1.5%, half the 3% target:
see ``MAX_FALSE``). Writes ``assistant/answerability.json``
(weights, bias, line, and the fit's report) and ``evals/fits/answerability-dev.csv`` (the
signals of every dev case, so the fit can be redone or inspected without the model).

Only dev splits are read: the test splits are for reporting.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
from pathlib import Path

import numpy as np

from terms import Settings, offline_environment

ROOT = Path(__file__).resolve().parent.parent
DEV_SETS = [ROOT / "evals" / "sets" / f"{name}.dev.jsonl" for name in ("cgs", "scenarios", "scenarios-more", "scenarios-extra",
                                                                                  "scenarios-fresh", "scenarios-new",
                                                                                  "scenarios-blind")]
OUT = ROOT / "assistant" / "answerability.json"
TABLE = ROOT / "evals" / "fits" / "answerability-dev.csv"


def collect(sets: list[Path]) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """(cases, signals matrix, labels) over the dev sets."""
    from assistant.decide import FEATURES
    from assistant.guard import substance
    from assistant.tasks import task_request

    from .runner import assistant_for, read_set

    # A message with nothing to look up, or a role to play or a text to write and no
    # question, is answered before any signal is read: it is not the model's to decide.
    cases = [c for path in sets for c in read_set(path)
             if substance(c["question"]) and not task_request(c["question"])]
    rows, labels = [], []
    with assistant_for(Settings(), None) as (assistant, _):
        for case in cases:
            query = assistant.rewrite(case["question"], case.get("history") or [])
            evidence = assistant.gather(query, assistant.settings.k)
            picked = assistant.choose(query, evidence)
            if picked:
                vector = assistant.signals(query, evidence, picked).vector()
            else:
                vector = [-1.0] + [0.0] * (len(FEATURES) - 1)
            rows.append(vector)
            labels.append(1.0 if case.get("answerable", True) else 0.0)
    return cases, np.asarray(rows, dtype=float), np.asarray(labels)


# The share of answerable questions the line may abstain on in cross-validation, in each dev
# set. The target is 3%, but for a set of new questions, not for the sets the line was drawn
# on: held out in turn (fit and line on the other six dev sets), a line drawn at 3% abstained
# on 8.8% of the exam-style set's answerable questions (mean over the seven held-out sets
# 2.0%, out of scope abstained 0.891); drawn at 1.5%, on 0.9% at most (mean 0.26%, out of
# scope 0.881); at 2%, 4.4% at most. The fit reports the held-out figures (``held_out``).
MAX_FALSE = 0.015


def held_out(x: np.ndarray, y: np.ndarray, groups: np.ndarray, max_false: float, l2: float,
             signs: np.ndarray) -> dict[str, dict[str, float]]:
    """Each dev set held out in turn: the model and its line fitted on the others, the share
    of its answerable questions abstained on and of its unanswerable ones (what a new set
    of questions would see)."""
    out = {}
    for name in sorted(set(groups.tolist())):
        kept = groups != name
        line = choose_line(out_of_fold(x[kept], y[kept], l2=l2, signs=signs), y[kept], max_false, groups[kept])
        w, b = fit(x[kept], y[kept], l2, signs=signs)
        p, truth = predict(x[~kept], w, b), y[~kept]
        out[name] = {"false_abstention": round(float(np.mean(p[truth == 1] < line)), 4),
                     "abstention_recall": round(float(np.mean(p[truth == 0] < line)), 4) if (truth == 0).any() else None}
    return out


def set_of(sets: list[Path]) -> dict[str, str]:
    """Each case id -> the name of the dev set it comes from."""
    from .runner import read_set

    return {case["id"]: path.name.removesuffix(".jsonl") for path in sets for case in read_set(path)}


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 4000, rate: float = 0.1,
        signs: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent on standardised features; raw-scale weights.

    ``signs`` (+1, -1 or 0 per feature) keeps each weight on its side of zero (0: either):
    what a signal means is known before the fit (more evidence never argues against
    answering), and a weight the few dev cases push across zero would fail on questions
    unlike them (a question in words the terms never use reads as answerable).

    >>> x = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0.0, 0.0, 1.0, 1.0])
    >>> w, b = fit(x, y, l2=0.01)
    >>> bool(w[0] > 0) and bool(predict(x, w, b)[3] > 0.5 > predict(x, w, b)[0])
    True
    """
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = (x - mean) / std
    w, b = np.zeros(z.shape[1]), 0.0
    positive = y.mean() if len(y) else 0.5
    weight = np.where(y == 1, 0.5 / max(positive, 1e-9), 0.5 / max(1 - positive, 1e-9))  # balanced classes
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = (p - y) * weight
        w -= rate * (z.T @ g / len(y) + l2 * w / len(y))
        b -= rate * g.mean()
        if signs is not None:
            w = np.where(signs > 0, np.maximum(w, 0), np.where(signs < 0, np.minimum(w, 0), w))
    return w / std, float(b - (w / std) @ mean)


def predict(x: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    return 1 / (1 + np.exp(-(x @ w + b)))


def out_of_fold(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 7, l2: float = 1.0,
                signs: np.ndarray | None = None) -> np.ndarray:
    order = list(range(len(y)))
    random.Random(seed).shuffle(order)
    p = np.zeros(len(y))
    for k in range(folds):
        held = order[k::folds]
        kept = [i for i in order if i not in set(held)]
        w, b = fit(x[kept], y[kept], l2, signs=signs)
        p[held] = predict(x[held], w, b)
    return p


def choose_line(p: np.ndarray, y: np.ndarray, max_false: float, groups: np.ndarray | None = None) -> float:
    """The line that abstains on the most unanswerable questions while abstaining on at
    most ``max_false`` of the answerable ones (ties: the lowest such line).

    With ``groups`` (each case's eval set), the bound holds in every group, not only over
    the pool: the target is per split, and a pooled 3% let the scenario set's answerable
    questions be abstained on 4.1% of the time in cross-validation (0.030 / 0.041 / 0.029 /
    0.021 on cgs, scenarios, -more, -extra) while exam-style ones were spared.

    >>> p = np.array([0.1, 0.5, 0.3, 0.9, 0.95, 0.96, 0.97, 0.98]); y = np.array([0, 0, 1, 1, 1, 1, 1, 1])
    >>> g = np.array(["a", "b", "a", "a", "b", "b", "b", "b"])
    >>> choose_line(p, y, 0.2), choose_line(p, y, 0.2, g)
    (0.9, 0.3)
    """
    labels = np.zeros(len(y)) if groups is None else groups
    answerable = [p[(y == 1) & (labels == g)] for g in np.unique(labels) if ((y == 1) & (labels == g)).any()]
    best, best_recall = 0.5, -1.0
    for line in sorted(set(np.round(p, 4).tolist()) | {0.5}):
        false = max((float(np.mean(scores < line)) for scores in answerable), default=0.0)
        recall = float(np.mean(p[y == 0] < line)) if (y == 0).any() else 0.0
        if false <= max_false and recall > best_recall:
            best, best_recall = line, recall
    return best


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    from assistant.decide import FEATURES, SIGNS

    signs = np.array([SIGNS[name] for name in FEATURES], dtype=float)
    parser = argparse.ArgumentParser(prog="python -m evals.fit_answerability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-false-abstention", type=float, default=MAX_FALSE)
    parser.add_argument("--l2", type=float, default=10.0)  # chosen by 5-fold CV on dev (1, 10)
    parser.add_argument("--from-table", action="store_true", help="refit from the saved signals, without the model")
    args = parser.parse_args(argv)
    if args.from_table:
        with TABLE.open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        x = np.asarray([[float(r[name]) for name in FEATURES] for r in rows])
        y = np.asarray([float(r["answerable"]) for r in rows])
        ids = [r["id"] for r in rows]
    else:
        cases, x, y = collect(DEV_SETS)
        TABLE.parent.mkdir(parents=True, exist_ok=True)
        with TABLE.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f)
            out.writerow(["id", *FEATURES, "answerable"])
            for case, row, label in zip(cases, x, y):
                out.writerow([case["id"], *[f"{v:.5f}" for v in row], int(label)])
        ids = [case["id"] for case in cases]
    origin = set_of(DEV_SETS)
    groups = np.asarray([origin.get(i, "") for i in ids])
    p = out_of_fold(x, y, l2=args.l2, signs=signs)
    line = choose_line(p, y, args.max_false_abstention, groups)
    w, b = fit(x, y, args.l2, signs=signs)
    report = {
        "cases": int(len(y)), "unanswerable": int((y == 0).sum()),
        "cv_false_abstention": round(float(np.mean(p[y == 1] < line)), 4),
        "cv_abstention_recall": round(float(np.mean(p[y == 0] < line)), 4),
        "cv_false_abstention_per_set": {g: round(float(np.mean(p[(y == 1) & (groups == g)] < line)), 4)
                                        for g in sorted(set(groups.tolist()))},
        "held_out": held_out(x, y, groups, args.max_false_abstention, args.l2, signs),
    }
    # The same fit without the bank signal, for documents that have no question bank: its
    # other weights are those the signals earn alone (with the bank signal in, it carries
    # what the foreground and background signals would).
    kept = [i for i, name in enumerate(FEATURES) if not name.startswith("bank")]
    p2 = out_of_fold(x[:, kept], y, l2=args.l2, signs=signs[kept])
    line2 = choose_line(p2, y, args.max_false_abstention, groups)
    w2, b2 = fit(x[:, kept], y, args.l2, signs=signs[kept])
    without = {"cv_false_abstention": round(float(np.mean(p2[y == 1] < line2)), 4),
               "cv_abstention_recall": round(float(np.mean(p2[y == 0] < line2)), 4)}
    OUT.write_text(json.dumps({
        "weights": {name: round(float(v), 6) for name, v in zip(FEATURES, w)}, "bias": round(b, 6),
        "means": {name: round(float(v), 6) for name, v in zip(FEATURES, x.mean(axis=0))},
        "threshold": round(line, 4), "fitted_on": [str(p.relative_to(ROOT)) for p in DEV_SETS],
        "report": report,
        "without_bank": {"weights": {FEATURES[i]: round(float(v), 6) for i, v in zip(kept, w2)},
                         "bias": round(b2, 6), "threshold": round(line2, 4), "report": without}},
        indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report), json.dumps({"without_bank": without}))
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
