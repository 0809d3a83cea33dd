"""Eval metrics as pure functions over one case's expectation and result.

A result is a case of the eval-run output (EVAL_FORMAT.md): answer, abstained,
citations [{label, source_id, quote, ...}], passages [{rank, source_id, text, ...}].
"""
from __future__ import annotations

import math
import random
import statistics

from terms.text import normalise as _normalise


def normalise(text: str) -> str:
    """EVAL_FORMAT.md's normalisation (terms.text.normalise), padded with a space each side
    so that containment is on word boundaries.

    >>> normalise("Délai d’exécution : 30 jours")
    ' delai d execution 30 jours '
    """
    return f" {_normalise(text)} "


def _contains(haystack: str, needle: str) -> bool:
    n = normalise(needle).strip()
    return bool(n) and n in normalise(haystack)


def is_relevant(passage: dict, expect: dict) -> bool:
    """A passage is right when it contains any source snippet, or is any source document."""
    if passage.get("source_id") in (expect.get("source_ids") or []):
        return True
    return any(_contains(passage.get("text", ""), s) for s in expect.get("sources") or [])


def relevance(result: dict, expect: dict) -> list[bool]:
    passages = sorted(result.get("passages", []), key=lambda p: p.get("rank", 0))
    return [is_relevant(p, expect) for p in passages]


def hit_at(rels: list[bool], k: int) -> float:
    """1.0 when a right passage is among the first k.

    >>> hit_at([False, True], 1), hit_at([False, True], 2)
    (0.0, 1.0)
    """
    return 1.0 if any(rels[:k]) else 0.0


def reciprocal_rank(rels: list[bool]) -> float:
    """1/rank of the first right passage, 0 when none is.

    >>> reciprocal_rank([False, False, True])
    0.3333333333333333
    """
    return next((1.0 / i for i, r in enumerate(rels, 1) if r), 0.0)


def ndcg_at(rels: list[bool], k: int = 10) -> float:
    """Binary-relevance nDCG; the ideal ranking puts the right passages found first.

    >>> ndcg_at([True]), round(ndcg_at([False, True]), 3)
    (1.0, 0.631)
    """
    dcg = sum(1.0 / math.log2(i + 1) for i, r in enumerate(rels[:k], 1) if r)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(sum(rels), k) + 1))
    return dcg / ideal if ideal else 0.0


def citation_correct(result: dict, expect: dict) -> float:
    """1.0 when a citation of the answer points at a right passage (its quote or the
    cited passage contains a source snippet, or it cites a source document)."""
    passages = {p.get("id"): p for p in result.get("passages", []) if p.get("id")}
    for c in result.get("citations", []):
        if c.get("source_id") in (expect.get("source_ids") or []):
            return 1.0
        text = c.get("quote", "") + " " + passages.get(c.get("passage_id"), {}).get("text", "") + " " + c.get("passage_text", "")
        if any(_contains(text, s) for s in expect.get("sources") or []):
            return 1.0
    return 0.0


def quote_correct(result: dict, expect: dict) -> float:
    """1.0 when a quote of the answer itself holds a source snippet: the answer quotes the
    sentence that answers, not only a sentence of the right passage."""
    for c in result.get("citations", []):
        if c.get("supporting"):
            continue
        if any(_contains(c.get("quote", ""), s) for s in expect.get("sources") or []):
            return 1.0
    return 0.0


def answer_text(result: dict) -> str:
    return result.get("answer", "") + " " + " ".join(c.get("quote", "") for c in result.get("citations", []))


def fact_recall(result: dict, expect: dict) -> float | None:
    """Share of fact groups of which the answer (text plus quotes) has one alternative."""
    groups = expect.get("facts") or []
    if not groups:
        return None
    text = answer_text(result)
    return sum(any(_contains(text, alt) for alt in group) for group in groups) / len(groups)


def forbidden_hit(result: dict, expect: dict) -> bool:
    return any(_contains(result.get("answer", ""), f) for f in expect.get("forbidden") or [])


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (the value below which a share q of the values lie).

    >>> percentile([1, 2, 3, 4], 0.5), percentile([1, 2, 3, 4], 0.95)
    (2, 4)
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def score_case(case: dict, result: dict) -> dict:
    """Per-case scores; retrieval scores only for answerable cases."""
    expect = case.get("expect", {})
    out: dict = {"abstained": bool(result.get("abstained")), "answerable": case.get("answerable", True),
                 "forbidden_hit": forbidden_hit(result, expect), "latency_ms": result.get("latency_ms", 0.0)}
    if out["answerable"] and (expect.get("sources") or expect.get("source_ids")):
        rels = relevance(result, expect)
        out.update({"hit@1": hit_at(rels, 1), "hit@3": hit_at(rels, 3), "hit@5": hit_at(rels, 5),
                    "mrr": reciprocal_rank(rels), "ndcg@10": ndcg_at(rels, 10)})
        if not out["abstained"]:
            out["citation_accuracy"] = citation_correct(result, expect)
        if expect.get("sources"):  # an abstention quotes nothing
            out["quote_accuracy"] = 0.0 if out["abstained"] else quote_correct(result, expect)
    if out["answerable"]:
        recall = fact_recall(result, expect)
        if recall is not None:
            out["fact_recall"] = 0.0 if out["abstained"] else recall
    return out


def aggregate(scores: list[dict]) -> dict:
    """Mean of each metric over the cases that have it, abstention precision/recall,
    forbidden hits and latency percentiles."""
    summary: dict = {"cases": len(scores)}
    for key in ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "citation_accuracy", "quote_accuracy",
                "fact_recall"):
        values = [s[key] for s in scores if key in s]
        summary[key] = round(statistics.fmean(values), 4) if values else None
    abstained = [s for s in scores if s["abstained"]]
    unanswerable = [s for s in scores if not s["answerable"]]
    right = [s for s in abstained if not s["answerable"]]
    summary["abstention_precision"] = round(len(right) / len(abstained), 4) if abstained else None
    summary["abstention_recall"] = round(len(right) / len(unanswerable), 4) if unanswerable else None
    answerable = [s for s in scores if s["answerable"]]
    summary["answered_rate"] = (round(sum(not s["abstained"] for s in answerable) / len(answerable), 4)
                                if answerable else None)
    summary["forbidden_hits"] = sum(s["forbidden_hit"] for s in scores)
    latencies = [s["latency_ms"] for s in scores]
    summary["latency_p50_ms"] = round(percentile(latencies, 0.5), 1)
    summary["latency_p95_ms"] = round(percentile(latencies, 0.95), 1)
    return summary


# The metrics whose spread a bootstrap reports (latency has its own noise, measured elsewhere).
INTERVAL_KEYS = ("hit@1", "hit@5", "mrr", "quote_accuracy", "fact_recall", "abstention_recall", "answered_rate")


def intervals(scores: list[dict], rounds: int = 1000, seed: int = 0, level: float = 0.95
              ) -> dict[str, tuple[float, float]]:
    """A percentile-bootstrap interval of each of ``INTERVAL_KEYS`` over the cases: how far
    the figure of another set of questions like these could fall. On a hundred cases one
    case is 0.01 and the interval is several of them wide; a change inside it is not shown
    to be real by this set alone (``evals diff`` says which cases moved).

    >>> rows = [{"abstained": False, "answerable": True, "forbidden_hit": False, "latency_ms": 1.0,
    ...          "mrr": float(i % 2)} for i in range(40)]
    >>> low, high = intervals(rows)["mrr"]
    >>> 0.3 < low < 0.5 < high < 0.7
    True
    """
    rng = random.Random(seed)
    drawn: dict[str, list[float]] = {key: [] for key in INTERVAL_KEYS}
    for _ in range(rounds):
        sample = aggregate(rng.choices(scores, k=len(scores)))
        for key in INTERVAL_KEYS:
            if sample.get(key) is not None:
                drawn[key].append(sample[key])
    tail = (1 - level) / 2
    return {key: (percentile(values, tail), percentile(values, 1 - tail)) for key, values in drawn.items() if values}
