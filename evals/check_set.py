#!/usr/bin/env python3
"""Validate a question-answering eval set (JSON Lines) against its source text.

Usage:
    python -m evals.check_set evals/sets/cgs.test.jsonl corpus/cgs-20210601.fr.txt [options]

Checks (errors make the exit status 1):
  * every line is a JSON object with the keys and types of docs EVAL_FORMAT
    (id, question, history, language, answerable, expect.sources/facts/forbidden);
  * ids are unique short kebab-case strings;
  * counts: number of cases, share of "fr" and "en" cases, answerable:false
    cases, follow-ups (non-empty history), and the id-prefix categories used by
    the set (inj-* prompt injections, two-* two-clause questions, *-para-*
    paraphrases);
  * answerable cases have 1-3 sources of 5-12 words and 1+ fact groups;
    unanswerable cases have no sources and no facts;
  * every source snippet occurs in the normalised corpus (NFKD, accents
    removed, casefold, curly quotes -> ', runs of chars other than [0-9a-z@]
    -> one space; line-end hyphens joined first), on word boundaries;
  * every fact group has an alternative that occurs in the corpus, and no
    forbidden string is also an expected fact;
  * two-* cases have sources in two different sections;
  * (when the corpus has the CGS headings) every article, sub-heading and
    article-1 definition is the source of at least one case.
Warnings (not fatal, unless --strict): a snippet spanning a line break of the
source file, a snippet spanning a sentence end, a fact group found in no sentence that contains one of the case's
sources, a paraphrase sharing a content word with its source sentence.
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys

from terms.text import normalise

REQUIRED_KEYS = {"id", "question", "language", "answerable", "expect"}
EXPECT_KEYS = {"sources", "facts", "forbidden"}
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Heading structure of the CGS (used only for headings actually found).
ARTICLE_RE = re.compile(r"^(\d{1,2})\.\s+[A-Z]")
SUBHEADINGS = [
    "Acceptation du Devis", "Prestations complémentaires", "Annulation", "Durée :",
    "Résiliation", "Rémunération des Prestations", "Règlement hors délai", "Règlement",
    "Frais divers", "Obligations générales du Prestataire", "Obligations générales du Client",
    "Reserve de propriété", "Preuve :", "Services :", "Solutions", "Développement :",
    "a/ Calendrier et délais", "b/ Réception des Livrables", "c/ Maintenance corrective",
    "d/ Maintenance évolutive", "e/ Hébergement", "f/ Réversibilité",
    "Manquements et Pénalités", "Droits du Prestataire",
    "Eléments de propriété intellectuelle du Client", "Référence commerciale",
]
DEFINITION_RE = re.compile(
    r"^(Activités|Conditions tarifaires|Conditions spécifiques|Service\(s\)|Développement|"
    r"Devis|Ecrit\(e\)|Solution\(s\) de Paiement|Solution\(s\)|Prestations|Livrables|"
    r"Utilisateur)\s*:")

STOPWORDS = set("""
a au aux avec ce ces cet cette dans de des du elle elles en est et etre il ils je la le les
leur leurs lui mais me mes mon ne nous on ou par pas pour qu que qui sa se ses si son sur ta
te tes ton tu un une vos votre vous y c d j l m n s t est sont quel quelle quels quelles
combien comment quand quoi dont the and for with what does how can when which who are our
is of to in it do we an be that this was plus
""".split())


def dehyphenate(raw: str) -> str:
    """Join words hyphenated across line ends ("ci-\\ndessous" -> "ci-dessous")."""
    return re.sub(r"-[ \t]*\n[ \t\f]*(?=\w)", "-", raw)


def contains(hay: str, needle: str) -> bool:
    return f" {needle} " in f" {hay} "


def find_all(hay: str, needle: str) -> list[int]:
    """Offsets (in `hay`) of word-boundary occurrences of `needle`."""
    padded, pat, out, i = f" {hay} ", f" {needle} ", [], 0
    while True:
        i = padded.find(pat, i)
        if i < 0:
            return out
        out.append(i)
        i += 1


class Corpus:
    def __init__(self, raw: str):
        self.raw_lines = raw.split("\n")
        self.norm_lines = [normalise(l) for l in self.raw_lines]
        # Full normalised text with offsets of each line (for section lookup).
        self.line_start, parts, pos = [], [], 0
        for nl in self.norm_lines:
            self.line_start.append(pos)
            parts.append(nl)
            pos += len(nl) + 1
        self.flat = " ".join(parts)
        self.full = normalise(dehyphenate(raw))
        self.sections = self._sections()
        self.sentences = self._sentences(raw)

    def _sections(self) -> list[str]:
        """Section label of every line: article, sub-heading or definition."""
        labels, article, current = [], "preambule", "preambule"
        for line in self.raw_lines:
            s = line.replace("\f", "").strip()
            m = ARTICLE_RE.match(s)
            if m:
                article = f"art {m.group(1)}"
                current = article
            elif article == "art 1" and DEFINITION_RE.match(s):
                current = "art 1 / def " + DEFINITION_RE.match(s).group(1)
            else:
                for sh in SUBHEADINGS:
                    if s.startswith(sh) and len(s) < 70 and not s.endswith("."):
                        current = f"{article} / {sh.rstrip(' :')}"
                        break
            labels.append(current)
        return labels

    @staticmethod
    def _sentences(raw: str) -> list[str]:
        text = re.sub(r"\s+", " ", dehyphenate(raw))
        parts = re.split(r"(?<=[a-zà-ÿ0-9\)»]{2}[.!?])\s+(?=[A-ZÀ-Ý«])", text)
        return [normalise(p) for p in parts]

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.line_start) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_start[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def sections_of(self, snippet_norm: str) -> set[str]:
        return {self.sections[self.line_of(o)] for o in find_all(self.flat, snippet_norm)}

    def in_one_line(self, snippet_norm: str) -> bool:
        return any(contains(l, snippet_norm) for l in self.norm_lines)

    def sentences_with(self, snippet_norm: str) -> list[str]:
        return [s for s in self.sentences if contains(s, snippet_norm)]


def stem(word: str) -> str:
    return word[:5]


def content_words(text: str) -> set[str]:
    return {stem(w) for w in normalise(text).split() if len(w) >= 4 and w not in STOPWORDS
            and not w.isdigit()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set")
    ap.add_argument("corpus")
    ap.add_argument("--min-cases", type=int, default=130)
    ap.add_argument("--min-fr", type=float, default=0.62)
    ap.add_argument("--min-en", type=float, default=0.28)
    ap.add_argument("--min-unanswerable", type=int, default=22)
    ap.add_argument("--min-injections", type=int, default=12)
    ap.add_argument("--min-followups", type=int, default=8)
    ap.add_argument("--min-two-clause", type=int, default=6)
    ap.add_argument("--min-paraphrases", type=int, default=15)
    ap.add_argument("--strict", action="store_true", help="treat warnings as errors")
    ap.add_argument("-v", "--verbose", action="store_true", help="print coverage detail")
    args = ap.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        corpus = Corpus(f.read())

    errors: list[str] = []
    warnings: list[str] = []
    cases = []
    with open(args.set, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {n}: invalid JSON ({e})")
                continue
            if not isinstance(case, dict):
                errors.append(f"line {n}: not a JSON object")
                continue
            case["_line"] = n
            cases.append(case)

    ids = collections.Counter()
    coverage = collections.Counter()
    for case in cases:
        where = f"line {case['_line']} ({case.get('id', '?')})"
        missing = REQUIRED_KEYS - case.keys()
        if missing:
            errors.append(f"{where}: missing keys {sorted(missing)}")
            continue
        cid = case["id"]
        ids[cid] += 1
        if not isinstance(cid, str) or not ID_RE.match(cid) or len(cid) > 40:
            errors.append(f"{where}: id must be short kebab-case")
        if not isinstance(case["question"], str) or not case["question"].strip():
            errors.append(f"{where}: empty question")
        hist = case.get("history", [])
        if not isinstance(hist, list) or not all(isinstance(h, str) and h.strip() for h in hist):
            errors.append(f"{where}: history must be a list of non-empty strings")
        if case["language"] not in ("fr", "en"):
            errors.append(f"{where}: language must be 'fr' or 'en'")
        if not isinstance(case["answerable"], bool):
            errors.append(f"{where}: answerable must be a boolean")
        exp = case["expect"]
        if not isinstance(exp, dict) or EXPECT_KEYS - exp.keys():
            errors.append(f"{where}: expect must have keys {sorted(EXPECT_KEYS)}")
            continue
        sources, facts, forbidden = exp["sources"], exp["facts"], exp["forbidden"]
        if not (isinstance(sources, list) and all(isinstance(s, str) and s.strip() for s in sources)):
            errors.append(f"{where}: sources must be a list of strings")
            continue
        if not (isinstance(facts, list) and all(isinstance(g, list) and g and all(
                isinstance(a, str) and a.strip() for a in g) for g in facts)):
            errors.append(f"{where}: facts must be a list of non-empty lists of strings")
            continue
        if not (isinstance(forbidden, list) and all(isinstance(s, str) and s.strip() for s in forbidden)):
            errors.append(f"{where}: forbidden must be a list of strings")
            continue

        if not case["answerable"]:
            if sources or facts:
                errors.append(f"{where}: unanswerable case must have empty sources and facts")
        else:
            if not 1 <= len(sources) <= 3:
                errors.append(f"{where}: answerable case needs 1-3 sources")
            if not facts:
                errors.append(f"{where}: answerable case needs at least one fact group")
            elif len(facts) > 3:
                warnings.append(f"{where}: {len(facts)} fact groups (keep 1-2)")

        case_sections: list[set[str]] = []
        src_sentences: list[str] = []
        for s in sources:
            ns = normalise(s)
            nwords = len(ns.split())
            if not 5 <= nwords <= 12:
                errors.append(f"{where}: source has {nwords} words (want 5-12): {s!r}")
            if not contains(corpus.full, ns):
                errors.append(f"{where}: source not in corpus: {s!r}")
                continue
            if not corpus.in_one_line(ns):
                warnings.append(f"{where}: source spans a line break: {s!r}")
            secs = corpus.sections_of(ns)
            case_sections.append(secs)
            coverage.update(secs)
            found = corpus.sentences_with(ns)
            if not found:  # quote accuracy asks a quote to hold it: a sentence-bounded quote cannot
                warnings.append(f"{where}: source spans a sentence end (no quote of one sentence holds it): {s!r}")
            src_sentences += found
        for g in facts:
            alts = [normalise(a) for a in g]
            if not any(a and contains(corpus.full, a) for a in alts):
                errors.append(f"{where}: no alternative of fact group {g} occurs in the corpus")
            elif src_sentences and not any(contains(sent, a) for sent in src_sentences for a in alts):
                warnings.append(f"{where}: fact group {g} not in a sentence containing a source")
        for bad in forbidden:
            nb = normalise(bad)
            if any(contains(normalise(a), nb) for g in facts for a in g):
                errors.append(f"{where}: forbidden {bad!r} is also an expected fact")
        if cid.startswith("two-"):
            if len(sources) < 2 or len(set().union(*case_sections) if case_sections else set()) < 2:
                errors.append(f"{where}: two-clause case needs sources from two sections")
        if "-para" in cid and src_sentences:
            overlap = content_words(case["question"]) & set().union(
                *(content_words(s) for s in src_sentences))
            if overlap:
                warnings.append(f"{where}: paraphrase shares words with its clause: {sorted(overlap)}")

    for cid, k in ids.items():
        if k > 1:
            errors.append(f"duplicate id {cid!r} ({k} times)")

    n = len(cases)
    langs = collections.Counter(c.get("language") for c in cases)
    answerable = sum(1 for c in cases if c.get("answerable") is True)
    unanswerable = sum(1 for c in cases if c.get("answerable") is False)
    followups = sum(1 for c in cases if c.get("history"))
    inj = [c for c in cases if str(c.get("id", "")).startswith("inj-")]
    inj_ans = sum(1 for c in inj if c.get("answerable"))
    two = sum(1 for c in cases if str(c.get("id", "")).startswith("two-"))
    para = sum(1 for c in cases if "-para" in str(c.get("id", "")))
    with_forbidden = sum(1 for c in cases if c.get("expect", {}).get("forbidden"))

    fr = langs.get("fr", 0) / n if n else 0.0
    en = langs.get("en", 0) / n if n else 0.0
    for label, have, want in [
        ("cases", n, args.min_cases), ("unanswerable cases", unanswerable, args.min_unanswerable),
        ("prompt-injection cases (inj-*)", len(inj), args.min_injections),
        ("follow-up cases (history)", followups, args.min_followups),
        ("two-clause cases (two-*)", two, args.min_two_clause),
        ("paraphrase cases (*-para*)", para, args.min_paraphrases),
    ]:
        if have < want:
            errors.append(f"only {have} {label}, need {want}")
    if fr < args.min_fr:
        errors.append(f"fr share {fr:.1%} < {args.min_fr:.0%}")
    if en < args.min_en:
        errors.append(f"en share {en:.1%} < {args.min_en:.0%}")

    # Coverage of the CGS structure (only headings found in this corpus).
    # A leaf section (article body, sub-heading, definition) must be a source
    # if it has text besides its heading line; an article must be the source
    # of at least one case through itself or one of its sub-sections.
    body = collections.Counter(sec for sec, raw in zip(corpus.sections, corpus.raw_lines)
                               if raw.replace("\f", "").strip())
    all_sections = sorted(set(corpus.sections), key=corpus.sections.index)
    articles = sorted({s.split(" / ")[0] for s in all_sections}, key=all_sections.index)
    art_cov = {a: sum(v for s, v in coverage.items() if s == a or s.startswith(a + " / "))
               for a in articles}
    uncovered = [s for s in all_sections if coverage[s] == 0 and body[s] > 1]
    uncovered += [a + " (whole article)" for a in articles if art_cov[a] == 0]
    if len(all_sections) > 1:
        for s in uncovered:
            errors.append(f"section never used as a source: {s}")

    print(f"cases: {n}  (fr {langs.get('fr', 0)} = {fr:.1%}, en {langs.get('en', 0)} = {en:.1%})")
    print(f"answerable: {answerable}  unanswerable: {unanswerable}")
    print(f"prompt injections: {len(inj)} ({inj_ans} answerable, {len(inj) - inj_ans} pure)"
          f"  cases with forbidden strings: {with_forbidden}")
    print(f"follow-ups: {followups}  two-clause: {two}  paraphrases: {para}")
    print(f"sections: {len(all_sections)} ({len(articles)} articles incl. preamble), uncovered: {len(uncovered)}")
    if args.verbose:
        for s in all_sections:
            print(f"  {coverage[s]:3d}  {s}" + (f"   [article total {art_cov[s]}]" if s in art_cov else ""))
    for w in warnings:
        print("WARNING:", w)
    for e in errors:
        print("ERROR:", e)
    failed = bool(errors) or (args.strict and bool(warnings))
    print("FAIL" if failed else "OK", f"({len(errors)} errors, {len(warnings)} warnings)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
