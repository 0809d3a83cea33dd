"""Checks on questions before any model work, and cleaning of what a user typed."""
from __future__ import annotations

import re
import unicodedata

from terms.errors import BadQuestion

# Zero-width and Unicode "tag" characters hide text from a reader but not from a model.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\U000e0000-\U000e007f]")


def clean_question(text: str) -> str:
    """Strip invisible characters and control codes; collapse whitespace."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)
    return " ".join(text.split())


def check_question(question: object, history: object, max_chars: int, max_turns: int) -> tuple[str, list[str]]:
    """Validate and clean a question and its history; raise BadQuestion with the reason."""
    if not isinstance(question, str):
        raise BadQuestion("the question must be a string")
    if len(question) > max_chars:
        raise BadQuestion(f"the question is too long ({len(question)} characters, at most {max_chars})")
    cleaned = clean_question(question)
    if not cleaned:
        raise BadQuestion("the question is empty")
    if history is None:
        history = []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise BadQuestion("history must be a list of strings (earlier questions, oldest first)")
    if len(history) > max_turns:
        raise BadQuestion(f"the history is too long ({len(history)} turns, at most {max_turns})")
    if any(len(h) > max_chars for h in history):
        raise BadQuestion(f"a history turn is longer than {max_chars} characters")
    return cleaned, [c for c in (clean_question(h) for h in history) if c]
