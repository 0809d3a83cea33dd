#!/usr/bin/env python3
"""Split an eval set (JSON Lines) into a dev half and a test half, deterministically.

Usage:
    python -m evals.split SET.jsonl [MORE.jsonl ...] --name NAME --out-dir DIR
    python -m evals.split DIR/NAME.dev.jsonl DIR/NAME.test.jsonl --name NAME --out-dir DIR --check

All input files are read as one set (so the split can be re-run from the union of its own
dev and test files and gives the same result), and NAME.dev.jsonl / NAME.test.jsonl are
written to DIR. Lines are copied byte for byte and keep their input order. Standard
library only.

How cases are grouped and assigned:
  * Topic families stay together. Two cases are in the same family when their ids have the
    same stem, i.e. the id without its language tokens ("fr", "en"), the "para" marker and
    any purely numeric token: "pay-term-fr", "pay-term-en" and "pay-para-term-fr" all have
    the stem "pay-term"; "sc-late-fees-fr-1" and "sc-late-fees-en" have "sc-late-fees".
    A paraphrase ("-para" id) whose stem matches no other case joins the cases with the
    same first id token that quote the same passage: source snippets sharing a run of four
    words ("sol-para-thirdparty-fr" joins "sol-bug-excl-en") or, with --corpus, snippets
    in the same sentence ("late-para-fr" joins "late-penalty-fr"); when there is none, it
    joins every case with that first token ("prest-para-changes-fr" joins all "prest-*").
    So a paraphrase of a test case never lands in dev.
  * Families are assigned greedily, largest first, then in an order fixed by a seeded hash
    of the family's smallest id (never by file order), each to the half that keeps the
    counts closest to the target share; a local search then moves single families and
    swaps pairs of families while that improves. The balance measured is, by weight: the
    stratum of every case (language x "category" when the case has one, else language x
    answerable), the case kind (follow-up, two-clause, prompt injection, paraphrase,
    plain), the total, and, with --corpus, the articles and sections the sources quote
    (with an extra cost when one quoted by two or more cases is missing from a half).
    Ties are broken by the same seeded hash.
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import sys

from evals.check_set import Corpus, normalise

LANG_TOKENS = {"fr", "en"}


def tokens(cid: str) -> list[str]:
    return cid.split("-")


def stem(cid: str) -> str:
    kept = [t for t in tokens(cid) if t not in LANG_TOKENS and t != "para" and not t.isdigit()]
    return "-".join(kept)


def is_para(cid: str) -> bool:
    return "para" in tokens(cid)


def stratum(case: dict) -> tuple:
    if case.get("category"):
        return (case["language"], case["category"])
    return (case["language"], "answerable" if case["answerable"] else "unanswerable")


def kind(case: dict) -> str:
    cid = case["id"]
    if case.get("history"):
        return "follow-up"
    if cid.startswith("two-"):
        return "two-clause"
    if cid.startswith("inj-"):
        return "injection"
    if is_para(cid):
        return "paraphrase"
    return "plain"


def seeded_hash(seed: str, key: str) -> str:
    return hashlib.sha256(f"{seed}:{key}".encode("utf-8")).hexdigest()


class UnionFind:
    def __init__(self, items):
        self.parent = {i: i for i in items}

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # keep the smallest id as root so the result never depends on input order
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


def source_grams(case: dict, n: int = 4) -> set[tuple[str, ...]]:
    grams = set()
    for src in case.get("expect", {}).get("sources", []):
        words = normalise(src).split()
        grams |= {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
    return grams


def source_sentences(case: dict, corpus: Corpus | None) -> set[str]:
    if corpus is None:
        return set()
    out = set()
    for src in case.get("expect", {}).get("sources", []):
        out |= set(corpus.sentences_with(normalise(src)))
    return out


def families(cases: list[dict], corpus: Corpus | None = None) -> list[list[dict]]:
    ids = [c["id"] for c in cases]
    uf = UnionFind(ids)
    by_stem = collections.defaultdict(list)
    for cid in ids:
        by_stem[stem(cid)].append(cid)
    for members in by_stem.values():
        for other in members[1:]:
            uf.union(members[0], other)
    by_first = collections.defaultdict(list)
    for cid in ids:
        by_first[tokens(cid)[0]].append(cid)
    grams = {c["id"]: source_grams(c) for c in cases}
    sents = {c["id"]: source_sentences(c, corpus) for c in cases}
    for cid in ids:
        if is_para(cid) and len(by_stem[stem(cid)]) == 1:
            same_prefix = [o for o in by_first[tokens(cid)[0]] if o != cid]
            quoting = [o for o in same_prefix
                       if grams[o] & grams[cid] or sents[o] & sents[cid]]
            for other in quoting or same_prefix:
                uf.union(cid, other)
    groups = collections.defaultdict(list)
    for c in cases:
        groups[uf.find(c["id"])].append(c)
    return list(groups.values())


WEIGHTS = {"stratum": 1.0, "kind": 0.5, "total": 2.0, "article": 0.5, "section": 0.25}
# extra cost when an article or section quoted by 2+ cases is missing from one half
ABSENT = {"article": 2.0, "section": 1.0}


def case_sections(case: dict, corpus: Corpus | None) -> set[str]:
    if corpus is None:
        return set()
    secs = set()
    for src in case.get("expect", {}).get("sources", []):
        secs |= corpus.sections_of(normalise(src))
    return secs


def family_counts(fam: list[dict], corpus: Corpus | None) -> collections.Counter:
    add = collections.Counter()
    for c in fam:
        add[("stratum",) + stratum(c)] += 1
        add[("kind", kind(c))] += 1
        add[("total",)] += 1
        secs = case_sections(c, corpus)
        for sec in secs:
            add[("section", sec)] += 1
        for art in {sec.split(" / ")[0] for sec in secs}:
            add[("article", art)] += 1
    return add


def imbalance(dev: collections.Counter, test: collections.Counter, test_share: float) -> float:
    total = 0.0
    for k in set(dev) | set(test):
        n = dev[k] + test[k]
        total += WEIGHTS[k[0]] * abs(test[k] - test_share * n)
        if k[0] in ABSENT and n >= 2 and min(dev[k], test[k]) == 0:
            total += ABSENT[k[0]]
    return total


def assign(cases: list[dict], seed: str, test_share: float,
           corpus: Corpus | None = None) -> dict[str, str]:
    fams = families(cases, corpus)
    keyed = [(min(c["id"] for c in f), f) for f in fams]
    order = sorted(keyed, key=lambda kf: (-len(kf[1]), seeded_hash(seed, kf[0])))
    adds = {key: family_counts(fam, corpus) for key, fam in order}
    counts = {"dev": collections.Counter(), "test": collections.Counter()}
    where = {}

    # 1. greedy: largest families first, each to the half that keeps the strata balanced
    for key, fam in order:
        tie = int(seeded_hash(seed, "tie:" + key)[:8], 16) % 2
        best = None
        for pos, split in enumerate(("dev", "test")):
            dev, test = counts["dev"].copy(), counts["test"].copy()
            (dev if split == "dev" else test).update(adds[key])
            rank = (round(imbalance(dev, test, test_share), 9), 0 if pos == tie else 1)
            if best is None or rank < best[0]:
                best = (rank, split)
        where[key] = best[1]
        counts[best[1]].update(adds[key])

    # 2. local search: move single families, then swap pairs, while the imbalance drops
    def current():
        return round(imbalance(counts["dev"], counts["test"], test_share), 9)

    def move(key, to):
        frm = where[key]
        counts[frm].subtract(adds[key])
        counts[to].update(adds[key])
        where[key] = to

    other = {"dev": "test", "test": "dev"}
    for _ in range(50):
        improved = False
        for key, _fam in order:
            before = current()
            move(key, other[where[key]])
            if current() < before:
                improved = True
            else:
                move(key, other[where[key]])
        for i, (ka, _fa) in enumerate(order):
            for kb, _fb in order[i + 1:]:
                if where[ka] == where[kb]:
                    continue
                before = current()
                move(ka, other[where[ka]])
                move(kb, other[where[kb]])
                if current() < before:
                    improved = True
                else:
                    move(ka, other[where[ka]])
                    move(kb, other[where[kb]])
        if not improved:
            break

    return {c["id"]: where[key] for key, fam in order for c in fam}


def read_cases(paths: list[str]) -> tuple[list[dict], list[str]]:
    cases, lines, seen = [], [], {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                raw = line.rstrip("\n")
                case = json.loads(raw)
                cid = case["id"]
                if cid in seen:
                    if seen[cid] != raw:
                        sys.exit(f"{path}:{n}: id {cid!r} appears twice with different content")
                    continue
                seen[cid] = raw
                cases.append(case)
                lines.append(raw)
    return cases, lines


def summary(cases: list[dict], split_of: dict[str, str]) -> str:
    rows = collections.Counter((split_of[c["id"]],) + stratum(c) for c in cases)
    out = []
    for split in ("dev", "test"):
        n = sum(v for k, v in rows.items() if k[0] == split)
        detail = ", ".join(f"{k[1]}/{k[2]} {v}" for k, v in sorted(rows.items()) if k[0] == split)
        out.append(f"{split}: {n}  ({detail})")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="input JSON Lines file(s), read as one set")
    ap.add_argument("--name", required=True,
                    help="output base name (NAME.dev.jsonl, NAME.test.jsonl)")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--seed", default="cgs-evalsets-2024")
    ap.add_argument("--corpus", help="source text; when given, the articles and sections quoted "
                    "by the cases are spread over both halves too")
    ap.add_argument("--test-share", type=float, default=0.5)
    ap.add_argument("--check", action="store_true",
                    help="do not write; fail if the existing output files differ from the split")
    args = ap.parse_args()

    cases, lines = read_cases(args.sets)
    corpus = None
    if args.corpus:
        with open(args.corpus, encoding="utf-8") as f:
            corpus = Corpus(f.read())
    split_of = assign(cases, args.seed, args.test_share, corpus)
    outputs = {s: [raw for c, raw in zip(cases, lines) if split_of[c["id"]] == s]
               for s in ("dev", "test")}
    paths = {s: os.path.join(args.out_dir, f"{args.name}.{s}.jsonl") for s in ("dev", "test")}

    if args.check:
        ok = True
        for s, path in paths.items():
            try:
                with open(path, encoding="utf-8") as f:
                    have = [l.rstrip("\n") for l in f if l.strip()]
            except FileNotFoundError:
                have = None
            if have != outputs[s]:
                print(f"DIFFERS: {path}")
                ok = False
        print("OK: split reproduces the files" if ok else "FAIL")
        return 0 if ok else 1

    os.makedirs(args.out_dir, exist_ok=True)
    for s, path in paths.items():
        with open(path, "w", encoding="utf-8") as f:
            for raw in outputs[s]:
                f.write(raw + "\n")
    print(summary(cases, split_of))
    print(f"families: {len(families(cases, corpus))}; wrote {paths['dev']} and {paths['test']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
