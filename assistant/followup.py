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
    r"et quel|et quelle|et combien|et comment|et le|et la|et les|et du|et des|du coup|say"
    # a question that opens on "from when" asks when something the conversation named starts
    r"|(?:starting |beginning |counting )?from when|since when|until when|(?:a|à) partir de quand|depuis quand"
    r"|jusqu'(?:a|à) quand|d(?:e|è)s quand)\b",
    re.IGNORECASE,
)
_PRONOUNS = re.compile(r"\b(?:il|elle|ils|elles|ce|cela|ça|celui-ci|celle-ci|lui|leur|it|this|that|they|them|those)\b",
                       re.IGNORECASE)
# What refers back to the conversation: object pronouns, "still", "then", "in that case"…
_ANAPHORA = re.compile(r"\b(?:le|la|les|lui|leur|y|en|encore|toujours|ensuite|du coup|dans ce cas|pareil|idem"
                       r"|it|this|that|they|them|those|still|then|anymore|in that case|either)\b|\bs'il\b|\bqu'il\b",
                       re.IGNORECASE)
# A bare question word, with at most a preposition before it ("Starting from when?",
# "Jusqu'à quand ?", "Combien ?", "Why?"): nothing but the conversation says what it asks about.
_BARE = re.compile(r"^(?:(?:and|et|but|mais|so|alors|then)\s+)?(?:(?:starting|beginning|counting|effective)\s+)?"
                   r"(?:(?:from|since|until|till|as of|by|for|a partir de|à partir de|depuis|jusqu'?(?:à|a)|d'ici|pour|pendant)\s+)?"
                   r"(?:when|what date|quand|quelle date|how long|how much|how many|combien(?: de temps)?|why|pourquoi"
                   r"|who|qui|where|o[uù]|how|comment)\W*$", re.IGNORECASE)
# A sentence whose subject is a pronoun ("Il a remonté 3 bugs", "They now want to
# cancel") speaks of someone or something the conversation named, however long it is;
# impersonal "il" ("il faut", "il y a") names nothing.
_SUBJECT = re.compile(r"(?:^|[.!?;]\s+)(?:il|elle|ils|elles|they|he|she|it)\b"
                      r"(?!\s+(?:faut|y a|existe|est (?:possible|necessaire|interdit|obligatoire)|s'agit|para[iî]t))"
                      r"|(?:^|[.!?;]\s+)(?:even if|if|si|meme si|même si) (?:they|he|she|it|il|elle|ils|elles)\b",
                      re.IGNORECASE)
# A follow-up told as a story stays a follow-up up to this length.
SUBJECT_WORDS = 40
# Words a reply starts with that say nothing yet ("ok et s'il veut arrêter…").
_FILLER = re.compile(r"^(?:ok(?:ay)?|d'accord|dac|bon|bien|alors|donc|bref|so|right|alright|well|oh|ah)\b[\s,.!]*",
                     re.IGNORECASE)
# A follow-up that refers back is short; a long question with "it" is usually standalone.
# (14 -> 20 on the dev splits' 38 conversations: MRR 0.925 -> 0.940)
ANAPHORIC_WORDS = 20
# At most this many topic words are borrowed from the conversation: they say where to look;
# more would only make a follow-up cost more than the question it follows.
MAX_BORROWED = 12
# The topic is borrowed from the nearest earlier question that is not itself a follow-up,
# and from the ones before it while fewer than FEW_TOPIC_WORDS words were borrowed: after
# "La grève chez un opérateur a bloqué nos envois, c'est de la force majeure ?" then "faut
# prévenir le client ?", "et si ça dure des semaines ?" is still about force majeure. On the
# dev splits (MRR, quotes and key facts summed over the four splits not in the fit): 3.772 /
# 3.792 / 3.795 with the nearest alone, 3.781 / 3.800 / 3.803 at 4 and 6; the seven fitted
# splits unchanged.
FEW_TOPIC_WORDS = 4
MAX_BORROWED_CHARS = 80
_QUESTION_WORDS = {"quel", "quelle", "quels", "quelles", "comment", "combien", "pourquoi", "quand", "what",
                   "which", "how", "when", "why", "who", "where", "est", "ce", "qu", "can", "could", "does", "do",
                   "is", "are", "there", "y", "t", "peut", "doit", "long", "much", "many"}


def is_follow_up(question: str) -> bool:
    """Whether a question needs the conversation to be understood.

    >>> is_follow_up("Et en cas de retard ?"), is_follow_up("ok et s'il veut arrêter avant ?")
    (True, True)
    >>> is_follow_up("Il peut encore le signer tel quel ?"), is_follow_up("Quel tribunal est compétent ?")
    (True, False)
    >>> is_follow_up("They now want to cancel before it renews. What's the procedure and the deadline?")
    True
    >>> is_follow_up("Il faut combien de jours de préavis pour résilier un abonnement annuel d'hébergement de site web ?")
    False
    >>> is_follow_up("Du coup la livraison prévue le 10, on peut la décaler ?")
    True
    >>> is_follow_up("On peut encore lui réclamer l'indemnité ou c'est trop tard ?")
    True
    >>> is_follow_up("Starting from when?"), is_follow_up("Jusqu'à quand ?"), is_follow_up("Combien ?")
    (True, True, True)
    >>> is_follow_up("Starting from when - signature or the end of the contract?")
    True
    """
    question = _FILLER.sub("", question.strip())
    words = re.findall(r"\w+", question)
    if _ELLIPTIC_START.match(question) or _BARE.match(question):
        return True
    if len(words) <= 4 and _PRONOUNS.search(question):
        return True
    if len(words) <= SUBJECT_WORDS and _SUBJECT.search(question):
        return True
    return len(words) <= ANAPHORIC_WORDS and bool(_PRONOUNS.search(question)) and bool(_ANAPHORA.search(question))


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
    >>> rewrite("et si ça dure des semaines ?", ["Une grève a bloqué nos envois, force majeure ?", "faut prévenir le client ?"])
    'et si ça dure des semaines ? (faut prévenir client grève bloqué envois force majeure)'
    """
    if not history or not is_follow_up(question):
        return question
    # The nearest earlier questions that are not themselves follow-ups carry the topic
    # (FEW_TOPIC_WORDS); with none, the oldest question's words.
    topic, gathered = "", []
    for earlier in reversed(history):
        words = topic_words(earlier)
        topic = " ".join(words)
        if not is_follow_up(earlier) and words:
            gathered += words
            if len(gathered) >= FEW_TOPIC_WORDS:
                break
    topic = " ".join(gathered) or topic
    own = {fold(w) for w in topic_words(question)}
    extra = " ".join([w for w in topic.split() if fold(w) not in own][:MAX_BORROWED])
    if len(extra) > MAX_BORROWED_CHARS:
        extra = extra[:MAX_BORROWED_CHARS].rsplit(" ", 1)[0]
    return f"{question} ({extra})" if extra else question
