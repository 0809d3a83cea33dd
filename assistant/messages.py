"""The assistant's own words, in French and English (the documents' words are quoted)."""
from __future__ import annotations

TEXT = {
    "fr": {
        "lead": "Selon {where} : « {quote} »",
        "abstain": "Les conditions générales (CGS) ne répondent pas à cette question.",
        "pointer": "Cette question relève de « {title} », document non disponible ici : {url}",
        "precedence": "En cas de contradiction, les Conditions spécifiques prévalent sur les CGS (préambule des CGS).",
        "fallback": "Le modèle de langage n'a pas répondu ({reason}) : voici la réponse extractive.",
        "see_also": "Voir aussi « {title} » (document non disponible ici) : {url}",
    },
    "en": {
        "lead": "Under {where}: « {quote} »",
        "abstain": "The general terms (CGS) do not answer this question.",
        "pointer": "This question belongs to “{title}”, a document not available here: {url}",
        "precedence": "Where they conflict, the specific conditions prevail over the CGS (CGS preamble).",
        "fallback": "The language model did not answer ({reason}): here is the extractive answer.",
        "see_also": "See also “{title}” (not available here): {url}",
    },
}


def t(language: str, key: str, **values: str) -> str:
    return TEXT.get(language, TEXT["fr"])[key].format(**values)


def extractive(language: str, quotes: list[tuple[str, str]], precedence: bool = False) -> str:
    """"Selon l'article 3 (Règlement) des CGS : « … »", one line per quoted passage."""
    lines = [t(language, "lead", where=w, quote=q) for w, q in quotes]
    if precedence:
        lines.append(t(language, "precedence"))
    return "\n\n".join(lines)


def abstain(language: str, pointers: list[dict[str, str]]) -> str:
    lines = [t(language, "abstain")]
    lines += [t(language, "pointer", title=p["title"], url=p["url"]) for p in pointers]
    return "\n\n".join(lines)


def see_also(language: str, pointers: list[dict[str, str]]) -> str:
    return "\n".join(t(language, "see_also", title=p["title"], url=p["url"]) for p in pointers)
