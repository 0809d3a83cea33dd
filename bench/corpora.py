"""Corpora of N times the CGS's size in passages, made of real documents.

    python bench/corpora.py OUT_DIR --multiple 10

A corpus holds the project's corpus folder (the CGS and its manifest), variants of the
CGS (another company, seat, registry, court, payment term, notice period, expense caps
and reference: what differs between two customers' copies of the same terms) and
external-style terms of service (``tos_corpus.py --articles``, five passages each),
about half and half beyond 1×. Variants share most of their text with the CGS, as
real copies of one set of terms do; the external documents share little.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from bench.tos_corpus import build as build_tos  # noqa: E402

CGS = ROOT / "corpus" / "cgs-20210601.fr.txt"
CGS_PASSAGES = 73  # the CGS's passages (python -m ingest reports them)
TOS_PASSAGES = 5  # a title and four clauses

COMPANIES = ["Nordlys Telecom", "Azur Messaging", "Helvetia Connect", "Opale Mobile", "Cap Horn Media",
             "Vega Billing", "Sirius Contact", "Mistral Data", "Baltic Reach", "Iroise Networks", "Alizé Services",
             "Sequoia Relations"]
CITIES = ["Nantes", "Lille", "Bordeaux", "Rennes", "Grenoble", "Toulouse", "Strasbourg", "Marseille", "Dijon",
          "Rouen", "Nice", "Montpellier"]
NUMBERS = {1: "un", 2: "deux", 3: "trois", 4: "quatre", 6: "six"}


def cgs_variant(text: str, i: int) -> str:
    """The CGS as another company's copy: same clauses, other names and figures."""
    rng = random.Random(i)
    company = COMPANIES[i % len(COMPANIES)] + (f" {i // len(COMPANIES) + 1}" if i >= len(COMPANIES) else "")
    seat, court = rng.sample(CITIES, 2)
    notice = rng.choice(sorted(NUMBERS))
    substitutions = [
        ("CGS 20210601", f"CGS 2021{i % 12 + 1:02d}{i % 28 + 1:02d}-{i}"),
        ("HIGH CONNEXION", company.upper()),
        ("HighConnexion", company.replace(" ", "")),
        ("Oullins", seat),
        ("RCS LYON", f"RCS {seat.upper()}"),
        ("hors Lyon", f"hors {seat}"),
        ("à 30 jours date de facture", f"à {rng.choice([15, 45, 60])} jours date de facture"),
        ("préavis de trois (3) mois", f"préavis de {NUMBERS[notice]} ({notice}) mois"),
        ("quinze (15) jours après une mise en demeure", f"{rng.choice(['huit (8)', 'dix (10)', 'trente (30)'])} "
                                                        "jours après une mise en demeure"),
        ("maximum 110 € / nuit", f"maximum {rng.randrange(90, 160, 5)} € / nuit"),
        ("TRIBUNAL DE COMMERCE DE PARIS", f"TRIBUNAL DE COMMERCE DE {court.upper()}"),
    ]
    for old, new in substitutions:
        if old not in text:  # the CGS changed: the variants must follow it
            raise ValueError(f"{old!r} is not in the CGS")
        text = text.replace(old, new)
    return text


def build(out: Path, multiple: int) -> dict:
    """Write the corpus folder for ``multiple`` times the CGS's passages; what it holds."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "corpus", out)
    extra = (multiple - 1) * CGS_PASSAGES
    variants = round(extra / 2 / CGS_PASSAGES)
    external = round((extra - variants * CGS_PASSAGES) / TOS_PASSAGES)
    cgs = CGS.read_text(encoding="utf-8")
    for i in range(variants):
        (out / f"cgs-variant-{i:03d}.fr.txt").write_text(cgs_variant(cgs, i), encoding="utf-8")
    if external:
        with tempfile.TemporaryDirectory() as tmp:
            build_tos(Path(tmp), external, articles=True)
            for path in sorted((Path(tmp) / "docs").iterdir()):
                shutil.copy(path, out / path.name)
    return {"multiple": multiple, "documents": 1 + variants + external, "cgs_variants": variants,
            "external": external, "expected_passages": CGS_PASSAGES * (1 + variants) + TOS_PASSAGES * external}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--multiple", type=int, default=10)
    args = parser.parse_args()
    print(build(args.out, args.multiple))


if __name__ == "__main__":
    main()
