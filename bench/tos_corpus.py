"""Write a synthetic corpus of English terms-of-service excerpts and an eval set for it.

    python bench/tos_corpus.py OUT_DIR [--documents 150]
    python -m evals run --set OUT_DIR/set.jsonl --out OUT_DIR/run.json --corpus OUT_DIR/docs

Each document is one company's excerpt (no numbered articles), made of a few clauses
whose figures vary by company, so that only the right document answers a question
about that company. It measures how the runner copes with a corpus of many documents.
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

COMPANIES = ["Acme", "Borealis", "Cobalt", "Dune", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
             "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Pioneer", "Quartz", "Raven", "Summit", "Tundra"]
KINDS = ["Cloud", "Mobile", "Media", "Pay", "Travel", "Health", "Games"]
CLAUSES = {
    "refund": ("Refunds. Customers of {name} may request a refund within {n} days of purchase. Refunds are paid "
               "to the original payment method.", "How many days do {name} customers have to request a refund?"),
    "liability": ("Liability. The total liability of {name} is limited to the fees paid in the {n} months before "
                  "the claim. {name} is not liable for indirect damages.",
                  "What is the liability cap of {name} in months of fees?"),
    "retention": ("Data retention. {name} deletes account data {n} days after the account is closed, unless the law "
                  "requires longer storage.", "When does {name} delete account data after closure?"),
    "notice": ("Termination. Either party may terminate the {name} agreement with {n} days of written notice.",
               "How much notice is needed to terminate the {name} agreement?"),
}


def build(out: Path, documents: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    cases = []
    for i in range(documents):
        name = f"{COMPANIES[i % len(COMPANIES)]} {KINDS[(i // len(COMPANIES)) % len(KINDS)]} {i // 140 + 1}"
        doc_id = f"tos-{i:03d}"
        chosen = rng.sample(sorted(CLAUSES), 3)
        figures = {c: rng.randint(2, 99) for c in chosen}
        body = f"{name} terms of service (excerpt)\n\n" + "\n\n".join(
            CLAUSES[c][0].format(name=name, n=figures[c]) for c in chosen)
        (docs / f"{doc_id}.txt").write_text(body + "\n", encoding="utf-8")
        c = chosen[0]
        cases.append({"id": f"{doc_id}-{c}", "question": CLAUSES[c][1].format(name=name), "history": [],
                      "language": "en", "answerable": True,
                      "expect": {"sources": [], "source_ids": [doc_id], "facts": [[str(figures[c])]],
                                 "forbidden": []}})
    (out / "set.jsonl").write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--documents", type=int, default=150)
    args = parser.parse_args()
    build(args.out, args.documents)
    print(f"{args.documents} documents in {args.out / 'docs'}, eval set {args.out / 'set.jsonl'}")


if __name__ == "__main__":
    main()
