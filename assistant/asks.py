"""What a question asks for, and which sentences can give it.

The sentence most similar to a question is often not the one that answers it: "how
long after a serious breach can we terminate?" is closest to the force-majeure
sentence that also speaks of terminating, but the answer is the one that carries a
duration. So a question is read for the kind of answer it expects (a duration, an
amount, a percentage, a date, a permission, an obligation, a consequence) and a
sentence for the kinds of facts it carries. Both are plain patterns over folded text
(French and English questions, French or English documents); nothing here knows the
wording of any one document.
"""
from __future__ import annotations

import re
from functools import lru_cache

from terms.text import EN_STOP, FR_STOP, fold, tokens

# -- what a question asks -----------------------------------------------------------
# "What can we charge him?" points to the sentences that bill something (an amount's), but
# asks what may be billed, not a figure: the clause that names the penalties answers it.
_CHARGES = (r"(?:facturer|refacturer|reclamer|compter|demander) (?:quoi|en plus)|what (?:else )?(?:can|could|may)"
            r" (?:we|i) (?:charge|bill|invoice|claim)|(?:charge|bill|claim) (?:them|him|her) for")
_ASKS = {
    "duration": r"combien (?:de |d')(?:temps|jours?|mois|semaines?|ans|annees?|heures?)\b|quel(?:le)?s? (?:delai|duree|preavis)"
                r"|dans quel delai|sous quel delai|en combien de temps|au bout de combien|jusqu'a quand|pendant combien"
                r"|how long|how many (?:days?|weeks?|months?|years?|hours?)|how much (?:time|notice)|what notice"
                r"|within how|what (?:is the )?(?:deadline|period|term|duration|timeframe|time limit)|how soon|how quickly"
                r"|\bdelais?\b|\bduree\b|\bpreavis\b|\bnotice period\b|\bdeadline\b|\bpayment terms?\b"
                # a service level's time: "guaranteed response time", "temps de rétablissement", GTI / GTR
                r"|\b(?:(?:guaranteed|maximum|max|target|committed) |what(?: is|'s| are) (?:the |our |your |their )?)(?:\w+ )?"
                r"(?:response|resolution|reaction|turnaround|repair|recovery) times?\b"
                r"|\bquel(?:le)?s? (?:est |sont )?(?:le |la |les )?(?:temps de (?:reponse|reaction|resolution|traitement"
                r"|retablissement|prise en charge)|gt[ir])\b"
                # "is it still valid?", "trop tard ?": a question of how long something lasts
                r"|toujours valable|encore valable|tient toujours|perime|trop tard|still valid|expired?\b|too late",
    "amount": r"combien (?:ca |ça |ils |on |je |il )?(?:coute|coutent|paye|paie|facture|rembourse|doit)|combien d'euros"
              r"|\bcombien\b(?! d[e'])|\bcombien de (?:penalites?|frais|indemnites?|remboursements?)\b"
              # a price per unit of time or work: "c'est quoi le TJM", "their hourly rate"
              r"|\btjm\b|\btaux (?:journalier|horaire)\b|\btarif (?:horaire|journalier|unitaire)\b|\bprix unitaire\b"
              r"|\bjours?[- ]hommes?\b|\bman[- ]days?\b|\bminimum (?:\w+ )?(?:spend|commitment|order|fee|charge|de commande)\b"
              r"|\b(?:day|daily|hourly) rate\b|\bunit price\b"
              # a ceiling is a sum: "the coverage limit of the policy", "le plafond de garantie"
              r"|\b(?:coverage|insurance|insured|liability|spending|credit) (?:limit|cap|ceiling|amount)s?\b|\bplafond\b"
              r"|quel(?:le)?s? (?:(?:est|sont) (?:le |la |les |l')?)?(?:montant|prix|cout|tarif|somme|indemnite|frais|penalite"
              r"|franchise)"
              r"|how much (?:does|do|did|will|would|is|are|was|it|they|we|i|you|should|can|could|money|cash|extra|more)\b"
              r"|how much$|what (?:is the )?(?:fee|amount|price|cost|charge|sum|fine|deductible|excess)|\bmontant\b|\beuros?\b|€|\$|£"
              r"|\bdollars?\b|\bpounds?\b"
              # "what can we charge him?": what may be billed on top is a sum and its ground
              rf"|{_CHARGES}",
    # a count of things: "combien de relances", "how many SMS per second"
    # ("combien d'après nos conditions": "d'après" is not a count)
    "number": r"\bcombien (?:de |d')(?!temps\b|jours?\b|mois\b|semaines?\b|ans\b|annees?\b|heures?\b|minutes?\b|euros?\b"
              r"|apres\b|ici\b|penalites?\b|frais\b|indemnites?\b|remboursements?\b)"
              r"|\bhow many\b(?! (?:days?|weeks?|months?|years?|hours?|minutes?)\b)|\bquel nombre\b|\bwhat number of\b"
              # "how much storage": a quantity, not a price
              r"|\bhow much (?!does|do|did|will|would|is|are|was|it|they|we|i|you|should|can|could|money|cash|extra|more"
              r"|time|notice)\w+",
    # a way to reach someone or pay someone: a phone number, an e-mail address, bank details
    # (and where a document can be read: "on a un lien ?", "is there a link?")
    "contact": r"\bnumero de (?:telephone|tel|portable|fax|la hotline|hotline|support)\b"
               r"|\b(?:son|sa|leur|ton|votre) (?:mail|e-?mail)\b|\bson (?:06|portable|tel|telephone)\b"
               # "son numéro ?" is how to call him; "son numéro SVA+", "son numéro court" are his service's
               r"|\bson numero\b(?! (?:sva|court|surtaxe|special|premium|vert|de (?:commande|facture|contrat|client"
               r"|dossier|siret|siren|tva|rcs)))"
               r"|\b(?:un|le|quel|the|a) (?:lien|link|url)\b|\b(?:lien|link|url) (?:vers|to|for|pour)\b"
               r"|\badresse (?:mail|e-?mail|electronique)\b|\b(?:iban|rib|bic)\b|\bcoordonnees (?:bancaires|de contact)\b"
               r"|\b(?:phone|mobile|telephone) number\b|\be-?mail address\b|\bbank details\b|\bcontact details\b"
               r"|\b(?:his|her|their) (?:e-?mail|phone number|mobile number|number|mobile|cell)\b"
               r"|\b(?:name|nom) (?:and|et|\+) (?:(?:son |sa |his |her |their )?(?:e-?mail|mail|phone|numero|number))\b",
    # a postal address: "l'adresse postale exacte du siège", "their mailing address"
    "address": r"\badresse (?:postale|exacte|complete|du siege|de (?:notre|leur|son) siege)\b|\bnumero et (?:la )?rue\b"
               r"|\bcode postal\b|\b(?:postal|mailing|street|full|exact|complete) address\b"
               r"|\baddress of (?:the |our |their |hc's )?(?:head|registered)|\bzip code\b|\bpostcode\b",
    # who someone is, by name: an insurer, a referent, a signatory, not a party's role ("c'est
    # qui le responsable ?" is answered by "le Client")
    "name": r"\b(?:son|leur|quel) nom\b|\b(?:name|nom) (?:and|et|\+) (?:e-?mail|mail|phone|numero|number)\b"
            r"|\bnamed (?:contact|person|representative|referent)\b|\bnom (?:de|du|d') ?(?:l'|la |le |notre |leur )?(?:assureur|compagnie|referent"
            r"|responsable|contact|interlocuteur|banque|avocat|societe|cabinet)"
            r"|\b(?:c'est qui|qui est|qui sont) (?:le|la|l'|notre|nos|leur|leurs|son|sa|ses) ?(?:\w+ )?(?:assureurs?|referents?"
            r"|dpo|delegue|interlocuteur|avocats?|banques?|commissaire|dirigeants?|directeur|president|signataire"
            r"|sous-traitants?)\b"
            r"|\bquel(?:le)?s? (?:est |sont )?(?:l'|le |la |les |notre |nos )?(?:assureurs?|compagnie d'assurance|banque"
            r"|cabinet|commissaire aux comptes|sous-traitants?)\b"
            r"|\b(?:what(?:'s| is| are)|give me|tell me) (?:the |our |their |his |her )?names?\b"
            r"|\bnames? of (?:the |our |their |hc's )?\w+"
            r"|\bwho (?:is|are) (?:the |our |hc's |their )(?:\w+ ){0,2}(?:insurers?|officer|dpo|lawyers?|auditors?|banks?"
            r"|signatory|ceo|director|contact person|subcontractors?)\b"
            r"|\bwhich (?:insurer|insurance company|bank|law firm|auditor|subcontractors?)\b",
    "percentage": r"\bpourcentage\b|\btaux\b|\bpour ?cent\b|\bpercent(?:age)?\b|%"
                  # (not "rate" alone: a heart rate or a click rate is not asked as a percentage)
                  r"|\b(?:what|which) (?:is the |are the )?(?:\w+ ){0,2}rates?\b|\binterest rate\b|\brate of\b",
    "date": r"quelle date|a partir de quand|depuis quand|a compter de quand|what date|since when|as of when"
            # a time of day or a day of the week: "à quelle heure pile ?", "quel soir ?"
            r"|a quelle heure|quel(?:le)? (?:jour|soir|matin|nuit|creneau|semaine)\b|what time|which (?:day|night)\b"
            r"|effective (?:date|from)|\bwhen did\b|\bdate d'(?:entree|effet)\b",
    "permission": r"\bpeut[- ]on\b|\bpeut[- ]il\b|\bpeut[- ]elle\b|\bpeuvent[- ]ils\b|\bpuis[- ]je\b|\bpouvons[- ]nous\b"
                  r"|\bon peut\b|\bje peux\b|\bil peut\b|\bpeut[- ]etre\b|\ba[- ]t[- ](?:on|il|elle) le droit\b"
                  r"|\ble droit de\b|\bautorise\b|\binterdit\b|\bcan (?:we|i|they|he|she|the|our|a)\b"
                  r"|\b(?:are|is) (?:we|they|he|she|it|the \w+) allowed\b|\bmay (?:we|i|they)\b|\ballowed to\b"
                  r"|\bentitled\b|\bis it possible\b|\bright to\b"
                  # whether someone's leave is needed is whether one may act without it
                  r"|\b(?:need|needs|require|requires|besoin d[eu']?|faut[- ]il|il faut) ?(?:[\w'-]+ ){0,2}?(?:[a-z]')?(?:consent|approval"
                  r"|permission|ok|okay|sign-off|go-ahead|accord|autorisation|feu vert|aval)\b",
    "obligation": r"\bdoi(?:t|s|vent)[- ]?(?:on|il|elle|je|ils)?\b|\best[- ](?:il|on) oblige\b|\bobligatoire\b"
                  r"|\bobligation\b|\best[- ]on tenu\b|\bmust\b|\bhave to\b|\bhas to\b|\brequired\b|\bobliged\b"
                  r"|\bneed to\b|\bresponsib",
    "consequence": r"que se passe|qu'est[- ]ce qui se passe|quel(?:le)?s? (?:risques?|consequences?|sanctions?)"
                   r"|\brisque\b|what happens|what are the consequences|what if|\bet si\b|\bsi jamais\b"
                   r"|\bin case\b|\ben cas de\b|\bwhat can we do\b|\bon fait quoi\b|\brecours\b|\bremedy\b",
    "definition": r"c'est quoi (?:un|une|le|la|les|l'|des)\b|qu'est[- ]ce (?:que|qu')|que (?:veut dire|signifie|designe)"
                  r"|\bdefinition\b|\bdefini[rt]?\b|\bdesigne\b|what (?:is|are) (?:a|an)\b|what does .{1,60} mean"
                  r"|\bmeaning of\b|\bdefine[sd]?\b|\bdefinition\b|\bcovers?\b|\bcouvre\b|\bentend[- ]on par\b",
}
ASKS = {kind: re.compile(pattern) for kind, pattern in _ASKS.items()}

# A question expecting a figure: when no candidate passage carries one, the terms do not
# give what is asked, however close the topic.
FIGURES = ("duration", "amount", "percentage", "date", "number", "contact", "address", "name")

# -- what a sentence carries --------------------------------------------------------
# English puts a duration's qualifier before its unit ("5 business days"), French after it.
_QUALIFIER = r"(?:business|working|calendar|full|consecutive) "
_NUMBER = r"(?:\d+(?:[.,\s]\d+)*|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente" \
          r"|quarante|cinquante|soixante|cent|quatre-vingt(?:s|-dix)?|one|two|three|four|five|six|seven|eight|nine|ten" \
          r"|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred)"
_CARRIES = {
    "duration": rf"\b{_NUMBER}\s*(?:\(\d+\)\s*)?(?:{_QUALIFIER})?(?:jours?|mois|ans|annees?|semaines?|heures?|h\b|minutes?|days?|weeks?"
                rf"|months?|years?|hours?)\b|\b(?:delai|duree|preavis|echeance|period|notice)\b",
    "amount": r"\d[\d\s.,]*\s*(?:€|euros?|eur\b|k€)|(?:€|eur)\s*\d|\b(?:montant|prix|tarifs?|indemnite|somme|frais"
              r"|amount|price|fee|fees|cost)\b",
    "percentage": r"\d+(?:[.,]\d+)?\s*%|\bpour ?cent\b|\bpercent\b|\btaux\b|\brate\b",
    "date": r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b(?:janvier|fevrier|mars|avril|mai|juin|juillet|aout"
            r"|septembre|octobre|novembre|decembre|january|february|march|april|june|july|august|september|october"
            r"|november|december)\b|\ba compter d|\bdes (?:la|le|reception|signature)\b|\bdate\b",
    "permission": r"\bpeu(?:t|vent)\b|\bpourr(?:a|ont)\b|\ben droit\b|\ble droit\b|\bse reserve\b|\bfaculte\b"
                  r"|\bautoris|\binterdi|\bne (?:peut|peuvent|pourra|pourront)\b|\bmay\b|\bcan\b|\bentitled\b",
    "obligation": r"\bdoi(?:t|vent)\b|\bdevr(?:a|ont)\b|\bs'engage|\bs'oblige|\best tenu|\bsont tenu|\bobligation"
                  r"|\bincombe|\bappartient\b|\bshall\b|\bmust\b|\bresponsab",
    "consequence": r"\bentrain|\bdonn(?:e|era|ent) lieu|\bde plein droit\b|\bexigib|\bpenalit|\bsuspen|\bresili"
                   r"|\bsanction|\bindemni|\bfaute de\b|\ba defaut\b|\bconsequen|\bresult",
}
CARRIES = {kind: re.compile(pattern) for kind, pattern in _CARRIES.items()}
_BEFORE_UNIT = r"(?:derniers?|dernieres?|premiers?|premieres?|prochains?|prochaines?|pleins?|pleines?|entiers?|entieres?)\s+"
# A period set by a condition rather than a number: "jusqu'à ce que les causes soient
# supprimées", "dans un délai compatible avec le Planning", "until the breach is cured".
_PERIOD_SET = (r"\bjusqu'a\s+ce\s+qu|\bjusqu'au\s+parfait\b|\bdans\s+un\s+delai\s+(?:raisonnable|compatible|suffisant"
               r"|convenable|adapte)|\buntil\b|\bwithin\s+a\s+reasonable\b|\bas\s+soon\s+as\b|\bdes\s+que\b"
               r"|\bdes\s+(?:la\s+|le\s+)?reception\b"
               # a point in time set by an event: "ne sera libéré qu'après paiement du montant total"
               r"|\bqu'apres\b|\bqu'a\s+(?:compter|partir|reception|la\s+(?:signature|reception|fin))\b"
               r"|\bonly\s+(?:after|once|when)\b"
               # a frequency: "à actualiser annuellement" answers "tous les combien ?"
               r"|\b(?:annuellement|mensuellement|trimestriellement|semestriellement|quotidiennement"
               r"|annually|yearly|monthly|quarterly|weekly|daily)\b")
# A duration, an amount and a rate in figures ("six (6) derniers mois": French may put an
# adjective between the number and its unit).
_DURATION_UNITS = r"jours?|mois|ans|annees?|semaines?|heures?|h\b|minutes?|days?|weeks?|months?|years?|hours?"
_DURATION_IN_FIGURES = rf"\b{_NUMBER}\s*(?:\(\d+\)\s*)?(?:{_QUALIFIER}|{_BEFORE_UNIT})?(?:{_DURATION_UNITS})\b"
_AMOUNT_IN_FIGURES = (r"\d[\d\s.,]*\s*(?:€|euros?|eur\b|k€|\$|£|dollars?\b|pounds?\b|usd\b|gbp\b)"
                      r"|(?:€|eur|\$|£|usd|gbp)\s*\d")
_RATE_IN_FIGURES = r"\d+(?:[.,]\d+)?\s*(?:%|pour ?cent\b|percent\b)"
# Figures a sentence states outright (not just the word "délai"): what a figure question needs.
_STATED = {
    # a duration in figures, or a period the terms set by what ends it: what "how long?" is
    # answered with when no number is given (unless the figure itself is wanted)
    "duration": re.compile(rf"{_DURATION_IN_FIGURES}|{_PERIOD_SET}"),
    # an amount in figures, or one set by a formula ("jusqu'au montant total semestriel de
    # la rémunération", "égal à la rémunération des six derniers mois"): what a question
    # asking "au max on paie combien ?" is answered with
    "amount": re.compile(rf"{_AMOUNT_IN_FIGURES}"
                         r"|\b(?:egale?s? (?:a|au)|limitee?s? (?:a|au|aux)|plafonnee?s? (?:a|au)|dans la limite d"
                         r"|jusqu'au montant|a hauteur d|fixee?s? (?:a|au)|equal to|capped at|limited to|up to the amount"
                         r"|fixed at|set at)\b.{0,80}?\b(?:montant|remuneration|sommes?|prix|fees|amount)\b"
                         # or by the document that sets it: "le montant de la rémunération figurant au Devis"
                         r"|\b(?:montant|prix|remuneration)s? (?:\w+ ){0,3}?(?:figurant|prevue?s?|indiquee?s?|mentionnee?s?"
                         r"|fixee?s?|convenue?s?) (?:au|dans le|sur le|par le) (?:devis|bon de commande|contrat)\b"
                         r"|\b(?:amount|price|fee)s? (?:\w+ ){0,2}?(?:shown|stated|set out|specified|set|agreed) (?:in|on) the"
                         r" (?:quote|quotation|order|contract)\b"),
    # (or a rate set by a statute the sentence cites: "au taux prévu à l'article L. 441-10")
    "percentage": re.compile(r"\d+(?:[.,]\d+)?\s*%|\bpour ?cent\b|\bpercent\b|\btaux (?:d'interet|legal|de|en vigueur)\b"
                             r"|\b(?:rate in force|prevailing rate|applicable rate)\b"
                             r"|\btaux (?:prevu|fixe|defini|vise|mentionne)e?s? (?:a|au|par) (?:l'article|l'art\b|article|la loi"
                             r"|le code)|\brate (?:set|provided|laid down|defined|specified) (?:in|by|under) (?:article|section"
                             r"|the law|statute)"),
    "date": re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}(?:er)? (?:janvier|fevrier|mars"
                       r"|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)\b"),
    # (not "un", "one": every sentence has one)
    "number": re.compile(r"\b\d+\b|\b(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt|trente"
                         r"|cinquante|cent|mille|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty"
                         r"|thirty|fifty|hundred|thousand)\b"),
    "contact": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|\+\d{2}[\s.]?\d|\b0\d(?:[\s.]?\d\d){4}\b|\bfr\d{2}[\s\d]{10,}"
                         r"|\bhttps?://|\bwww\."),
    # a street address or a postcode
    "address": re.compile(r"\b\d{1,4},? (?:bis |ter )?(?:rue|avenue|av|boulevard|bd|place|chemin|allee|quai|cours|route"
                          r"|impasse|street|road|st)\b|\b\d{5} [a-z]"),
}


# A sentence ends at ".", "!", "?" or "…" before a space, or at a line break ("1.2" goes on).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\n")


def asking_part(question: str) -> str:
    """The sentences of a question that ask (those ending in "?"), or all of it when none does.

    A story gives figures in passing ("il nous doit 12 000 €, on peut suspendre ?"): what it
    expects is read from what it asks, not from every figure it tells.

    >>> asking_part("Facture de 5 000 € impayée depuis 40 jours. On peut suspendre ?")
    'On peut suspendre ?'
    >>> asking_part("délai de paiement des factures")
    'délai de paiement des factures'
    """
    asking = [p.strip() for p in _SENTENCE_BREAK.split(question) if p.strip().endswith("?")]
    return " ".join(asking) if asking else question

# Where one asking sentence asks a second thing: ", et …", ", and …", or "et"/"and" before
# a question word ("…HT ou TTC et sous combien de temps…"); and between two questions.
_INTERROGATIVE = (r"qu'est|quel|quelle|quels|quelles|combien|comment|qui|quand|pourquoi|est-ce|what|how|who|which"
                  r"|whether|when|where|why|can|could|does|do|did|is|are|will|would|should")
_SECOND_ASK = re.compile(rf"\s*,\s*(?:et|and|mais|but)\s+|(?<=\?)\s+"
                         rf"|\s+(?:et|and)\s+(?=(?:[\w'-]+\s+){{0,2}}(?:{_INTERROGATIVE})\b)", re.IGNORECASE)
# A part shorter than this is not a question of its own ("oui, et alors ?").
PART_WORDS = 3


def asked_parts(question: str) -> list[str]:
    """The things a question asks, when it asks more than one (else []): "Quel est le délai
    de paiement, et que se passe-t-il si on le dépasse ?" asks two, each answered by its
    own clause.

    >>> asked_parts("Quel est le délai de paiement, et que se passe-t-il si on le dépasse ?")
    ['Quel est le délai de paiement', 'que se passe-t-il si on le dépasse ?']
    >>> asked_parts("Le client a payé. Can we stop? And who owns the code?")
    ['Can we stop?', 'And who owns the code?']
    >>> asked_parts("Il me demande si c'est HT ou TTC et sous combien de temps il doit régler ?")
    ["Il me demande si c'est HT ou TTC", 'sous combien de temps il doit régler ?']
    >>> asked_parts("Le client paie en retard : on peut suspendre ?")
    []
    """
    parts = [p.strip() for p in _SECOND_ASK.split(asking_part(question))]
    parts = [p for p in parts if len(p.split()) >= PART_WORDS]
    return parts[:3] if len(parts) > 1 else []


# A story that raises two matters says so: "…, et il veut aussi voir notre attestation",
# "on a quoi sur les deux points ?", "what rules apply to each?"
_ALSO = re.compile(r"\b(?:aussi|egalement|en plus|au passage|par ailleurs|de plus|also|as well|on top of that"
                   r"|besides)\b")
_BOTH = re.compile(r"\b(?:les deux|chaque cas|dans les deux cas|chacun(?:e)?|tout ca|both|each|either|in each case"
                   r"|all of (?:this|that)|all that)\b")
_CLAUSE_BREAK = re.compile(r"(?<=[.!?…;:])\s+|\n|\s*,\s*(?:et|and|mais|but)\s+", re.IGNORECASE)


def story_parts(question: str) -> list[str]:
    """The matters a story raises, when it says it raises more than one and asks about them
    together (else []): "Gros compte, leur juriste veut savoir jusqu'où on paie si on plante
    une campagne, et il veut aussi voir notre attestation d'assurance. Je lui réponds quoi ?"
    raises two, each answered by its own clause. (``asked_parts`` reads the asking sentence:
    here it asks one thing, "je lui réponds quoi ?".)

    >>> story_parts("Leur juriste veut savoir jusqu'où on paie si on plante, et il veut aussi voir "
    ...             "notre attestation d'assurance. Je lui réponds quoi ?")
    ["Leur juriste veut savoir jusqu'où on paie si on plante", "il veut aussi voir notre attestation d'assurance."]
    >>> story_parts("Le client paie en retard, et il ne répond plus. On peut suspendre ?")
    []
    """
    folded = fold(question)
    if asked_parts(question) or not (_ALSO.search(folded) or _BOTH.search(fold(asking_part(question)))):
        return []
    # (a part must name a matter: "Je lui réponds quoi ?" names none)
    parts = [p.strip() for p in _CLAUSE_BREAK.split(question) if len(p.split()) > PART_WORDS
             and sum(w not in FR_STOP and w not in EN_STOP and len(w) > 3 for w in re.findall(r"\w+", fold(p))) >= 2]
    return parts[:3] if len(parts) > 1 else []


# An elision typed without its apostrophe, as chat often is: "c est qui", "t etais", "j ai".
# (a letter standing alone: not the "s" of an English possessive, "the customer's offer")
_BARE_ELISION = re.compile(r"(?<![\w'])(c|d|j|l|m|n|s|t|qu) (?=[aeiouyh])")


def elided(folded: str) -> str:
    """Folded text with its elisions' apostrophes back ("c est qui" -> "c'est qui").

    >>> elided("c est qui notre assureur ? fais comme si t etais un client")
    "c'est qui notre assureur ? fais comme si t'etais un client"
    >>> elided("do we need the customer's ok ?")
    "do we need the customer's ok ?"
    """
    return _BARE_ELISION.sub(r"\1'", folded)


_TOLD = re.compile(_STATED["amount"].pattern + "|" + r"\d+(?:[.,]\d+)?\s*%")


@lru_cache(maxsize=4096)
def asks(question: str) -> frozenset[str]:
    """The kinds of answer a question's words point to (its figures told are not asked).

    >>> sorted(asks("Combien de temps a le client pour payer ?"))
    ['duration']
    >>> sorted(asks("Can we charge a fee if the customer pays late?"))
    ['permission']
    >>> sorted(asks("c'est combien l'indemnité si il paye en retard ?"))
    ['amount']
    >>> sorted(asks("How many SMS per second can we send?")), sorted(asks("t'as son mail ?"))
    (['number', 'permission'], ['contact'])
    >>> sorted(asks("c'est qui d'astreinte ce soir ? t'as son portable ?"))
    ['contact']
    >>> sorted(asks("il a changé son numéro SVA+, ça change quoi ?")), sorted(asks("on a un lien vers la charte ?"))
    ([], ['contact'])
    >>> sorted(asks("Il a 12 000 € d'impayés, on peut suspendre ?"))   # an amount told, not asked
    ['permission']
    >>> sorted(asks("What's the guaranteed response time on a P1 ticket?")), sorted(asks("c'est combien le jour-homme ?"))
    (['duration'], ['amount'])
    """
    # An amount or a rate the question states ("il nous doit 12 000 €", "20 % de clics")
    # is told, not asked.
    folded = _TOLD.sub(" ", elided(fold(question)))
    kinds = frozenset(kind for kind, pattern in ASKS.items() if pattern.search(folded))
    if "amount" in kinds and _HOW_LONG.search(folded) and not _SUM.search(folded):
        kinds = kinds - {"amount"} | {"duration"}  # "ça dure combien ?" asks how long
    if kinds & {"amount", "percentage", "name"} and _SHOWN.search(folded) and "combien" not in folded:
        kinds -= {"amount", "percentage", "name"}  # "je peux mettre le montant ?" asks leave to show it
    return kinds


# A bare "combien" that asks how long: "ça dure combien ?", "il reste combien avant… ?",
# "on attend combien ?", "ça se décale de combien ?", "tous les combien ?"
_HOW_LONG = re.compile(r"\b(?:dure|durent|durer|attend\w*|reste|restent|decal\w*|prolong\w*|tous les|toutes les)"
                       r"(?: \w+){0,2} combien\b(?! d[e'])|\bcombien (?:\w+ ){0,3}(?:avant (?:de|que|qu')|apres (?:la|le|l'))")
# what marks a sum asked: a currency, "coûte", "paie", "facture"
_SUM = re.compile(r"€|\beuros?\b|\bcout\w*|\bpa(?:y|i)\w*|\bfactur\w*|\bprix\b|\btarif|\bmontant")
# A figure (or a name) to show, not asked: "je peux mettre le montant du contrat ?", "can we publish their
# conversion rates?", "on a le droit de citer leur nom ?"
_SHOWN = re.compile(r"\b(?:mettre|citer|publier|afficher|communiquer|diffuser|mentionner|indiquer|montrer|donner|parler de"
                    r"|include|publish|show|mention|disclose|share|quote|display)(?: \w+){0,3}? (?:le|les|la|ses|son|leur|leurs"
                    r"|the|their|its|his) (?:\w+ )?(?:montants?|prix|budgets?|ca|chiffres? d'affaires|taux|tarifs?|amounts?"
                    r"|prices?|budgets?|figures?|revenues?|rates?|fees?|noms?|names?|logos?)\b")


# A question asking for a figure without saying which kind ("je mets combien ?"), or whether
# the terms give the one the story asked for ("… numéro et rue. c'est dans les CGS ?").
_BARE_FIGURE = re.compile(r"\bcombien\b|\bhow much\b|\bwhat figure\b|\bquel chiffre\b"
                          r"|\bc'est (?:dans|ecrit|marque|indique|prevu|mentionne)|\bc'est ou\b|\bou (?:je|on) (?:le |la |les )?trouve"
                          r"|\b(?:is it|is that|is this) (?:in|written|stated|mentioned|set out)\b|\bwhere (?:can|do|would)"
                          r" (?:i|we) find\b")


def figures_asked(question: str) -> frozenset[str]:
    """The figures a question expects, read from its asking sentences alone (``asking_part``):
    a story's figures are told in passing, and its other words still say which sentence
    answers (``asks`` of the whole question).

    >>> sorted(figures_asked("Combien de factures sont en retard, on l'a vu hier. On peut suspendre ?"))
    []
    >>> sorted(figures_asked("Le client veut le pourcentage de dispo de la plateforme. Je mets combien d'après nos CGS ?"))
    ['percentage']
    >>> sorted(figures_asked("3 semaines de retard, je peux lui facturer quoi en plus ?")), sorted(asks("je peux lui facturer quoi en plus ?"))
    ([], ['amount', 'permission'])
    """
    part = asking_part(question)
    asked = asks(part) & frozenset(FIGURES)
    if "amount" in asked and not asks(re.sub(_CHARGES, " ", fold(part))) & {"amount"}:
        asked -= {"amount"}  # "je peux lui facturer quoi en plus ?" asks what, not how much
    if not asked and _BARE_FIGURE.search(elided(fold(part))):
        # "…le pourcentage de dispo de la plateforme. Je mets combien ?": a bare "combien"
        # asks for the figure the story named before it.
        asked = asks(question) & frozenset(FIGURES)
    return asked


@lru_cache(maxsize=65536)
def carries(sentence: str) -> frozenset[str]:
    """The kinds of fact a sentence carries.

    >>> sorted(carries("Le Client peut résilier avec un préavis de trois mois."))
    ['consequence', 'duration', 'permission']
    """
    folded = fold(sentence)
    return frozenset(kind for kind, pattern in CARRIES.items() if pattern.search(folded))


@lru_cache(maxsize=65536)
def states(text: str, exact: bool = False) -> frozenset[str]:
    """The figures a text states outright (a number with its unit, a date). With ``exact``,
    an amount or a rate counts only in figures: the rule that sets one (a formula, the
    statute it refers to) does not give the figure itself (``wants_exact``).

    >>> sorted(states("une indemnité forfaitaire de 40 euros")), sorted(states("dans un délai de livraison"))
    (['amount', 'number'], [])
    >>> sorted(states("dans un délai raisonnable")), sorted(states("dans un délai raisonnable", exact=True))
    (['duration'], [])
    >>> sorted(states("un préjudice pouvant aller jusqu'au montant total semestriel de la rémunération due"))
    ['amount']
    >>> sorted(states("le montant de la rémunération figurant au Devis")), sorted(states("conformément à la loi"))
    (['amount'], [])
    >>> sorted(states("des pénalités au taux prévu à l'article L. 441-10")), sorted(states("voir https://af2m.org/"))
    (['number', 'percentage'], ['contact'])
    >>> sorted(states("des pénalités au taux prévu à l'article L. 441-10", exact=True))
    ['number']
    """
    folded = fold(text)
    return frozenset(kind for kind, pattern in (_STATED_IN_FIGURES if exact else _STATED).items()
                     if pattern.search(folded))


# A word's letters, after an elided article ("d'Oullins" is "Oullins").
_WORD = re.compile(r"(?:\b[cdjlmnst]['’]|\bqu['’])?([^\W\d_][\w-]*)")
# A capital this often in the documents is one of their own terms ("le Client", "par Ecrit").
COMMON_CAPITAL = 3


def capitalised(text: str) -> list[str]:
    """The words a text capitalises inside its sentences (a sentence's first word is
    capitalised anyway), folded.

    >>> capitalised("Le Client paie. Il souscrit auprès de AXA, à Oullins.")
    ['client', 'axa', 'oullins']
    """
    found = []
    for sentence in _SENTENCE_BREAK.split(text):
        for i, match in enumerate(_WORD.finditer(sentence)):
            word = match.group(1)
            if i and word[0].isupper():
                found.append(fold(word))
    return found


def common_capitals(texts: list[str], at_least: int = COMMON_CAPITAL) -> frozenset[str]:
    """The documents' own capitalised terms: capitals they use at least ``at_least`` times
    ("Client", "Prestataire", "Devis"), which name roles and documents, not someone."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in capitalised(text):
            counts[word] = counts.get(word, 0) + 1
    return frozenset(word for word, n in counts.items() if n >= at_least)


def names_someone(text: str, common: frozenset[str]) -> bool:
    """Whether a text names someone or something by a proper name: a capitalised word the
    documents do not use as one of their own terms ("souscrite auprès d'une compagnie
    d'assurance notoirement solvable" names no insurer).

    >>> names_someone("Le Prestataire est assuré auprès d'une compagnie solvable.", frozenset({"prestataire"}))
    False
    >>> names_someone("Le Prestataire est assuré auprès de Hiscox.", frozenset({"prestataire"}))
    True
    """
    return any(word not in common for word in capitalised(text))


# What a question wanting the figure itself needs: an amount, a rate or a duration in figures.
_STATED_IN_FIGURES = {**_STATED, "duration": re.compile(_DURATION_IN_FIGURES), "amount": re.compile(_AMOUNT_IN_FIGURES),
                      "percentage": re.compile(_RATE_IN_FIGURES)}
# A question that wants the figure itself, not the rule that sets it: "c'est combien en euros
# pile ?", "le taux en pourcentage, le chiffre exact", "the exact rate in percent".
_EXACT = re.compile(
    r"\bcombien (?:d'euros|en euros|en %|en pourcentage)\b|\b(?:en|in) (?:euros?|pourcentage|percent(?:age)?)\b"
    r"|\bas an? (?:actual |exact )?percentage\b|\ben chiffres?\b"
    r"|\b(?:chiffre|montant|taux|pourcentage|somme) (?:exact|precis)|\b(?:exact|precise|actual) (?:\w+[ -]){0,3}?"
    r"(?:figure|amount|rate|percentage|sum|number)s?\b"
    r"|\b(?:combien|pourcentage|taux|montant|how much|rate|percentage|amount)\b[^?.!]{0,25}\b(?:exactement|pile"
    r"|exactly|precisely)\b"
    # a count of a unit: "combien d'heures ?", "how many days?" want a number, where "how
    # long?" or "quel délai ?" are answered by the condition that ends the period too
    r"|\bcombien (?:de |d')(?:jours?|heures?|semaines?|mois|ans|annees?|minutes?)\b"
    r"|\bhow many (?:days?|hours?|weeks?|months?|years?|minutes?)\b")


def wants_exact(question: str) -> bool:
    """Whether a question wants a figure itself rather than the rule that sets it.

    >>> wants_exact("L'indemnité de recouvrement, c'est combien en euros pile ?")
    True
    >>> wants_exact("What's the exact late-payment interest rate in percent?")
    True
    >>> wants_exact("What rate do late penalties run at? Finance wants the exact legal reference.")
    False
    >>> wants_exact("Au max on lui doit combien ?"), wants_exact("Il corrige en combien d'heures ?")
    (False, True)
    """
    return bool(_EXACT.search(fold(question)))


# -- what a question asks of a document it names --------------------------------------
# Words of a document's name that any terms use of themselves ("our terms", "ces conditions")
# say nothing of which document is meant.
_FILLER = frozenset("de des du la le les l d et the of and a an terms term conditions condition general generales"
                    " specific specifiques specifique particulieres code charte charter contrat contract".split())
_SAYS = (r"dit|disent|dise|prevoi\w*|impos\w*|autoris\w*|plafonn\w*|exig\w*|interdi\w*|fix\w*|requir\w*|say\w*"
         r"|state\w*|allow\w*|let|lets|permit\w*|list\w*|set\w*|cap\w*|forbid\w*|specifies|specify|contain\w*")


def asks_document(question: str, names: list[str]) -> bool:
    """Whether a question asks what a document it names says, rather than only naming it:
    "selon le DPA…", "what does the AF2M charter require…", "la charte, elle impose quoi"
    ask its content; "the specific conditions, where are they?" or "which charters must
    he follow?" ask what the terms that refer to it say.

    >>> asks_document("Combien de temps sont gardées les données selon le DPA ?", ["DPA"])
    True
    >>> asks_document("Les conditions spécifiques Billing, elles sont où ?", ["conditions specifiques billing"])
    False
    """
    words = {w for n in names for w in re.sub(r"[^0-9a-z+@]+", " ", fold(n)).split() if w not in _FILLER}
    if not words:
        return False
    folded = " ".join(re.sub(r"[^0-9a-z+@']+", " ", fold(question)).split())
    # (lookarounds, not \b: a name may end in "+", as "SVA+" does)
    name = "(?<![0-9a-z])(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + ")s?(?![0-9a-z])"
    return bool(re.search(rf"\b(?:selon|d'apres|dans|sous|under|according to|per|in|par|by)\s+(?:\S+\s+){{0,3}}?{name}"
                          rf"|{name}(?:\s+\S+){{0,3}}?\s+(?:{_SAYS})\b"
                          rf"|\b(?:que dit|que disent|qu'impose\w*|que prevoi\w*|what do|what does|does|do)\s+"
                          rf"(?:\S+\s+){{0,3}}?{name}", folded))


# -- what a figure asked is the figure of ----------------------------------------------
# "le taux de disponibilité", "la durée de garantie", "the warranty period", "the coverage
# limit of the policy": the noun a figure word is bound to. A rate stated for VAT does not
# give an availability rate, nor a three-month notice a warranty period.
_FIGURE_WORDS = {"fr": "taux|pourcentage|duree|delai|montant|prix|cout|tarif|plafond|preavis|frais|indemnite|periode",
                 # (by language: folded, a French "raté" reads as the English "rate")
                 "en": "rate|percentage|period|limit|cap|ceiling|fee|price|cost|deadline|notice|amount|duration"}
_FIGURE_WORD = "|".join(_FIGURE_WORDS.values())
_OF = {language: re.compile(rf"\b(?:{words})s?\s+(?:\w+\s+)?(?:de la |de l'|des |du |de |d'"
                            r"|of (?:the |a |an |our |your |their )?)([a-z][\w-]{3,})")
       for language, words in _FIGURE_WORDS.items()}
_BEFORE = {language: re.compile(rf"\b([a-z][\w-]{{3,}})\s+(?:{words})s?\b") for language, words in _FIGURE_WORDS.items()}
# Words that name no subject of their own: the figure words and their units, the parties,
# the words that qualify any figure ("exact", "maximum", "prévu").
_NO_SUBJECT = frozenset((_FIGURE_WORD + "|temps|jour|jours|mois|semaines|heures|annees|euros|much|many|notre|votre"
                         "|client|customer|prestataire|provider|exact|exactly|precise|actual|legal|maximum|minimum|max"
                         "|total|current|standard|usual|agreed|prevu|applicable|guaranteed|garanti|contractual"
                         "|contractuel|payment|aucune|aucun|sans|mise|niveau|original").split("|")) | FR_STOP | EN_STOP


@lru_cache(maxsize=4096)
def figure_subject(question: str, language: str = "fr") -> tuple[str, ...]:
    """The words a figure the question asks for is bound to ("taux de disponibilité",
    "warranty period"), or () when it names none.

    >>> figure_subject("C'est quel taux de disponibilité qu'on garantit ?")
    ('disponibilite',)
    >>> figure_subject("How long is the warranty period on an app?", "en")
    ('warranty',)
    >>> figure_subject("Un envoi raté nous a coûté un client : au max il peut nous réclamer combien ?")
    ()
    >>> figure_subject("Combien de temps a le client pour payer ?")
    ()
    """
    part = fold(asking_part(question))
    of, before = _OF.get(language, _OF["fr"]), _BEFORE.get(language, _BEFORE["fr"])
    found = [m.group(1) for m in of.finditer(part)] + [m.group(1) for m in before.finditer(part)]
    return tuple(dict.fromkeys(w for w in found if w not in _NO_SUBJECT))


@lru_cache(maxsize=4)
def figure_word_terms(language: str) -> frozenset[str]:
    """The figure words' terms in a language's analysis ("période de garantie" renders
    "warranty period": its "période" is not what the period is of)."""
    return frozenset(tokens(" ".join(_FIGURE_WORD.split("|")), language))


# -- a figure the question proposes ------------------------------------------------------
# "je peux lui écrire 99,9 % ?", "genre 4h ouvrées ?", "within 4 business hours?": a figure
# the asker puts forward for what they ask. Sales staff check a figure they were told as
# often as they ask one; when the clause found does not hold it, the terms may not give it.
_UNITS = {"percentage": r"%|pour ?cent\b|percent\b", "amount": r"€|euros?\b|eur\b|k€|balles\b|\$|£|dollars?\b",
          "duration": rf"(?:{_DURATION_UNITS}|hrs?|j|min)\b"}
_PROPOSED = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)?)\s*(?:k\s*)?(?:(?:business|working|calendar|ouvres?|ouvrables?|"
                       r"calendaires?|pleins?) )?(" + "|".join(f"(?P<{k}>{u})" for k, u in _UNITS.items()) + ")")


# A figure the question ends on ("c'est 40 balles ou plus ?", "10 % par an ?", "genre 4h
# ouvrées ?"): at most a few words stand between it and the question mark. The asker checks
# that figure whatever words it asks with ("c'est écrit quelque part ?"); a story's figure
# is followed by what happened ("3 semaines de retard, je peux lui facturer quoi ?").
_CHECKED = re.compile(r"\s*(?:[\w'-]+\s*){0,3}\?")


def proposed_figures(question: str) -> tuple[tuple[str, str, bool], ...]:
    """The figures a question's asking sentences put forward, as (number, kind, checked):
    ``checked`` when the question ends on the figure, asking whether it holds.

    >>> proposed_figures("Le client veut un engagement. Je lui écris 99,9 % de dispo ?")
    (('99,9', 'percentage', True),)
    >>> proposed_figures("What's our response time for a ticket, within 4 business hours?")
    (('4', 'duration', True),)
    >>> proposed_figures("Facture de 5 000 € impayée. On peut suspendre ?")
    ()
    >>> proposed_figures("Il a 3 semaines de retard sur sa facture, je peux lui facturer quoi ?")
    (('3', 'duration', False),)
    """
    out = []
    part = fold(asking_part(question))
    for m in _PROPOSED.finditer(part):
        kind = next(k for k in _UNITS if m.group(k))
        out.append((m.group(1), kind, bool(_CHECKED.match(part, m.end()))))
    return tuple(out)


_DIGITS = re.compile(r"\d+(?:[.,]\d+)?")
# A statute's or an article's reference is no figure: "au taux prévu à l'article L. 441-10"
# does not hold a 10 % rate.
_REFERENCE = re.compile(r"\b(?:[LRD]\s?\.?\s?|articles?\s+|art\.\s?)\d+(?:[-.]\d+)*", re.IGNORECASE)


def numbers(text: str) -> frozenset[str]:
    """The numbers a text writes in figures ("trente (30) jours" holds "30"), but not in a
    reference ("article L. 441-10" holds none).

    >>> sorted(numbers("pénalités au taux prévu à l'article L. 441-10, et 40 euros"))
    ['40']
    """
    return frozenset(_DIGITS.findall(_REFERENCE.sub(" ", text)))
