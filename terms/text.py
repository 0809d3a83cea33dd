"""Text helpers for retrieval: folding, language guess, French-aware tokens.

Pure functions only; the stemmers are built once at import (they are tiny tables).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_FR = snowballstemmer.stemmer("french")
_EN = snowballstemmer.stemmer("english")

FR_STOP = set("""
a au aux avec ce ces cet cette dans de des du elle en et eux il ils je la le les leur leurs lui ma mais me meme
mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos
votre vous c d j l m n s t y ete etre avoir est sont sera seront ont a as ai quel quelle quels quelles quoi
comment combien quand est-ce ceci cela ca si tout tous toute toutes plus moins tres peut peuvent doit doivent
fait faire y-a-t-il ya dont lorsque ainsi aussi alors donc or ni car apres avant sous entre chez vers selon
ni non oui
""".split())
EN_STOP = set("""
a an the of to in on for and or is are be been was were what which who whom when where why how do does did can
could should would will shall may might must it its this that these those with by from at as if than then there
their they them we you your our us i me my he she his her about into over under any all some no not yes have has
had there's what's how's is there get got tell me please
""".split())

# Words that mark a question as English (the corpus language is French).
_EN_MARKERS = {"the", "what", "how", "is", "are", "does", "do", "can", "which", "who", "when", "where", "why",
               "of", "and", "to", "for", "invoice", "invoices", "payment", "contract", "terms", "there", "it",
               "with", "must", "should", "our", "we", "you", "customer", "client's", "if", "about", "long",
               "hello", "hi", "hey", "thanks", "thank", "what's", "i", "my", "can't", "don't", "isn't", "we're"}
_FR_MARKERS = {"le", "la", "les", "des", "du", "de", "est", "que", "qui", "quel", "quelle", "quels", "quelles",
               "pour", "dans", "en", "un", "une", "et", "sont", "combien", "comment", "peut", "doit", "nous",
               "vous", "au", "aux", "ce", "cette", "je", "on", "il", "ou", "sur", "délai", "délais", "facture", "y",
               "bonjour", "salut", "merci", "coucou", "bonsoir"}


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Casefold and strip accents; typographic apostrophes become plain ones.

    Cached: every question folds the same document names, topics and words again.

    >>> fold("Délai d’exécution")
    "delai d'execution"
    """
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def accent_map(texts: list[str]) -> dict[str, str]:
    """Unaccented spelling -> the accented word the texts always write ("delai" -> "délai"),
    for words the texts never write unaccented ("a" / "à", "ou" / "où" stay out).

    >>> accent_map(["Le délai de préavis", "il a un délai", "à la date", "où ou", "PREAVIS", "signé", "signer", "société"])
    {'delai': 'délai', 'preavis': 'préavis', 'societe': 'société'}
    """
    seen: dict[str, dict[str, int]] = {}
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", text):
            if len(word) > 1 and word.isupper():  # capitals often go without accents ("5. RESPONSABILITE")
                continue
            word = word.lower()
            forms = seen.setdefault(fold(word), {})
            forms[word] = forms.get(word, 0) + 1
    # A key written several ways keeps its usual spelling ("payé" over a rare "paye"). A
    # word whose only accent is a final "é" of a verb the texts use stays out: "signe" is
    # "il signe" as often as the texts' "signé" ("signer" is a word of theirs), while
    # "responsabilite" has nothing else to be.
    found = {key: max(forms, key=forms.get) for key, forms in seen.items()
             if key not in forms and max(forms.values()) >= 0.9 * sum(forms.values())}
    return {key: word for key, word in found.items() if word[:-1] != key[:-1] or key[:-1] + "er" not in seen}


def with_accents(text: str, accents: dict[str, str]) -> str:
    """``text`` with the accents its words lack restored from ``accent_map``: "delai de
    paiement" is read as "délai de paiement" (the embedding models read accentless French
    as other words), case kept.

    >>> with_accents("Delai de preavis ? PENALITES", {"delai": "délai", "preavis": "préavis", "penalites": "pénalités"})
    'Délai de préavis ? PÉNALITÉS'
    """
    def restore(m: re.Match) -> str:
        word = m.group()
        found = accents.get(word.lower())
        if found is None:
            return word
        if word.isupper() and len(word) > 1:
            return found.upper()
        return found[0].upper() + found[1:] if word[0].isupper() else found
    return re.sub(r"\b[A-Za-z]+\b", restore, text) if accents else text


def normalise(text: str) -> str:
    """The eval format's normalisation: fold, then every run of other than [0-9a-z@] is one space."""
    return re.sub(r"[^0-9a-z@]+", " ", fold(text)).strip()


def detect_language(text: str) -> str:
    """'fr' or 'en', by function words (French wins ties: it is the default).

    Accented words are not counted: sales staff asking in English name the clauses in
    the documents' French ("what's the préavis for résiliation?"), and the frame of the
    question is the language they read the answer in.

    >>> detect_language("what's the préavis for résiliation?"), detect_language("Pénalités de retard ?")
    ('en', 'fr')
    """
    tokens = re.findall(r"[a-zà-ÿ'’]+", text.lower().replace("’", "'"))
    en = sum(t in _EN_MARKERS for t in tokens)
    fr = sum(t in _FR_MARKERS for t in tokens) + sum(t.startswith(("l'", "d'", "qu'", "j'", "n'", "s'", "c'")) for t in tokens)
    return "en" if en > fr else "fr"


# References like "L. 441-10", "1342-10", "2016-1691" and amounts stay one token.
_REFERENCE = re.compile(r"\b[lr]\.?\s?\d{3}-\d+\b|\b\d+(?:[-./]\d+)+\b|\b\d+\b")
_WORD = re.compile(r"[a-z@][a-z@0-9+]*")
_ELISION = re.compile(r"\b(?:l|d|qu|j|n|s|c|m|t|jusqu|lorsqu|puisqu)'")


@lru_cache(maxsize=65536)
def _stem(word: str, language: str) -> str:
    return (_EN if language == "en" else _FR).stemWord(word)


def tokens(text: str, language: str = "fr") -> list[str]:
    """Index terms of a text: references kept whole, elisions cut, stop words dropped, stemmed.

    >>> tokens("Les pénalités de l'article L. 441-10 du code")
    ['penalit', 'articl', 'l441-10', 'cod']
    """
    return list(_tokens(text, language))


# A question's passages are analysed again by every stage that weighs them (a few
# hundred distinct texts in all): kept once analysed.
@lru_cache(maxsize=8192)
def _tokens(text: str, language: str) -> tuple[str, ...]:
    folded = _ELISION.sub(" ", fold(text))
    out: list[str] = []
    refs = []

    def keep_reference(m: re.Match) -> str:
        refs.append((m.start(), re.sub(r"[\s.]", "", m.group())))
        return " " * len(m.group())

    rest = _REFERENCE.sub(keep_reference, folded)
    words = [(m.start(), m.group()) for m in _WORD.finditer(rest)]
    stop = EN_STOP if language == "en" else FR_STOP
    for position, item in sorted(refs + [(p, w) for p, w in words]):
        if item in stop or (len(item) < 2 and not item.isdigit()):
            continue
        out.append(item if item[0].isdigit() or item[:1] in "lr" and any(c.isdigit() for c in item)
                   else _stem(item, language))
    return tuple(out)


# -- sentences ----------------------------------------------------------------------------
# A sentence ends at . ! ? ; followed by a capital, a quote or a bullet. Avoids
# cutting "L. 441-10", "n° 2016-1691" and "H.T." followed by a number.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÀ-Ý«\"(]|\d+°)")
# Words that a full stop follows without ending a sentence ("art. 3", "cf. infra").
ABBREVIATIONS = frozenset({"art", "arts", "al", "p", "pp", "cf", "etc", "ex", "no", "m", "mme", "mm", "st", "vs",
                           "eg", "ie", "env", "chap", "sect", "para", "inc", "ltd", "co"})



def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Offsets of the sentences (and bullet items) of ``text``, shifted by ``offset``.

    >>> t = "Payable à 30 jours. Voir l'article L. 441-10 du code.\\n- Repas : 15 €"
    >>> [t[a:b] for a, b in sentence_spans(t)]
    ['Payable à 30 jours.', "Voir l'article L. 441-10 du code.", '- Repas : 15 €']
    """
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        cuts = [m for m in _SENTENCE_BREAK.finditer(line.group()) if not ends_with_abbreviation(line.group(), m.start() - 1)]
        pos = 0
        for m in cuts:
            if m.start() > pos:
                spans.append((start + pos, start + m.start()))
            pos = m.end()
        if pos < len(line.group()):
            spans.append((start + pos, start + len(line.group())))
    return [(a + offset, b + offset) for a, b in spans if text[a:b].strip()]


def ends_with_abbreviation(text: str, stop: int) -> bool:
    """Whether the full stop at ``text[stop]`` closes an abbreviation ("art.", "L.") rather
    than a sentence: the word before it is one letter or a known abbreviation.

    >>> ends_with_abbreviation("voir l'art. 3", 10), ends_with_abbreviation("fin. Le", 3)
    (True, False)
    """
    if text[stop] != ".":
        return False
    word = re.search(r"([^\W\d_]+)$", text[:stop])
    return bool(word) and (len(word.group(1)) == 1 or fold(word.group(1)) in ABBREVIATIONS)


def first_sentence(text: str) -> str:
    """The text up to its first full stop, semicolon or colon (all of it when it has none).

    >>> first_sentence("Payable à 30 jours ; sans escompte. Voir l'article 3.")
    'Payable à 30 jours ;'
    """
    m = re.match(r".+?[.;:](?=\s|$)", text, re.S)
    return (m.group() if m else text).strip()
