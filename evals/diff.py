"""Two eval runs of one set compared: which cases got better, which got worse, and the
metric tables side by side.

Per-case scores are not stored in the run output; both runs are graded again here with
``evals.metrics.score_case`` against the eval set as it is now (the new run's
``config.set``, or ``--set``). So runs written before this module existed compare too,
and an edited expectation moves both runs alike instead of passing for a regression.

    python -m evals diff evals/runs/cgs.dev.previous.json evals/runs/cgs.dev.json
"""
from __future__ import annotations

import json
import os
from math import comb
from dataclasses import dataclass, field
from pathlib import Path

from terms.errors import TermsError

from .metrics import score_case
from .runner import read_set, summarise

QUESTION_WIDTH = 70
# The rows of the side-by-side table; latency and forbidden hits are better lower.
TABLE_KEYS = ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "citation_accuracy", "quote_accuracy", "fact_recall",
              "abstention_precision", "abstention_recall", "answered_rate", "forbidden_hits", "latency_p50_ms")
GROUPS_PER_BLOCK = 3


class DiffError(TermsError):
    """A run file that cannot be compared: missing, not an eval run, or of another set."""


@dataclass(frozen=True)
class Change:
    """One thing that changed in a case; ``sign`` is +1 when it is for the better."""

    text: str
    sign: int


@dataclass(frozen=True)
class CaseDiff:
    id: str
    question: str
    changes: tuple[Change, ...]

    @property
    def verdict(self) -> str:
        signs = {c.sign for c in self.changes}
        return "better" if signs == {1} else "worse" if signs == {-1} else "mixed"


@dataclass
class RunDiff:
    cases: list[CaseDiff]
    unchanged: int
    old_summary: dict
    new_summary: dict
    only_old: list[str] = field(default_factory=list)
    only_new: list[str] = field(default_factory=list)
    not_in_set: list[str] = field(default_factory=list)
    config: list[str] = field(default_factory=list)  # settings that differ, e.g. "k 10→5"

    def of(self, verdict: str) -> list[CaseDiff]:
        return [c for c in self.cases if c.verdict == verdict]


def shorten(text: str, width: int = QUESTION_WIDTH) -> str:
    """One line of at most ``width`` characters.

    >>> shorten("Quel est le délai\\nde paiement des factures ?", 24)
    'Quel est le délai de pa…'
    """
    line = " ".join(text.split())
    return line if len(line) <= width else line[:width - 1].rstrip() + "…"


def _num(value: float) -> str:
    """0/1 scores as integers, the rest with two decimals.

    >>> _num(1.0), _num(0.0), _num(0.5)
    ('1', '0', '0.50')
    """
    return str(int(value)) if value in (0.0, 1.0) else f"{value:.2f}"


def case_changes(case: dict, old: dict, new: dict) -> list[Change]:
    """What changed between two score_case results of one case, in words.

    >>> case = {"answerable": True}
    >>> [c.text for c in case_changes(case, {"abstained": False, "hit@5": 1.0, "quote_accuracy": 0.0},
    ...                                     {"abstained": False, "hit@5": 0.0, "quote_accuracy": 1.0})]
    ['hit@5 1→0', 'quote now holds the answer']
    >>> [c.text for c in case_changes(case, {"abstained": False, "fact_recall": 1.0},
    ...                                     {"abstained": True, "fact_recall": 0.0})]
    ['abstained on an answerable question']
    """
    changes: list[Change] = []

    def moved(key: str) -> tuple[float, float] | None:
        a, b = old.get(key), new.get(key)
        return (a, b) if a is not None and b is not None and a != b else None

    for key, name in (("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("mrr", "MRR")):
        if m := moved(key):
            changes.append(Change(f"{name} {_num(m[0])}→{_num(m[1])}", 1 if m[1] > m[0] else -1))
    answerable = case.get("answerable", True)
    if old["abstained"] != new["abstained"]:
        # An abstention quotes and states nothing: the answer's own scores follow from it.
        if answerable:
            changes.append(Change("abstained on an answerable question", -1) if new["abstained"]
                           else Change("answers now (abstained before)", 1))
        else:
            changes.append(Change("abstains now on an out-of-scope question", 1) if new["abstained"]
                           else Change("answered an out-of-scope question", -1))
    else:
        if m := moved("citation_accuracy"):
            changes.append(Change("cites a right passage now", 1) if m[1] > m[0]
                           else Change("no longer cites a right passage", -1))
        if m := moved("quote_accuracy"):
            changes.append(Change("quote now holds the answer", 1) if m[1] > m[0]
                           else Change("quote no longer holds the answer", -1))
        if m := moved("fact_recall"):
            changes.append(Change(f"fact recall {_num(m[0])}→{_num(m[1])}", 1 if m[1] > m[0] else -1))
    if old.get("forbidden_hit") != new.get("forbidden_hit"):
        changes.append(Change("forbidden string now in the answer", -1) if new["forbidden_hit"]
                       else Change("forbidden string gone from the answer", 1))
    return changes


def compare(cases: list[dict], old_results: list[dict], new_results: list[dict]) -> RunDiff:
    """Grade both runs' cases against ``cases`` (the eval set) and compare them case by case."""
    by_id = {c["id"]: c for c in cases}
    old = {r["id"]: r for r in old_results}
    new = {r["id"]: r for r in new_results}
    diffs, unchanged = [], 0
    old_graded, new_graded = [], []  # (case, score) pairs in set order, for the summaries
    for case in cases:
        o = score_case(case, old[case["id"]]) if case["id"] in old else None
        n = score_case(case, new[case["id"]]) if case["id"] in new else None
        if o is not None:
            old_graded.append((case, o))
        if n is not None:
            new_graded.append((case, n))
        if o is None or n is None:
            continue
        changes = case_changes(case, o, n)
        if changes:
            diffs.append(CaseDiff(case["id"], case["question"], tuple(changes)))
        else:
            unchanged += 1
    return RunDiff(
        cases=diffs, unchanged=unchanged,
        old_summary=summarise([c for c, _ in old_graded], [s for _, s in old_graded]),
        new_summary=summarise([c for c, _ in new_graded], [s for _, s in new_graded]),
        only_old=[i for i in old if i in by_id and i not in new],
        only_new=[i for i in new if i in by_id and i not in old],
        not_in_set=sorted((set(old) | set(new)) - set(by_id)))


def load_run(path: Path) -> dict:
    """An eval-run output (EVAL_FORMAT.md), checked enough to be compared."""
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiffError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DiffError(f"{path}: not an eval run (invalid JSON at line {exc.lineno}: {exc.msg})") from None
    if not isinstance(run, dict) or not isinstance(run.get("cases"), list):
        raise DiffError(f"{path}: not an eval run (no list of cases)")
    if not isinstance(run.get("config"), dict) or not run["config"].get("set"):
        raise DiffError(f"{path}: not an eval run of `python -m evals run` (no config.set)")
    if not all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in run["cases"]):
        raise DiffError(f"{path}: not an eval run (a case without an id)")
    return run


def set_of(run: dict) -> str:
    """The set a run was made on, by file name: runs made from another checkout still match."""
    return Path(run["config"]["set"]).name


def diff_runs(old_path: Path, new_path: Path, set_path: Path | None = None) -> RunDiff:
    """Load two runs of one set, and compare them against that set."""
    old, new = load_run(old_path), load_run(new_path)
    if set_of(old) != set_of(new):
        raise DiffError(f"{old_path} and {new_path} are runs of different sets "
                        f"({set_of(old)} and {set_of(new)})")
    set_path = set_path or Path(new["config"]["set"])
    if not set_path.is_file():
        raise DiffError(f"eval set {set_path} (config.set of {new_path}) not found; give it with --set")
    diff = compare(read_set(set_path), old["cases"], new["cases"])
    diff.config = config_changes(old["config"], new["config"])
    return diff


def config_changes(old: dict, new: dict) -> list[str]:
    """Settings that differ between two runs' configs, e.g. ``k 10→5``.

    >>> config_changes({"k": 10, "mode": "extractive"}, {"k": 5, "mode": "extractive"})
    ['k 10→5']
    """
    return [f"{k} {old.get(k)}→{new.get(k)}" for k in sorted(set(old) | set(new))
            if k != "set" and old.get(k) != new.get(k)]


def _cell(value) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _delta(old, new) -> str:
    if not isinstance(old, (int, float)) or not isinstance(new, (int, float)):
        return "—" if old is None or new is None else ""
    if old == new:
        return ""
    d = new - old
    return f"{d:+.3f}" if isinstance(d, float) else f"{d:+d}"


def metric_table(old: dict, new: dict) -> str:
    """Old, new and the difference of every metric, overall, per language and per category,
    three groups to a block so that lines stay short. An empty delta means no change."""
    groups = ["all"] + sorted({g for s in (old, new) for g in s if g.startswith("lang:")}) \
        + sorted({g for s in (old, new) for g in s if g.startswith("cat:")})

    def pick(summary: dict, group: str) -> dict:
        return summary if group == "all" else summary.get(group, {})

    def title(group: str) -> str:  # "fr (62)": the group's cases in the new run
        cases = pick(new, group).get("cases", pick(old, group).get("cases"))
        return f"{group.split(':', 1)[-1]} ({cases})"

    blocks = []
    for start in range(0, len(groups), GROUPS_PER_BLOCK):
        chunk = groups[start:start + GROUPS_PER_BLOCK]
        titles = "".join(f"{title(g):>24}" for g in chunk)
        rows = [f"{'':<22}{titles}", f"{'metric':<22}" + f"{'old':>8}{'new':>8}{'Δ':>8}" * len(chunk)]
        for key in TABLE_KEYS:
            values = [(pick(old, g).get(key), pick(new, g).get(key)) for g in chunk]
            if all(o is None and n is None for o, n in values):
                continue
            rows.append(f"{key:<22}" + "".join(f"{_cell(o):>8}{_cell(n):>8}{_delta(o, n):>8}" for o, n in values))
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks)


def sign_test(better: int, worse: int) -> float:
    """Two-sided exact sign test: how often chance alone (each changed case as likely to get
    better as worse) splits ``better + worse`` cases at least this unevenly.

    >>> sign_test(5, 3), round(sign_test(9, 1), 4), sign_test(0, 0)
    (0.7265625, 0.0215, 1.0)
    """
    n, low = better + worse, min(better, worse)
    return min(1.0, 2 * sum(comb(n, i) for i in range(low + 1)) / 2 ** n) if n else 1.0


def noise_line(diff: RunDiff) -> str:
    """Whether the better and worse cases differ by more than chance would (mixed ones aside).

    A 0.01 move on a hundred cases is one case: quality staff need to know a change from
    noise before they credit or revert it."""
    better, worse = len(diff.of("better")), len(diff.of("worse"))
    p = sign_test(better, worse)
    verdict = ("unlikely to be chance" if p < 0.05 else
               "as likely as not chance" if p > 0.5 else "could well be chance")
    return f"Better {better} against worse {worse}: sign test p = {p:.2f}, {verdict}."


def format_diff(diff: RunDiff, old_name: str, new_name: str) -> str:
    """The diff as quality staff read it: worse cases first, then better, mixed, and the table."""
    lines = [f"old: {old_name}", f"new: {new_name}"]
    if diff.config:
        lines.append(f"config changed: {', '.join(diff.config)}")
    lines.append("")
    for verdict, title in (("worse", "Worse"), ("better", "Better"), ("mixed", "Mixed")):
        cases = diff.of(verdict)
        lines.append(f"{title}: {len(cases)} case{'' if len(cases) == 1 else 's'}")
        for c in cases:
            lines += [f"  {c.id}: {shorten(c.question)}", f"      {'; '.join(ch.text for ch in c.changes)}"]
    lines.append(f"Unchanged: {diff.unchanged} case{'' if diff.unchanged == 1 else 's'}")
    lines.append(noise_line(diff))
    for ids, what in ((diff.only_old, "only in the old run"), (diff.only_new, "only in the new run"),
                      (diff.not_in_set, "not in the eval set any more (not compared)")):
        if ids:
            lines.append(f"{what}: {', '.join(ids)}")
    lines += ["", "Metrics (latency and forbidden hits: lower is better)", "",
              metric_table(diff.old_summary, diff.new_summary)]
    return "\n".join(lines)


def previous_path(out: Path) -> Path:
    """Where the run before ``out`` is kept: evals/runs/cgs.dev.previous.json.

    >>> previous_path(Path("evals/runs/cgs.dev.json")).as_posix()
    'evals/runs/cgs.dev.previous.json'
    """
    return out.with_name(f"{out.stem}.previous{out.suffix}")


def keep_previous(out: Path) -> Path | None:
    """Move an earlier run at ``out`` aside (replacing the one kept before it); its new path."""
    if not out.is_file():
        return None
    kept = previous_path(out)
    os.replace(out, kept)
    return kept
