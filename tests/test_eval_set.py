"""The CGS eval set follows EVAL_FORMAT.md and its snippets exist in the cleaned corpus."""
import json
from collections import Counter

import pytest

from evals.metrics import normalise
from ingest.structure import parse
from tests.conftest import ROOT, cgs_pages

CASES = [json.loads(line) for line in (ROOT / "evals" / "cgs.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]
CLEANED = normalise(parse(cgs_pages()).text)


def test_size_and_languages():
    languages = Counter(c["language"] for c in CASES)
    assert len(CASES) >= 120
    assert languages["fr"] / len(CASES) >= 0.60
    assert languages["en"] / len(CASES) >= 0.25
    assert len({c["id"] for c in CASES}) == len(CASES)


def test_case_mix():
    assert sum(not c["answerable"] for c in CASES) >= 20
    assert sum(bool(c["expect"].get("forbidden")) and c["id"].startswith("inj-") for c in CASES) >= 10
    assert sum(bool(c.get("history")) for c in CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_shape_and_sources_in_cleaned_corpus(case):
    assert set(case) >= {"id", "question", "language", "answerable", "expect"}
    expect = case["expect"]
    if case["answerable"]:
        assert expect["sources"], "an answerable case names its source snippets"
    for snippet in expect.get("sources", []):
        assert normalise(snippet) in CLEANED, f"snippet not in the cleaned CGS: {snippet!r}"
