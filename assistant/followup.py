"""Turn a follow-up ("Et en cas de retard ?") into a standalone question.

Without an LLM the rewrite is deterministic: an elliptic question borrows the
topic words of the conversation's previous question.
"""
from __future__ import annotations

import re

from terms.text import EN_STOP, FR_STOP, fold

_ELLIPTIC_START = re.compile(
    r"^(?:et|mais|sinon|alors|ou|aussi|and|but|what about|how about|what if|same|idem|pareil|"
    r"dans ce cas|in that case|et si|et pour|et en|and for|and if|and in|and what|and how|"
    r"et quel|et quelle|et combien|et comment|et le|et la|et les|et du|et des)\b",
    re.IGNORECASE,
)
_PRONOUNS = re.compile(r"\b(?:il|elle|ils|elles|ce|cela|ça|celui-ci|celle-ci|it|this|that|they|them|those)\b",
                       re.IGNORECASE)
_QUESTION_WORDS = {"quel", "quelle", "quels", "quelles", "comment", "combien", "pourquoi", "quand", "what",
                   "which", "how", "when", "why", "who", "where", "est", "ce", "qu", "can", "could", "does", "do",
                   "is", "are", "there", "y", "t", "peut", "doit", "long", "much", "many"}


def is_follow_up(question: str) -> bool:
    words = re.findall(r"\w+", question)
    if _ELLIPTIC_START.match(question.strip()):
        return True
    return len(words) <= 4 and bool(_PRONOUNS.search(question))


def topic_words(question: str) -> list[str]:
    """The content words of a question, in order, without question words and stop words."""
    out = []
    for w in re.findall(r"[\w'’-]+", question):
        f = fold(w).strip("'-")
        f = re.sub(r"^(?:l|d|qu|j|n|s|c)'", "", f)
        if len(f) > 2 and f not in FR_STOP and f not in EN_STOP and f not in _QUESTION_WORDS:
            out.append(w)
    return out


def rewrite(question: str, history: list[str]) -> str:
    """A standalone form of the question, given the earlier questions (oldest first).

    >>> rewrite("Et en cas de retard ?", ["Quel est le délai de paiement des factures ?"])
    'Et en cas de retard ? (délai paiement factures)'
    >>> rewrite("Quel tribunal est compétent ?", ["Quel est le délai de paiement ?"])
    'Quel tribunal est compétent ?'
    """
    if not history or not is_follow_up(question):
        return question
    # The nearest earlier question that is not itself elliptic carries the topic.
    topic = ""
    for earlier in reversed(history):
        topic = " ".join(topic_words(earlier))
        if not is_follow_up(earlier) and topic:
            break
    own = {fold(w) for w in topic_words(question)}
    extra = " ".join(w for w in topic.split() if fold(w) not in own)
    return f"{question} ({extra})" if extra else question
