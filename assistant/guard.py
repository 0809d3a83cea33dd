"""Checks on questions before any model work, and cleaning of what a user typed.

A question (and each earlier question of its history) is checked once, at the edge,
before the audit log, the model or the page sees it:

- it must be text, within ``max_chars`` characters (a cheap first bound);
- it must be valid Unicode: a lone surrogate (``"\\ud800"``, which a JSON string can
  carry) cannot be encoded and is refused, not silently dropped, so the sender learns
  that its text is broken;
- it is cleaned (NFC, invisible and control characters out, whitespace collapsed);
- it must fit in ``max_tokens`` tokens of the embedding model. What a question costs
  is the model's work, which grows with tokens, not characters: 2,000 CJK characters
  or emoji are about 2,000 tokens, the same number of French characters about 500, a
  usual question 15 to 30.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from terms.errors import BadQuestion

# Zero-width and Unicode "tag" characters hide text from a reader but not from a model.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\U000e0000-\U000e007f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

TokenCounter = Callable[[str], int]


def clean_question(text: str) -> str:
    """Strip invisible characters and control codes; collapse whitespace.

    >>> clean_question(" Délai\\u200b de\\tpaiement ? ")
    'Délai de paiement ?'
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)
    return " ".join(text.split())


def valid_text(text: str, what: str = "the text") -> str:
    """``text`` if it is valid Unicode; BadQuestion naming the first invalid code point.

    >>> valid_text("d\\ud800lai", "the question")
    Traceback (most recent call last):
    ...
    terms.errors.BadQuestion: the question contains an invalid character (U+D800, a lone surrogate): send valid UTF-8 text
    """
    bad = _SURROGATE.search(text)
    if bad:
        raise BadQuestion(f"{what} contains an invalid character (U+{ord(bad.group()):04X}, a lone surrogate): "
                          "send valid UTF-8 text")
    return text


def check_comment(comment: str, max_chars: int = 4000) -> str:
    """A feedback comment: valid Unicode, within ``max_chars``, stripped.

    >>> check_comment("  Il manque les pénalités ")
    'Il manque les pénalités'
    """
    if len(comment) > max_chars:
        raise BadQuestion(f"the comment is too long ({len(comment)} characters, at most {max_chars})")
    return valid_text(comment, "the comment").strip()


def _check_one(text: object, what: str, too_long: str, max_chars: int, max_tokens: int,
               count_tokens: TokenCounter | None) -> str:
    if not isinstance(text, str):
        raise BadQuestion(f"{what} must be a string")
    if len(text) > max_chars:
        raise BadQuestion(too_long.format(size=f"{len(text)} characters", limit=f"{max_chars} characters"),
                          too_long=True)
    cleaned = clean_question(valid_text(text, what))
    if cleaned and max_tokens > 0 and count_tokens is not None:
        tokens = count_tokens(cleaned)
        if tokens > max_tokens:
            raise BadQuestion(too_long.format(size=f"{tokens} tokens", limit=f"{max_tokens} tokens")
                              + ": ask about one point at a time", too_long=True)
    return cleaned


def check_question(question: object, history: object, max_chars: int, max_turns: int, max_tokens: int = 0,
                   count_tokens: TokenCounter | None = None) -> tuple[str, list[str]]:
    """Validate and clean a question and its history; raise BadQuestion with the reason.

    ``max_tokens`` (with ``count_tokens``, the embedding model's tokenizer) bounds the
    question and each history turn; 0 leaves the bound to ``max_chars``.

    >>> check_question("  Délai ? ", ["Bonjour", "\\u200b"], 100, 5)
    ('Délai ?', ['Bonjour'])
    >>> check_question("x" * 50, None, 100, 5, max_tokens=10, count_tokens=len)
    Traceback (most recent call last):
    ...
    terms.errors.BadQuestion: the question is too long (50 tokens, at most 10 tokens): ask about one point at a time
    """
    cleaned = _check_one(question, "the question", "the question is too long ({size}, at most {limit})",
                         max_chars, max_tokens, count_tokens)
    if not cleaned:
        raise BadQuestion("the question is empty")
    if history is None:
        history = []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise BadQuestion("history must be a list of strings (earlier questions, oldest first)")
    if len(history) > max_turns:
        raise BadQuestion(f"the history is too long ({len(history)} turns, at most {max_turns})")
    turns = [_check_one(h, "a history turn", "a history turn is longer than {limit} ({size})", max_chars,
                        max_tokens, count_tokens) for h in history]
    return cleaned, [t for t in turns if t]


# Markup a question may carry when pasted from a page or typed to probe the chat: it is
# not what the question is about.
_MARKUP = re.compile(r"<[^<>]{0,200}>")
# Greetings, thanks and acknowledgements: a message made only of these asks nothing.
_SMALL_TALK = re.compile(
    r"\b(?:bonjour|bonsoir|salut|coucou|hello|hi|hey|good (?:morning|afternoon|evening)|merci(?: beaucoup| bien)?"
    r"|thanks?(?: a lot| you)?|thx|ok(?:ay)?|d'accord|dac|super|parfait|top|cool|great|perfect|test(?:ing)?"
    r"|[cç]a va|comment [cç]a va|how are you|au revoir|bye|bonne (?:journ[ée]e|soir[ée]e)|a\+|[àa] plus"
    r"|oui|non|yes|no)\b",
    re.IGNORECASE)


def substance(question: str) -> str:
    """What a question asks about: its text without markup; "" when it is only markup,
    punctuation, greetings or thanks ("Bonjour !", "merci", "<img src=x>", "???").

    >>> substance("<b>Délai</b> de paiement ?"), substance("Bonjour, merci !"), substance("<img src=x onerror=alert(1)>")
    ('Délai de paiement ?', '', '')
    """
    text = " ".join(_MARKUP.sub(" ", question).split())
    words = re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text)
    if not words:
        return ""
    rest = _SMALL_TALK.sub(" ", " ".join(words).replace("’", "'"))
    # (a stray letter, "d" or "x", asks nothing either)
    return text if re.search(r"[^\W_]{2}|\d", rest) else ""
