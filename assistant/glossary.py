"""A bilingual (English -> French) vocabulary of contract terms.

English questions find nothing lexically in a French corpus; their words are
expanded into the French words the terms use before lexical search. Keys are
folded English stems of a word's start; values are French words.
"""
from __future__ import annotations

import re

from terms.text import fold

GLOSSARY: dict[str, str] = {
    "pay": "paiement payer payables règlement", "invoic": "factures facture facturation", "bill": "factures facturation",
    "late": "retard pénalités hors délai échéance", "overdue": "retard échéance non payée", "penalt": "pénalités",
    "interest": "pénalités taux", "due": "échéance payables", "term": "délai durée", "deadline": "délai délais",
    "days": "jours", "day": "jours", "month": "mois", "year": "an période", "week": "semaine",
    "notice": "préavis", "terminat": "résiliation résilier", "cancel": "annulation résiliation renonciation",
    "end": "fin cessation résiliation", "renew": "reconduiront automatiquement reconduction", "automatic": "automatiquement",
    "duration": "durée", "length": "durée", "indefinite": "indéterminée",
    "quote": "devis proposition commerciale", "estimate": "devis", "proposal": "proposition commerciale devis",
    "valid": "valable validité", "sign": "signature signer",
    "order": "commande bon de commande", "purchase": "commande achat", "additional": "complémentaires supplémentaire",
    "change": "modifications modification évolution", "modif": "modifications", "extra": "complémentaires",
    "price": "prix tarifs tarifaires", "fee": "frais rémunération", "cost": "coût frais", "rate": "taux tarifs",
    "tax": "taxes TVA hors taxes", "vat": "TVA", "discount": "escompte rabais ristourne", "early": "anticipé",
    "travel": "déplacements frais de déplacement", "expens": "frais", "hotel": "hôtel séjour nuit", "meal": "repas",
    "lunch": "repas midi", "dinner": "repas soir", "train": "TGV", "car": "véhicule location kilométriques",
    "guarantee": "garanties garantit sûretés", "secur": "sûretés sécurité garanties", "deposit": "garanties",
    "liab": "responsabilité responsable", "responsib": "responsabilité responsable obligations", "damage": "dommages préjudice",
    "indirect": "indirects", "direct": "directs", "cap": "limitée montant total plafond", "limit": "limitée limite",
    "compensat": "indemnisation indemnité réparation", "indemn": "indemnité indemnisation garantit",
    "insur": "assurance police responsabilité civile", "force": "force majeure", "majeure": "force majeure",
    "strike": "grève", "war": "guerre", "epidemic": "épidémies", "pandemic": "épidémies", "outage": "défaillance réseau",
    "subcontract": "sous-traitant sous-traitants sous-traitance", "intellectual": "propriété intellectuelle",
    "propert": "propriété", "copyright": "droits propriété intellectuelle", "own": "propriété propriétaire",
    "trademark": "marques signes distinctifs", "logo": "logos marques", "reference": "référence commerciale",
    "confidential": "confidentialité confidentielles secret", "secret": "secret confidentielles",
    "personal": "personnelles", "data": "données", "privacy": "données personnelles", "gdpr": "données personnelles",
    "opt": "opposition STOP", "unsubscrib": "opposition STOP ne plus recevoir", "stop": "STOP",
    "corrupt": "corruption anticorruption", "brib": "corruption avantages dons", "ethic": "éthique",
    "gift": "dons avantages", "report": "signaler alerte", "whistl": "alerte signaler",
    "hir": "embaucher embauche", "recruit": "embaucher débaucher", "poach": "embaucher sollicitation",
    "employ": "salarié personnel embaucher", "staff": "personnel salarié collaborateur", "solicit": "sollicitation solliciter",
    "court": "tribunal", "jurisdict": "tribunal compétent", "law": "droit loi", "govern": "droit soumises",
    "disput": "litiges différends", "litigat": "litiges", "amicabl": "amiable", "french": "français",
    "deliver": "livrables livraison", "accept": "acceptation accepté recette procès-verbal", "test": "recette tests",
    "bug": "bogue anomalies erreur", "defect": "anomalies", "fix": "correction corrections",
    "maint": "maintenance", "support": "assistance technique", "phone": "téléphonique", "hour": "heures",
    "host": "hébergement", "revers": "réversibilité restitution", "handover": "réversibilité restitution",
    "exit": "réversibilité cessation", "schedul": "calendrier planning délais", "plan": "planning",
    "develop": "développement développements", "spec": "spécifications brief", "brief": "brief",
    "availab": "disponibilité", "uptime": "disponibilité permanent 24h", "24": "24h", "login": "identifiants login mot de passe",
    "password": "mot de passe identifiants", "credential": "identifiants", "account": "compte ouverture",
    "proof": "preuve", "evidenc": "preuve enregistrement", "record": "enregistrement horodatage",
    "content": "contenus services", "illegal": "illicite", "porn": "pornographique", "rac": "racistes haine raciale",
    "charter": "chartes déontologiques", "oblig": "obligations engage", "customer": "client", "client": "client",
    "provider": "prestataire", "supplier": "prestataire", "vendor": "prestataire", "servic": "prestations services",
    "breach": "manquement non-respect", "suspend": "suspendre suspension", "default": "défaut défaillante",
    "validat": "valider approbation", "approv": "approbation valider", "document": "documents",
    "retent": "réserve conserve", "title": "propriété réserve", "definit": "désigne", "mean": "désigne",
    "writ": "écrit", "email": "électronique écrit", "fax": "fax", "activit": "activités", "marketing": "marketing",
    "sms": "SMS", "deliverabl": "livrables", "owner": "propriété", "paid": "paiement payé", "unpaid": "non-paiement",
    "offset": "compensation", "set": "compensation", "alloc": "imputation", "debt": "dettes",
    "recover": "recouvrement", "collect": "recouvrement", "goods": "marchandises", "return": "restitution",
    "waiv": "renonce renonciation", "preval": "prévalent", "conflict": "contradictions", "specific": "spécifiques",
    "general": "générales", "applic": "applicables", "effect": "applicables compter", "date": "date",
    "capital": "capital", "headquart": "siège social", "regist": "immatriculée RCS", "compan": "société",
}

_KEYS = sorted(GLOSSARY, key=len, reverse=True)


def expand_english(question: str) -> str:
    """French words for the English words of a question (for lexical search only).

    >>> "retard" in expand_english("What about late payment?")
    True
    """
    found = []
    for word in re.findall(r"[a-z0-9]+", fold(question)):
        for key in _KEYS:
            if word.startswith(key) and (len(word) - len(key) <= 5 or len(key) >= 5):
                found.append(GLOSSARY[key])
                break
    return " ".join(found)
