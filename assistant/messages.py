"""The assistant's own words, in French and English (the documents' words are quoted)."""
from __future__ import annotations

import re

TEXT = {
    "fr": {
        "lead": "Selon {where} : « {quote} »",
        "abstain": "Les conditions générales (CGS) ne répondent pas à cette question.",
        "not_given": "Les CGS ne {what} ; la clause la plus proche est {where}, citée ci-dessous "
                     "pour contexte (elle ne répond pas à la question).",
        "pointer": "Cette question relève de « {title} », document non disponible ici : {url}",
        "precedence": "En cas de contradiction, les Conditions spécifiques prévalent sur les CGS (préambule des CGS).",
        "fallback": "Le modèle de langage n'a pas répondu ({reason}) : voici la réponse extractive.",
        "caution": "Réponse incertaine : la clause citée est la plus proche trouvée ; vérifiez qu'elle répond bien "
                   "à la question avant de la citer à un client.",
        "see_also": "Voir aussi « {title} » (document non disponible ici) : {url}",
        "hello": "Bonjour !",
        "thanks": "Avec plaisir !",
        "task": "Je ne joue pas de rôle, n'écris pas de texte et ne suis pas de consignes.",
        # (examples in “ ”: « » in an answer hold the documents' words only)
        "no_question": "Je réponds aux questions sur les conditions générales (CGS) en citant la clause "
                       "exacte. Par exemple : “Quel est le délai de paiement des factures ?” ou “Le client paie "
                       "avec trois semaines de retard, que peut-on lui facturer ?”",
    },
    "en": {
        "lead": "Under {where}: « {quote} »",
        "abstain": "The general terms (CGS) do not answer this question.",
        "not_given": "The CGS do not {what}; the nearest clause is {where}, shown below as context "
                     "(it does not answer the question).",
        "pointer": "This question belongs to “{title}”, a document not available here: {url}",
        "precedence": "Where they conflict, the specific conditions prevail over the CGS (CGS preamble).",
        "fallback": "The language model did not answer ({reason}): here is the extractive answer.",
        "caution": "Uncertain answer: the clause quoted is the nearest found; check that it does answer the "
                   "question before quoting it to a customer.",
        "see_also": "See also “{title}” (not available here): {url}",
        "hello": "Hello!",
        "thanks": "You're welcome!",
        "task": "I do not play roles, write texts or follow orders.",
        "no_question": "I answer questions about the general terms (CGS), quoting the exact clause. For "
                       "example: “What is the payment term for invoices?” or “A customer pays three weeks late: "
                       "what can we charge?”",
    },
}


def t(language: str, key: str, **values: str) -> str:
    return TEXT.get(language, TEXT["fr"])[key].format(**values)


_THANKS = re.compile(r"\b(?:merci|thanks?|thank you|thx|cheers)\b", re.IGNORECASE)
_HELLO = re.compile(r"\b(?:bonjour|bonsoir|salut|coucou|hello|hi|hey)\b", re.IGNORECASE)


def no_question(language: str, message: str) -> str:
    """The reply to a message that asks nothing: thanks are answered as thanks, a greeting
    as a greeting, anything else ("???", "🤔") with what the chat does, and no greeting.

    >>> no_question("fr", "merci !")[:14], no_question("en", "hi")[:6], no_question("fr", "???")[:12]
    ('Avec plaisir !', 'Hello!', 'Je réponds a')
    """
    opener = "thanks" if _THANKS.search(message) else "hello" if _HELLO.search(message) else ""
    return f"{t(language, opener)} {t(language, 'no_question')}" if opener else t(language, "no_question")


def task(language: str) -> str:
    """The reply to a request to play a role, write something or obey an order
    (``tasks.task_request``): what the chat does instead.

    >>> task("fr")[:24], task("en")[:22]
    ('Je ne joue pas de rôle, ', 'I do not play roles, w')
    """
    return f"{t(language, 'task')} {t(language, 'no_question')}"


def extractive(language: str, quotes: list[tuple[str, str]], precedence: bool = False) -> str:
    """"Selon l'article 3 (Règlement) des CGS : « … »", one line per quoted passage."""
    lines = [t(language, "lead", where=w, quote=q) for w, q in quotes]
    if precedence:
        lines.append(t(language, "precedence"))
    return "\n\n".join(lines)


# What a figure question asked for, as "the CGS do not set …" names it (with its verb).
FIGURE_NAMES = {
    "fr": {"amount": "fixent pas ce montant", "percentage": "fixent pas ce taux", "duration": "fixent pas ce délai",
           "date": "fixent pas cette date", "number": "fixent pas ce nombre", "contact": "donnent pas ces coordonnées", "address": "donnent pas cette adresse",
           "name": "donnent pas ce nom"},
    "en": {"amount": "set this amount", "percentage": "set this rate", "duration": "set this period",
           "date": "set this date", "number": "set this number", "contact": "give these contact details", "address": "give this address",
           "name": "give this name"},
}


def not_given(language: str, figure: str, where: str) -> str:
    """The terms touch the topic but do not give the figure asked for.

    >>> not_given("fr", "amount", "l'article 3 (Règlement) des CGS")[:34]
    'Les CGS ne fixent pas ce montant ;'
    """
    names = FIGURE_NAMES.get(language, FIGURE_NAMES["fr"])
    return t(language, "not_given", what=names.get(figure, names["amount"]), where=where)


def abstain(language: str, pointers: list[dict[str, str]], lead: str = "") -> str:
    lines = [lead or t(language, "abstain")]
    lines += [t(language, "pointer", title=p["title"], url=p["url"]) for p in pointers]
    return "\n\n".join(lines)


def see_also(language: str, pointers: list[dict[str, str]]) -> str:
    return "\n".join(t(language, "see_also", title=p["title"], url=p["url"]) for p in pointers)
