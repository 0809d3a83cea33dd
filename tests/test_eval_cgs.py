"""The CGS eval run must stay above the floors in evals/thresholds.toml."""
from evals.__main__ import check_thresholds
from evals.runner import read_set, run_set, summarise, format_summary
from evals.pipelines import AssistantPipeline
from tests.conftest import ROOT


def test_cgs_eval_run_meets_thresholds(assistant, artifacts):
    cases = read_set(ROOT / "evals" / "cgs.jsonl")
    results, scores = run_set(AssistantPipeline(assistant), cases, k=10, progress=False)
    summary = summarise(cases, scores)
    (artifacts / "cgs-eval-summary.txt").write_text(format_summary(summary), encoding="utf-8")
    assert all(len(r["passages"]) >= 5 for r in results)
    assert check_thresholds(summary) == [], format_summary(summary)


def test_thresholds_check_catches_a_drop():
    summary = {"hit@1": 0.1, "hit@5": 0.99, "mrr": 0.99, "ndcg@10": 0.99, "citation_accuracy": 0.99,
               "fact_recall": 0.99, "abstention_precision": 0.99, "abstention_recall": 0.99, "forbidden_hits": 1,
               "lang:fr": {"hit@5": 0.99, "mrr": 0.99}, "lang:en": {"hit@5": 0.99, "mrr": 0.99}}
    failures = check_thresholds(summary)
    assert any("hit@1" in f for f in failures)
    assert any("forbidden_hits" in f for f in failures)
    assert len(failures) == 2
