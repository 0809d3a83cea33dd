"""From the questions asked to the eval set: the answers that need a look, as eval cases.

Quality staff list what went wrong in the chat and the API (thumbs down, abstentions,
low confidence, with the user's comment) and turn a selection into eval cases in the
set format (evals/EVAL_FORMAT.md): the question, its history, and the current answer's
citations as a first guess at ``expect.sources``. Each case is marked ``"review": true``
and named ``review-<answer id>``: a person checks (and corrects) it before it joins a set.
"""
from __future__ import annotations

import json
import re

SNIPPET_WORDS = 10  # the set format's snippets are 5-12 words of one sentence


def snippet(quote: str) -> str:
    """The first words of a quote, as a source snippet (at most ``SNIPPET_WORDS``).

    >>> snippet("Les factures émises par le Prestataire sont payables à 30 jours date de facture.")
    'Les factures émises par le Prestataire sont payables à 30'
    """
    words = quote.split()
    return " ".join(words[:SNIPPET_WORDS]).rstrip(" ,;:")


def as_case(row: dict) -> dict:
    """One logged answer as an eval case to review.

    An abstention is a first guess at ``answerable: false``; an answer's non-supporting
    citations give the snippets. The comment and the reasons it was listed travel with
    the case, for the reviewer.
    """
    citations = [c for c in json.loads(row.get("citations") or "[]") if not c.get("supporting")]
    answered = not row.get("abstained")
    sources = list(dict.fromkeys(s for s in (snippet(c.get("quote", "")) for c in citations) if s))[:3]
    return {
        "id": f"review-{row['id']}",
        "question": row["question"],
        "history": json.loads(row.get("history") or "[]"),
        "language": row.get("language") or "fr",
        "answerable": answered,
        "expect": {"sources": sources if answered else [], "facts": [], "forbidden": []},
        "review": True,
        "note": "; ".join(filter(None, [", ".join(row.get("why", [])), (row.get("comment") or "").strip(),
                                        "sources are the assistant's own citations: check them"])),
    }


def cases_jsonl(rows: list[dict]) -> str:
    """Rows as JSON Lines, one case per line."""
    return "".join(json.dumps(as_case(r), ensure_ascii=False) + "\n" for r in rows)


def parse_ids(values: list[str] | None) -> set[int] | None:
    """The answer ids asked for: each value a comma-separated list ("3,5", or one id per
    value as a form's checkboxes send them). None (no ``ids`` at all) -> None: every
    answer; given but empty -> no answer. Raises ValueError on anything else.

    >>> sorted(parse_ids(["3,5, 8"])), sorted(parse_ids(["3", "5", ""])), parse_ids([""]), parse_ids(None)
    ([3, 5, 8], [3, 5], set(), None)
    """
    if values is None:
        return None
    wanted: set[int] = set()
    for text in filter(str.strip, values):
        if not re.fullmatch(r"\s*\d{1,18}(\s*,\s*\d{1,18})*\s*", text):
            raise ValueError("ids: comma-separated answer ids")
        wanted.update(int(x) for x in text.split(","))
    return wanted
