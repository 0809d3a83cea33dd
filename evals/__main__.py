"""The eval runner.

    python -m evals run --set FILE --out FILE [--corpus DIR] [--mode extractive|llm]
                        [--pipeline assistant|bm25|textbook] [--k N] [--check] [--keep-previous]
    python -m evals compare [--set FILE ...] [--corpus DIR] [--k N]
    python -m evals diff OLD.json NEW.json [--set FILE]

A set written on its own documents answers from them without ``--corpus``: NAME.dev.jsonl
from evals/corpora/NAME/ when that folder exists (tos-en), the project's corpus otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

from terms import Settings, offline_environment
from terms.errors import TermsError

from .diff import diff_runs, format_diff, keep_previous
from .metrics import intervals
from .runner import (PIPELINES, assistant_for, format_summary, make_pipeline, read_set, run_set, summarise,
                     write_report)

THRESHOLDS = Path(__file__).with_name("thresholds.toml")
SETS = Path(__file__).with_name("sets")
CORPORA = Path(__file__).with_name("corpora")  # sets written on their own documents (evals/corpora/<set name>/)
DEFAULT_SETS = [SETS / f"{name}.{split}.jsonl" for name in ("cgs", "scenarios") for split in ("dev", "test")] + [
    SETS / "scenarios-more.dev.jsonl", SETS / "scenarios-extra.dev.jsonl", SETS / "scenarios-fresh.dev.jsonl",
    SETS / "scenarios-new.dev.jsonl", SETS / "scenarios-blind.dev.jsonl", SETS / "scenarios-next.dev.jsonl",
    SETS / "scenarios-hard.dev.jsonl", SETS / "scenarios-field.dev.jsonl", SETS / "scenarios-floor.dev.jsonl"]


def set_name(path: Path) -> str:
    """"cgs" for evals/sets/cgs.test.jsonl: the section of thresholds.toml that applies."""
    return path.name.split(".")[0]


def own_corpus(path: Path) -> Path | None:
    """The folder a set was written on, when it is not the project's corpus: a set named
    "tos-en.dev.jsonl" answers from evals/corpora/tos-en/ (run against the CGS, every one of
    its cases would fail for nothing)."""
    folder = CORPORA / set_name(path)
    return folder if folder.is_dir() else None


def check_thresholds(summary: dict, name: str, path: Path = THRESHOLDS) -> list[str]:
    """Metrics below their floor (or forbidden hits above their ceiling) for the set ``name``."""
    limits = tomllib.loads(path.read_text(encoding="utf-8")).get(name, {})
    failures = []
    for group, floors in limits.items():
        values = summary if group == "all" else summary.get(f"lang:{group}", {})
        for key, floor in floors.items():
            value = values.get(key)
            if key.startswith("max_"):
                value = values.get(key[4:])
                if value is None or value > floor:
                    failures.append(f"{group} {key[4:]} = {value} > {floor}")
            elif value is None or value < floor:
                failures.append(f"{group} {key} = {value} < {floor}")
    return failures


def cmd_run(args: argparse.Namespace) -> int:
    settings = Settings()
    cases = read_set(args.set)
    args.corpus = args.corpus or own_corpus(args.set)
    with assistant_for(settings, args.corpus) as (assistant, used):
        pipeline = make_pipeline(args.pipeline, assistant, used, args.mode)
        results, scores = run_set(pipeline, cases, args.k)
    summary = summarise(cases, scores)
    config = {"embeddings": assistant.embedder.name, "llm": used.llm_model if (args.mode == "llm" and used.llm_base_url)
              else None, "k": args.k, "corpus": str(args.corpus or "corpus/"), "pipeline": args.pipeline,
              "mode": args.mode, "set": str(args.set)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Moved aside only now that the new run is done: a run that fails loses no earlier one.
    previous = keep_previous(args.out) if args.keep_previous else None
    args.out.write_text(json.dumps({"summary": summary, "config": config, "cases": results}, ensure_ascii=False,
                                   indent=1), encoding="utf-8")
    diff = None
    if previous:
        try:
            diff = diff_runs(previous, args.out, args.set)
        except TermsError as exc:
            print(f"not compared with the previous run: {exc}", file=sys.stderr)
    report = args.out.with_suffix(".md")
    failed = write_report(report, cases, results, scores, f"{args.pipeline} on {args.set.name}",
                          previous=diff.old_summary if diff else None)
    print(format_summary(summary))
    print(f"\n{len(cases)} cases, {failed} failed: {report}\nrun output: {args.out}")
    if diff:
        print(f"\n## Changes since the previous run\n\n{format_diff(diff, str(previous), str(args.out))}")
    if args.check:
        failures = check_thresholds(summary, set_name(args.set))
        for f in failures:
            print(f"below threshold: {f}", file=sys.stderr)
        return 1 if failures else 0
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    settings = Settings()
    sets = args.set or DEFAULT_SETS
    corpora = {own_corpus(path) for path in sets}
    if args.corpus is None and len(corpora) == 1:  # sets written on their own corpus
        args.corpus = corpora.pop()
    elif args.corpus is None and len(corpora) > 1:
        raise SystemExit("these sets answer from different corpora: compare them in separate runs")
    with assistant_for(settings, args.corpus) as (assistant, used):
        for path in sets:
            cases = read_set(path)
            summaries, spread = {}, {}
            for name in PIPELINES:
                started = time.perf_counter()
                pipeline = make_pipeline(name, assistant, used)
                _, scores = run_set(pipeline, cases, args.k)
                summaries[name] = summarise(cases, scores)
                if name == "assistant":
                    spread = intervals(scores)
                print(f"{path.name} {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
            print(f"\n## {path.name}")
            print(format_compare(summaries, spread))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    try:
        diff = diff_runs(args.old, args.new, args.set)
    except TermsError as exc:
        print(f"evals diff: {exc}", file=sys.stderr)
        return 1
    print(format_diff(diff, str(args.old), str(args.new)))
    return 0


def format_compare(summaries: dict[str, dict], spread: dict[str, tuple[float, float]] | None = None) -> str:
    """The pipelines side by side, overall and per language, with the ratio of ours to the
    textbook pipeline and, overall, the 95% bootstrap interval of ours (``metrics.intervals``)."""
    keys = ["hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "citation_accuracy", "quote_accuracy", "fact_recall",
            "abstention_precision", "abstention_recall", "answered_rate", "forbidden_hits", "latency_p50_ms"]
    base = summaries["textbook"]
    groups = [("all", lambda s: s)] + [(g[5:], lambda s, g=g: s.get(g, {})) for g in sorted(base) if g.startswith("lang:")]
    lines = []
    for group, pick in groups:
        lines.append(f"\n[{group}]")
        interval = spread if group == "all" and spread else None
        lines.append(f"{'metric':<22}" + "".join(f"{n:>12}" for n in summaries) + f"{'ours/textbook':>15}"
                     + (f"{'ours, 95%':>15}" if interval else ""))
        for key in keys:
            values = [pick(s).get(key) for s in summaries.values()]
            cells = "".join(f"{'—' if v is None else (f'{v:.3f}' if isinstance(v, float) else v):>12}" for v in values)
            ours, tb = values[0], pick(base).get(key)
            ratio = f"{ours / tb:.2f}x" if isinstance(ours, (int, float)) and isinstance(tb, (int, float)) and tb else "—"
            span = ""
            if interval:
                span = f"{interval[key][0]:.3f}–{interval[key][1]:.3f}" if key in interval else "—"
            lines.append(f"{key:<22}{cells}{ratio:>15}{span:>15}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="python -m evals")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an eval set and write the eval-run output")
    run.add_argument("--set", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--corpus", type=Path, help="answer from this folder of .txt/.md/.pdf instead of corpus/")
    run.add_argument("--mode", choices=("extractive", "llm"), default="extractive")
    run.add_argument("--pipeline", choices=PIPELINES, default="assistant")
    run.add_argument("--k", type=int, default=10)
    run.add_argument("--check", action="store_true", help=f"fail when below {THRESHOLDS.name}")
    run.add_argument("--keep-previous", action="store_true",
                     help="move an earlier run at --out to <name>.previous.json and print the changes since")
    compare = sub.add_parser("compare", help="run the three pipelines side by side, set by set")
    compare.add_argument("--set", type=Path, action="append",
                         help="an eval set (repeatable; default: every split in evals/sets/)")
    compare.add_argument("--corpus", type=Path)
    compare.add_argument("--k", type=int, default=10)
    diff = sub.add_parser("diff", help="which cases got better or worse between two runs of one set")
    diff.add_argument("old", type=Path, help="the earlier run output")
    diff.add_argument("new", type=Path, help="the later run output")
    diff.add_argument("--set", type=Path, help="grade both against this eval set (default: the new run's config.set)")
    args = parser.parse_args(argv)
    return {"run": cmd_run, "compare": cmd_compare, "diff": cmd_diff}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
