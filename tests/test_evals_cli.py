"""The eval runner on another corpus (no numbered articles, English), and the baselines."""
import json
import re
import subprocess
import sys

from tests.conftest import ROOT

DOCS = {
    "tos-refunds": "Refunds.\n\nCustomers may request a refund within 14 days of purchase. Refunds are paid to the "
                   "original payment method within 10 business days.",
    "tos-privacy": "Privacy.\n\nWe store account data on servers located in the European Union. Data is deleted "
                   "90 days after the account is closed.",
    "tos-liability": "Liability.\n\nOur total liability is limited to the fees paid in the twelve months before "
                     "the claim. We are not liable for indirect damages.",
}
CASES = [
    {"id": "refund", "question": "How long do I have to ask for a refund?", "language": "en", "answerable": True,
     "expect": {"sources": ["within 14 days of purchase"], "source_ids": ["tos-refunds"], "facts": [["14 days"]]}},
    {"id": "data", "question": "Where is account data stored?", "language": "en", "answerable": True,
     "expect": {"sources": [], "source_ids": ["tos-privacy"], "facts": [["European Union"]]}},
    {"id": "cap", "question": "What is the liability cap?", "language": "en", "answerable": True,
     "expect": {"sources": ["limited to the fees paid"], "facts": [["twelve months"]]}},
]


def write_corpus(tmp_path, docs: dict[str, str] = DOCS, cases: list[dict] = CASES):
    """A folder of .txt documents and an eval set over them."""
    corpus = tmp_path / "tos"
    corpus.mkdir()
    for name, text in docs.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    eval_set = tmp_path / "set.jsonl"
    eval_set.write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    return corpus, eval_set


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "evals", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_run_on_another_corpus_writes_the_eval_format(tmp_path):
    corpus, eval_set = write_corpus(tmp_path)
    for pipeline in ("assistant", "bm25", "textbook"):
        out = tmp_path / f"{pipeline}.json"
        done = run_cli("run", "--set", str(eval_set), "--out", str(out), "--corpus", str(corpus),
                       "--pipeline", pipeline, "--k", "3")
        assert done.returncode == 0, done.stderr[-2000:]
        run = json.loads(out.read_text(encoding="utf-8"))
        assert set(run) == {"summary", "config", "cases"}
        assert run["config"]["corpus"] == str(corpus)
        assert [c["id"] for c in run["cases"]] == ["refund", "data", "cap"]
        for case in run["cases"]:
            assert {"answer", "abstained", "citations", "passages", "latency_ms"} <= set(case)
            assert {p["source_id"] for p in case["passages"]} <= set(DOCS)
            assert all({"rank", "label", "source_id", "text", "score"} <= set(p) for p in case["passages"])
        first = run["cases"][0]
        assert first["passages"][0]["source_id"] == "tos-refunds", pipeline
        assert run["summary"]["hit@1"] >= 2 / 3, pipeline
        assert out.with_suffix(".md").exists()


def test_compare_prints_three_pipelines_with_ratios(tmp_path):
    corpus, eval_set = write_corpus(tmp_path)
    done = run_cli("compare", "--set", str(eval_set), "--corpus", str(corpus), "--k", "3")
    assert done.returncode == 0, done.stderr[-2000:]
    header = next(line for line in done.stdout.splitlines() if line.startswith("metric"))
    assert header.split()[1:] == ["assistant", "bm25", "textbook", "ours/textbook", "ours,", "95%"]
    row = next(line for line in done.stdout.splitlines() if line.startswith("hit@1")).split()
    values, ratio = [float(v) for v in row[1:4]], row[4]
    assert all(0.0 <= v <= 1.0 for v in values) and values[0] >= 2 / 3
    assert re.fullmatch(r"\d+\.\d\dx|—", ratio), ratio  # ours over textbook, or a dash when undefined
    # the bootstrap interval of ours holds our figure (the per-language blocks have none)
    low, high = map(float, row[5].split("–"))
    assert low <= values[0] <= high
    assert "ours, 95%" not in done.stdout.split("[en]")[1]


def test_a_set_written_on_its_own_documents_answers_from_them():
    from evals.__main__ import DEFAULT_SETS, SETS, own_corpus

    assert own_corpus(SETS / "tos-en.dev.jsonl") == SETS.parent / "corpora" / "tos-en"
    assert (own_corpus(SETS / "tos-en.dev.jsonl") / "manifest.toml").is_file()
    assert all(own_corpus(path) is None for path in DEFAULT_SETS)  # the CGS sets: the project's corpus
