"""Why a model's reply was not used."""
from __future__ import annotations

from terms.errors import TermsError

REASONS = {  # why the model's answer was not used, as the notice says it
    "timeout": {"fr": "délai dépassé", "en": "timed out"},
    "connection": {"fr": "service injoignable", "en": "service unreachable"},
    "malformed": {"fr": "réponse illisible", "en": "unreadable reply"},
    "empty": {"fr": "réponse vide", "en": "empty reply"},
    "unverified": {"fr": "réponse non vérifiable dans les extraits", "en": "reply not supported by the passages"},
    "echo": {"fr": "réponse refusée", "en": "reply refused"},
}
UNVERIFIED_QUOTE = {"fr": " (formulation non vérifiée)", "en": " (wording not verified)"}



class LLMUnavailable(TermsError):
    """The model's reply cannot be used; `reason` is a key of REASONS or "HTTP <status>"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def describe(self, language: str) -> str:
        return REASONS.get(self.reason, {}).get(language, self.reason)
