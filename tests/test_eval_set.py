"""The eval sets follow EVAL_FORMAT.md and their snippets exist in the cleaned corpus."""
import json
from collections import Counter

import pytest

from evals.metrics import normalise
from ingest.structure import parse
from tests.conftest import ROOT, cgs_pages

SETS = ROOT / "evals" / "sets"


def read(*names: str) -> list[dict]:
    return [json.loads(line) for name in names for line in (SETS / f"{name}.jsonl").read_text(encoding="utf-8")
            .splitlines() if line.strip()]


CGS = read("cgs.dev", "cgs.test")
SCENARIOS = read("scenarios.dev", "scenarios.test")
# Dev-only sets: more cases to choose on, never reported as test figures.
DEV_ONLY = read(*sorted(p.name[:-len(".jsonl")] for p in SETS.glob("*.dev.jsonl")
                        if p.name.split(".")[0] not in ("cgs", "scenarios")))
CASES = CGS + SCENARIOS + DEV_ONLY
CLEANED = normalise(parse(cgs_pages()).text)


def test_size_and_languages():
    languages = Counter(c["language"] for c in CGS)
    assert len(CGS) >= 120
    assert languages["fr"] / len(CGS) >= 0.60
    assert languages["en"] / len(CGS) >= 0.25
    assert len({c["id"] for c in CASES}) == len(CASES)  # ids unique across every set and split


def test_case_mix():
    assert sum(not c["answerable"] for c in CGS) >= 20
    assert sum(bool(c["expect"].get("forbidden")) and c["id"].startswith("inj-") for c in CGS) >= 10
    assert sum(bool(c.get("history")) for c in CGS) >= 5


def test_scenario_quotas():
    """The scenario set's mix: colloquial French situations, English, two-clause questions,
    follow-ups, (mostly tempting) out-of-scope questions, figures."""
    kinds = Counter(c["category"] for c in SCENARIOS)
    assert len(SCENARIOS) >= 150
    assert kinds["situation"] >= 60 and sum(c["language"] == "en" for c in SCENARIOS) >= 35
    assert kinds["two-clause"] >= 15 and sum(bool(c.get("history")) for c in SCENARIOS) >= 10
    assert kinds["out-of-scope"] >= 25 and kinds["figure"] >= 15


def test_splits_are_disjoint_halves():
    for name in ("cgs", "scenarios"):
        dev, test = read(f"{name}.dev"), read(f"{name}.test")
        assert not {c["question"] for c in dev} & {c["question"] for c in test}
        assert not {c["question"] for c in DEV_ONLY} & {c["question"] for c in test}
        assert abs(len(dev) - len(test)) <= 0.1 * (len(dev) + len(test))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_shape_and_sources_in_cleaned_corpus(case):
    assert set(case) >= {"id", "question", "language", "answerable", "expect"}
    expect = case["expect"]
    if case["answerable"]:
        assert expect["sources"], "an answerable case names its source snippets"
    for snippet in expect.get("sources", []):
        assert normalise(snippet) in CLEANED, f"snippet not in the cleaned CGS: {snippet!r}"
