"""The parties' names, as the documents call them.

Contracts name a party once ("HIGH CONNEXION, société par actions simplifiée, … (ci-après
« le Prestataire »)") and then only by its role. Questions do the opposite: "What is the
liability cap of High Connexion?", "HC peut-il résilier ?". The company's name then pulls
retrieval towards the one passage that spells it out (the preamble), away from the clause
that answers. So the names a document defines are read from its text (the drafting
convention "NAME … (ci-après « role »)" / "(hereinafter "role")") and a question's use of
a name, or of its initials, is read as the role.
"""
from __future__ import annotations

import re

from terms.text import fold

# "(ci-après « le Prestataire »)", "(ci-après dénommée « le Client »)", '(hereinafter "the Provider")'
_DEFINED = re.compile(r"\((?:ci-apres|ci-après|hereinafter|hereafter)\s*(?:(?:denomme|dénommé|referred to as|called)e?s?\s*)?"
                      r"[«\"“]\s*([^»\"”]{2,40}?)\s*[»\"”]\s*\)", re.IGNORECASE)
# A name in capitals of two words or more ("HIGH CONNEXION", "ACME SERVICES SAS").
_NAME = re.compile(r"\b([A-Z][A-Z0-9&'\-]+(?:\s+[A-Z][A-Z0-9&'\-]+)+)\b")
_LOOKBACK = 400


def aliases(texts: list[str]) -> dict[str, str]:
    """{folded name or initials: role} for the parties the documents define by name.

    >>> aliases(["… effectuée par HIGH CONNEXION, société (RCS LYON) (ci-après « le Prestataire »), et le Client"])
    {'high connexion': 'le Prestataire', 'highconnexion': 'le Prestataire', 'hc': 'le Prestataire'}
    """
    found: dict[str, str] = {}
    for text in texts:
        for m in _DEFINED.finditer(text):
            role = " ".join(m.group(1).split())
            before = text[max(0, m.start() - _LOOKBACK): m.start()]
            outside = re.sub(r"\([^()]*\)", " ", before)  # "(RCS LYON)" is not the name
            names = _NAME.findall(outside)
            if not names or not role:
                continue
            name = names[-1]
            words = fold(name).split()
            found.setdefault(" ".join(words), role)
            found.setdefault("".join(words), role)
            found.setdefault("".join(w[0] for w in words), role)
    return found


def as_roles(question: str, names: dict[str, str]) -> str:
    """The question with each party name (or its initials) replaced by the party's role.

    >>> as_roles("What is the liability cap of High Connexion?", {"high connexion": "le Prestataire"})
    'What is the liability cap of le Prestataire?'
    >>> as_roles("HC peut-il résilier ?", {"hc": "le Prestataire"})
    'le Prestataire peut-il résilier ?'
    """
    if not names:
        return question
    out = question
    for name in sorted(names, key=len, reverse=True):
        pattern = r"(?<![\w])" + r"[\s\-]*".join(map(re.escape, name.split())) + r"(?![\w])"
        out = re.sub(pattern, names[name], out, flags=re.IGNORECASE)
    return out
