"""Run an eval set through a pipeline and write the eval-run output (EVAL_FORMAT.md)."""
from __future__ import annotations

import json
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from assistant.core import Assistant
from ingest import is_present, load, read_manifest, settings_embedder
from ingest import run as ingest_run
from terms.errors import DocumentError
from terms.settings import Settings

from .chart import draw_metrics
from .metrics import aggregate, score_case
from .pipelines import AssistantPipeline, BM25Pipeline, TextbookPipeline

PIPELINES = ("assistant", "bm25", "textbook")
# Two eval runs started together both bring the index up to date first: the second waits
# for the first's ingest (then finds nothing left to do) instead of failing.
INGEST_WAIT_SECONDS = 900


def read_set(path: Path) -> list[dict]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: not JSON ({exc.msg})") from exc
    return cases


@contextmanager
def assistant_for(settings: Settings, corpus: Path | None) -> Iterator[tuple[Assistant, Settings]]:
    """The project's assistant, or one over a throwaway index of another corpus folder."""
    embedder = settings_embedder(settings)
    if corpus is None:
        report = ingest_run(settings, embedder=embedder, wait=INGEST_WAIT_SECONDS)
        if not report.ok:
            print(report.summary())
        yield Assistant.from_settings(settings, embedder=embedder), settings
        return
    with tempfile.TemporaryDirectory(prefix="terms-eval-") as tmp:
        throwaway = settings.model_copy(update={"corpus_dir": corpus, "data_dir": Path(tmp),
                                                "chroma_host": None})
        report = ingest_run(throwaway, embedder=embedder)
        print(report.summary())
        yield Assistant.from_settings(throwaway, embedder=embedder), throwaway


def raw_documents(settings: Settings) -> list[tuple[str, str]]:
    """(id, raw loaded text) of every present document, for the textbook baseline."""
    out = []
    for doc in read_manifest(settings.corpus_dir):
        if is_present(doc, settings.corpus_dir):
            try:
                pages = load(settings.corpus_dir / doc.file, settings)
            except DocumentError:
                continue
            out.append((doc.id, "\n".join(p.text for p in pages)))
    return out


def make_pipeline(name: str, assistant: Assistant, settings: Settings, mode: str = "extractive"):
    if name == "assistant":
        return AssistantPipeline(assistant, mode)
    if name == "bm25":
        return BM25Pipeline(assistant)
    if name == "textbook":
        return TextbookPipeline(assistant, raw_documents(settings))
    raise ValueError(f"unknown pipeline {name!r} (one of {', '.join(PIPELINES)})")


def run_set(pipeline, cases: list[dict], k: int, progress: bool = True) -> tuple[list[dict], list[dict]]:
    # Latency is measured with everything loaded: one untimed question first loads
    # the index snapshot, the vector index and the caches.
    pipeline.run_case({"id": "warm-up", "question": "délai de paiement", "history": []}, k)
    results, scores = [], []
    for case in tqdm(cases, desc=pipeline.name, unit="case", disable=None if progress else True, leave=False):
        result = pipeline.run_case(case, k)
        results.append(result)
        scores.append(score_case(case, result))
    return results, scores


def summarise(cases: list[dict], scores: list[dict]) -> dict:
    """Overall, per-language and (when the set names them) per-category summaries."""
    summary = aggregate(scores)
    for language in sorted({c.get("language", "") for c in cases}):
        subset = [s for c, s in zip(cases, scores) if c.get("language", "") == language]
        summary[f"lang:{language}"] = aggregate(subset)
    for category in sorted({c["category"] for c in cases if c.get("category")}):
        subset = [s for c, s in zip(cases, scores) if c.get("category") == category]
        summary[f"cat:{category}"] = aggregate(subset)
    return summary


def write_report(path: Path, cases: list[dict], results: list[dict], scores: list[dict], title: str,
                 previous: dict | None = None) -> int:
    """A Markdown list of every failed case: what was expected, what came back; above it, a
    chart of the main metrics per language and category (a PNG beside the report), with the
    ``previous`` run's summary as "before" bars when given."""
    lines = [f"# Failed cases — {title}", ""]
    failed = 0
    for case, result, score in zip(cases, results, scores):
        problems = []
        if case.get("answerable", True):
            if score.get("hit@5") == 0.0:
                problems.append("no right passage in the top 5")
            if score["abstained"]:
                problems.append("abstained on an answerable question")
            elif score.get("citation_accuracy") == 0.0:
                problems.append("cites no right passage")
            elif score.get("quote_accuracy") == 0.0:
                problems.append("quotes another sentence of the right passage")
            if score.get("fact_recall") not in (None, 1.0) and not score["abstained"]:
                problems.append(f"fact recall {score['fact_recall']:.2f}")
        elif not score["abstained"]:
            problems.append("answered an out-of-scope question")
        if score["forbidden_hit"]:
            problems.append("forbidden string in the answer")
        if not problems:
            continue
        failed += 1
        expect = case.get("expect", {})
        lines += [f"## {case['id']} ({case.get('language', '')})", "",
                  f"- question: {case['question']}" + (f" (history: {case['history']})" if case.get("history") else ""),
                  f"- problems: {'; '.join(problems)}",
                  f"- expected sources: {expect.get('sources') or expect.get('source_ids') or '—'}; "
                  f"facts: {expect.get('facts') or '—'}",
                  f"- answer: {result['answer'][:400]!r}",
                  f"- top passages: {[p['label'] for p in result['passages'][:3]]}", ""]
    lines[1:1] = ["", f"{failed} of {len(cases)} cases failed.", "", chart_line(path, cases, scores, previous)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return failed


def chart_line(report: Path, cases: list[dict], scores: list[dict], previous: dict | None) -> str:
    """Draw the report's chart beside it; the Markdown line that shows it (or says why not)."""
    chart = report.with_suffix(".png")
    try:
        draw_metrics(chart, summarise(cases, scores), previous)
    except ImportError:
        return "(No chart: matplotlib is not installed.)"
    what = "before (grey) and after (blue)" if previous else "this run"
    return (f"![hit@5, MRR, quote accuracy, fact recall and abstention recall per language and category, "
            f"{what}]({chart.name})")


def format_summary(summary: dict) -> str:
    keys = ["hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "citation_accuracy", "quote_accuracy", "fact_recall",
            "abstention_precision", "abstention_recall", "forbidden_hits", "latency_p50_ms", "latency_p95_ms"]
    groups = (["all"] + sorted(k for k in summary if k.startswith("lang:"))
              + sorted(k for k in summary if k.startswith("cat:")))
    width = max([10] + [len(g.split(":")[-1]) + 1 for g in groups])
    rows = [f"{'metric':<22}" + "".join(f"{g.split(':')[-1]:>{width}}" for g in groups)]
    for key in keys:
        cells = []
        for g in groups:
            value = summary.get(key) if g == "all" else summary[g].get(key)
            cells.append(f"{'—' if value is None else (f'{value:.3f}' if isinstance(value, float) else value):>{width}}")
        rows.append(f"{key:<22}" + "".join(cells))
    return "\n".join(rows)
