"""The eval sets follow EVAL_FORMAT.md and their snippets exist in the cleaned corpus."""
import json
from collections import Counter

import pytest

from evals.metrics import normalise
from ingest.structure import parse
from terms.records import Page
from tests.conftest import ROOT, cgs_pages

SETS = ROOT / "evals" / "sets"
# A set named like a folder here ("tos-en" for tos-en.dev.jsonl) is written on that folder's
# documents, not on the CGS, and its snippets are checked against them.
CORPORA = ROOT / "evals" / "corpora"


def read(*names: str) -> list[dict]:
    return [json.loads(line) for name in names for line in (SETS / f"{name}.jsonl").read_text(encoding="utf-8")
            .splitlines() if line.strip()]


CGS = read("cgs.dev", "cgs.test")
SCENARIOS = read("scenarios.dev", "scenarios.test")
# Dev-only sets: more cases to choose on, never reported as test figures.
DEV_ONLY = read(*sorted(p.name[:-len(".jsonl")] for p in SETS.glob("*.dev.jsonl")
                        if p.name.split(".")[0] not in ("cgs", "scenarios")
                        and not (CORPORA / p.name.split(".")[0]).is_dir()))
CASES = CGS + SCENARIOS + DEV_ONLY
CLEANED = normalise(parse(cgs_pages()).text)
OWN_CORPUS = {p.name[:-len(".jsonl")]: CORPORA / p.name.split(".")[0] for p in sorted(SETS.glob("*.jsonl"))
              if (CORPORA / p.name.split(".")[0]).is_dir()}


def cleaned_documents(folder) -> dict[str, str]:
    """Normalised cleaned text of every .txt document of a corpus folder, by id (file stem)."""
    return {f.stem: normalise(parse([Page(1, f.read_text(encoding="utf-8"))]).text)
            for f in sorted(folder.glob("*.txt"))}


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


@pytest.mark.parametrize("name", sorted(OWN_CORPUS))
def test_sets_on_their_own_corpus(name):
    """Every snippet of a set written on another corpus is in exactly one of its cleaned
    documents (so it points to one document), and the set's ids are not used by the CGS sets."""
    documents = cleaned_documents(OWN_CORPUS[name])
    cases = read(name)
    assert not {c["id"] for c in cases} & {c["id"] for c in CASES}
    for case in cases:
        expect = case["expect"]
        assert bool(expect["sources"]) == case["answerable"], case["id"]
        for snippet in expect["sources"]:
            holders = {doc for doc, text in documents.items() if normalise(snippet) in text}
            assert len(holders) == 1, (case["id"], snippet, sorted(holders))
