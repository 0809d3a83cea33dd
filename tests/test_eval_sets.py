"""The test splits of the eval sets must stay above their floors in evals/thresholds.toml.

Only the test splits run here: they are what the figures are reported on (nothing was
tuned on them); the dev splits are for choosing weights and thresholds.
"""
import pytest

from evals.__main__ import check_thresholds
from evals.pipelines import AssistantPipeline
from evals.runner import format_summary, read_set, run_set, summarise
from tests.conftest import ROOT


@pytest.mark.parametrize("name", ["cgs", "scenarios"])
def test_test_split_meets_its_floors(name, assistant, artifacts):
    cases = read_set(ROOT / "evals" / "sets" / f"{name}.test.jsonl")
    results, scores = run_set(AssistantPipeline(assistant), cases, k=10, progress=False)
    summary = summarise(cases, scores)
    (artifacts / f"{name}-test-eval-summary.txt").write_text(format_summary(summary), encoding="utf-8")
    assert all(len(r["passages"]) >= 5 for r in results)
    assert check_thresholds(summary, name) == [], format_summary(summary)


def test_thresholds_check_catches_a_drop(tmp_path):
    floors = tmp_path / "floors.toml"
    floors.write_text('[demo.all]\n"hit@1" = 0.5\nmax_forbidden_hits = 0\n[demo.fr]\nmrr = 0.9\n[other.all]\nmrr = 1.0\n')
    summary = {"hit@1": 0.1, "mrr": 0.99, "forbidden_hits": 1, "lang:fr": {"mrr": 0.95}}
    failures = check_thresholds(summary, "demo", floors)
    assert any("hit@1" in f for f in failures)
    assert any("forbidden_hits" in f for f in failures)
    assert len(failures) == 2  # [other] is another set's
    assert check_thresholds(summary, "unknown", floors) == []
