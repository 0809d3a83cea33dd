"""Write a synthetic corpus of English terms-of-service excerpts and an eval set for it.

    python bench/tos_corpus.py OUT_DIR [--documents 150] [--articles]
    python -m evals run --set OUT_DIR/set.jsonl --out OUT_DIR/run.json --corpus OUT_DIR/docs

Each document is one company's excerpt (no numbered articles), made of a few clauses
whose figures vary by company, so that only the right document answers a question
about that company. It measures how the runner copes with a corpus of many documents.
With ``--articles`` each document has four clauses as "Article N - Title" out of seven, each its own
passage (about four passages a document, as in longer external terms).
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
# More clauses, used by --articles only (the plain corpus stays as it was).
MORE_CLAUSES = {
    "payment": ("Payment. Invoices issued by {name} are payable within {n} days of their date. Late payments "
                "bear interest at the legal rate.", "Within how many days are {name} invoices payable?"),
    "changes": ("Changes to these terms. {name} announces any change to these terms {n} days before it takes "
                "effect. Continued use of the service means acceptance.",
                "How long before a change of the {name} terms is it announced?"),
    "support": ("Support. The {name} support team answers requests within {n} hours on business days. Urgent "
                "incidents are handled around the clock.", "Within how many hours does {name} support answer?"),
}


def build(out: Path, documents: int, seed: int = 7, articles: bool = False) -> None:
    rng = random.Random(seed)
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    cases = []
    for i in range(documents):
        name = f"{COMPANIES[i % len(COMPANIES)]} {KINDS[(i // len(COMPANIES)) % len(KINDS)]} {i // 140 + 1}"
        doc_id = f"tos-{i:03d}"
        clauses = {**CLAUSES, **MORE_CLAUSES} if articles else CLAUSES
        chosen = rng.sample(sorted(clauses), 4 if articles else 3)
        figures = {c: rng.randint(2, 99) for c in chosen}
        texts = [clauses[c][0].format(name=name, n=figures[c]) for c in chosen]
        if articles:  # "Refunds. Customers…" becomes "Article 3 - Refunds" over "Customers…"
            texts = [f"Article {n} - {t.split('. ', 1)[0]}\n{t.split('. ', 1)[1]}" for n, t in enumerate(texts, 1)]
        body = f"{name} terms of service" + ("" if articles else " (excerpt)") + "\n\n" + "\n\n".join(texts)
        (docs / f"{doc_id}.txt").write_text(body + "\n", encoding="utf-8")
        c = chosen[0]
        cases.append({"id": f"{doc_id}-{c}", "question": clauses[c][1].format(name=name), "history": [],
                      "language": "en", "answerable": True,
                      "expect": {"sources": [], "source_ids": [doc_id], "facts": [[str(figures[c])]],
                                 "forbidden": []}})
    (out / "set.jsonl").write_text("\n".join(json.dumps(c) for c in cases) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--documents", type=int, default=150)
    parser.add_argument("--articles", action="store_true", help="four numbered clauses a document")
    args = parser.parse_args()
    build(args.out, args.documents, articles=args.articles)
    print(f"{args.documents} documents in {args.out / 'docs'}, eval set {args.out / 'set.jsonl'}")


if __name__ == "__main__":
    main()
