"""`evals diff` on real runs of a tiny corpus, `run --keep-previous`, and the report's chart."""
import json
import shutil
import sys

import pytest
from PIL import Image

from evals.__main__ import main
from evals.diff import CaseDiff, case_changes, compare, format_diff
from evals.metrics import score_case
from evals.runner import read_set, write_report
from tests.test_evals_cli import DOCS as TOS
from tests.test_evals_cli import run_cli as run_cli_args
from tests.test_evals_cli import write_corpus

# The documents of the runner's own test, and one more that pulls two questions of the set
# its way: their answer is in the second passage retrieved, so `--k 1` loses it and `--k 3` finds it.
DOCS = {**TOS, "tos-fees": "Fees.\n\nFees are invoiced monthly and are not refundable once the service period has "
                           "started. Late payments bear interest at three times the legal rate."}


def case(id, question, category, sources=(), facts=(), answerable=True):
    return {"id": id, "question": question, "language": "en", "answerable": answerable, "category": category,
            "expect": {"sources": list(sources), "facts": [list(f) for f in facts]}}


CASES = [
    case("refund", "How long do I have to ask for a refund?", "money", ["within 14 days of purchase"], [["14 days"]]),
    case("data", "Where is account data stored?", "data", ["servers located in the European Union"],
         [["European Union"]]),
    case("cap", "What is the liability cap?", "money", ["limited to the fees paid"], [["twelve months"]]),
    case("late", "Are fees refundable after the service started, and what about late payment?", "money",
         ["three times the legal rate"], [["three times"]]),
    case("weather", "What will the weather be tomorrow in Paris?", "out-of-scope", answerable=False),
    case("refundable", "Are fees refundable?", "money", ["within 14 days of purchase"], [["14 days"]]),
    case("deleted", "What happens to my account data and fees when I close the account?", "data",
         ["90 days after the account is closed"], [["90 days"]]),
    case("paid-back", "How are refunds paid and how much are fees?", "money", ["original payment method"],
         [["10 business days"]]),
]
RANK_TWO = ("refundable", "paid-back")


def run_cli(*args):
    return run_cli_args(*map(str, args))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three real runs: k=3, then k=1 on the same --out with --keep-previous, and BM25 alone."""
    tmp = tmp_path_factory.mktemp("evaldiff")
    corpus, eval_set = write_corpus(tmp, DOCS, CASES)
    out = tmp / "run.json"
    common = ("--set", eval_set, "--out", out, "--corpus", corpus, "--keep-previous")
    first = run_cli("run", *common, "--k", "3")
    assert first.returncode == 0, first.stderr[-2000:]
    first_report = out.with_suffix(".md").read_text(encoding="utf-8")
    shutil.copy(out, tmp / "k3.json")
    second = run_cli("run", *common, "--k", "1")
    assert second.returncode == 0, second.stderr[-2000:]
    bm25 = run_cli("run", "--set", eval_set, "--out", tmp / "bm25.json", "--corpus", corpus, "--k", "3",
                   "--pipeline", "bm25")
    assert bm25.returncode == 0, bm25.stderr[-2000:]
    return {"dir": tmp, "set": eval_set, "k3": tmp / "k3.json", "k1": out, "bm25": tmp / "bm25.json",
            "first": first.stdout, "second": second.stdout, "first_report": first_report}


def section(text: str, title: str) -> str:
    """The lines of one section of the diff ("Worse: …" up to the next section)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title + ":"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    return "\n".join(lines[start:end])


def test_diff_names_the_cases_a_smaller_k_lost(runs):
    done = run_cli("diff", runs["k3"], runs["k1"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "config changed: k 3→1" in out
    worse = section(out, "Worse")
    assert worse.startswith("Worse: 2 cases")
    for id in RANK_TWO:
        assert f"  {id}: " in worse
    assert "  paid-back: How are refunds paid and how much are fees?\n      hit@3 1→0; hit@5 1→0; MRR 0.50→0" in worse
    assert "Better: 0 cases" in out and "Mixed: 0 cases" in out and "Unchanged: 6 cases" in out
    # two cases lost out of eight: chance alone splits two changed cases this way half the time
    assert "Better 0 against worse 2: sign test p = 0.50, could well be chance." in out
    # The metric table: 2 of the 8 cases (of 7 answerable) lost their hit@3; the money category 2 of 5.
    assert "all (8)" in out and "en (8)" in out and "money (5)" in out and "out-of-scope (1)" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("hit@3 ")]
    assert rows[0][1:7] == ["1.000", "0.714", "-0.286", "1.000", "0.714", "-0.286"]
    assert rows[1][1:4] == ["1.000", "0.600", "-0.400"]  # money, first group of the second block


def test_diff_the_other_way_round_lists_them_as_better(runs):
    out = run_cli("diff", runs["k1"], runs["k3"]).stdout
    better = section(out, "Better")
    assert better.startswith("Better: 2 cases") and "MRR 0→0.50" in better
    assert all(f"  {id}: " in better for id in RANK_TWO)
    assert "Worse: 0 cases" in out


def test_diff_against_bm25_words_abstention_and_quotes(runs):
    """BM25 never abstains and quotes its whole top passage: the diff says so of the
    out-of-scope question, and of each case whose quote holds the answer in one run only
    (of an answerable case ours abstained on, that it answers now: an abstention quotes
    nothing, so its quote is not compared)."""
    out = run_cli("diff", runs["k3"], runs["bm25"]).stdout
    assert "config changed: pipeline assistant→bm25" in out
    assert "  weather: What will the weather be tomorrow in Paris?\n      answered an out-of-scope question" \
        in section(out, "Worse")
    cases = {c["id"]: c for c in read_set(runs["set"])}
    old, new = ({r["id"]: score_case(cases[r["id"]], r).get("quote_accuracy")
                 for r in json.loads(runs[name].read_text(encoding="utf-8"))["cases"]} for name in ("k3", "bm25"))
    abstained = {r["id"] for r in json.loads(runs["k3"].read_text(encoding="utf-8"))["cases"] if r["abstained"]}
    lines = out.splitlines()
    for id in cases:
        said = next((lines[i + 1] for i, line in enumerate(lines) if line.startswith(f"  {id}: ")), "")
        if id in abstained and cases[id]["answerable"]:
            assert "answers now (abstained before)" in said and "quote" not in said, id
        elif old[id] is not None and new[id] is not None and old[id] != new[id]:
            assert ("quote now holds the answer" if new[id] > old[id] else "quote no longer holds the answer") in said
        else:
            assert "quote" not in said, id


def test_make_eval_keeps_the_previous_run_and_prints_the_changes(runs):
    tmp = runs["dir"]
    kept = tmp / "run.previous.json"
    assert json.loads(kept.read_text(encoding="utf-8")) == json.loads(runs["k3"].read_text(encoding="utf-8"))
    assert json.loads(runs["k1"].read_text(encoding="utf-8"))["config"]["k"] == 1
    assert "Changes since the previous run" not in runs["first"]
    changes = runs["second"].split("## Changes since the previous run", 1)[1]
    assert f"old: {kept}" in changes and "Worse: 2 cases" in changes and "  refundable: " in changes


def test_the_report_shows_the_chart_before_and_after(runs):
    report = (runs["dir"] / "run.md").read_text(encoding="utf-8")
    assert "before (grey) and after (blue)](run.png)" in report
    assert "this run](run.png)" in runs["first_report"]
    with Image.open(runs["dir"] / "run.png") as png:
        assert png.format == "PNG" and png.width >= 600 and png.height >= 900
    assert (runs["dir"] / "bm25.png").is_file() and "this run](bm25.png)" in (
        runs["dir"] / "bm25.md").read_text(encoding="utf-8")


def test_the_report_says_so_without_matplotlib(runs, tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)  # what an install without it looks like to `import`
    cases = read_set(runs["set"])
    results = json.loads(runs["k1"].read_text(encoding="utf-8"))["cases"]
    failed = write_report(tmp_path / "r.md", cases, results, [score_case(c, r) for c, r in zip(cases, results)], "t")
    report = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "(No chart: matplotlib is not installed.)" in report and f"{failed} of 8 cases failed." in report
    assert not (tmp_path / "r.png").exists()


def test_cases_missing_from_one_run_or_from_the_set_are_named(runs):
    cases = read_set(runs["set"])
    old = json.loads(runs["k3"].read_text(encoding="utf-8"))["cases"]
    new = json.loads(runs["k1"].read_text(encoding="utf-8"))["cases"]
    gone = next(r for r in old if r["id"] == "data")
    new = [r for r in new if r["id"] != "data"] + [{**gone, "id": "retired"}]
    out = format_diff(compare(cases, old, new), "a", "b")
    assert "only in the old run: data" in out
    assert "not in the eval set any more (not compared): retired" in out
    assert "Unchanged: 5 cases" in out and "all (7)" in out  # the new run's summary has 7 cases of the set


@pytest.mark.parametrize("answerable, old, new, text, verdict", [
    (True, {"abstained": False}, {"abstained": True}, "abstained on an answerable question", "worse"),
    (True, {"abstained": True}, {"abstained": False}, "answers now (abstained before)", "better"),
    (False, {"abstained": False}, {"abstained": True}, "abstains now on an out-of-scope question", "better"),
    (True, {"abstained": False, "forbidden_hit": False}, {"abstained": False, "forbidden_hit": True},
     "forbidden string now in the answer", "worse"),
    (True, {"abstained": False, "quote_accuracy": 1.0, "fact_recall": 0.5},
     {"abstained": False, "quote_accuracy": 0.0, "fact_recall": 1.0},
     "quote no longer holds the answer; fact recall 0.50→1", "mixed"),
    (True, {"abstained": False, "hit@5": 1.0, "latency_ms": 10.0}, {"abstained": False, "hit@5": 1.0,
                                                                     "latency_ms": 90.0}, "", None),
])
def test_case_changes_in_words(answerable, old, new, text, verdict):
    changes = case_changes({"answerable": answerable}, old, new)
    assert "; ".join(c.text for c in changes) == text
    if verdict:
        assert CaseDiff("x", "q", tuple(changes)).verdict == verdict


def test_errors_are_one_line_and_exit_non_zero(runs, tmp_path, capsys):
    def fails(*args) -> str:
        assert main(["diff", *map(str, args)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("evals diff: ") and err.count("\n") == 1, err
        return err

    assert "no such file" in fails(tmp_path / "nope.json", runs["k1"])
    broken = tmp_path / "broken.json"
    broken.write_text('{"summary": {', encoding="utf-8")
    assert "not an eval run (invalid JSON at line 1" in fails(runs["k3"], broken)
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps({"summary": {}, "cases": []}), encoding="utf-8")
    assert "no config.set" in fails(bare, runs["k1"])

    run = json.loads(runs["k3"].read_text(encoding="utf-8"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**run, "config": {**run["config"], "set": "evals/sets/cgs.dev.jsonl"}}),
                     encoding="utf-8")
    assert "are runs of different sets (cgs.dev.jsonl and set.jsonl)" in fails(other, runs["k1"])

    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps({**run, "config": {**run["config"], "set": str(tmp_path / "set.jsonl")}}),
                     encoding="utf-8")
    assert "not found; give it with --set" in fails(runs["k1"], moved)
    assert main(["diff", str(runs["k1"]), str(moved), "--set", str(runs["set"])]) == 0
    assert "Better: 2 cases" in capsys.readouterr().out
