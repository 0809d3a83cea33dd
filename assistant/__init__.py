"""Answering: hybrid retrieval, extractive answers with exact citations, optional LLM."""
from .answer import Answer, Citation
from .core import Assistant
from .retrieve import Hit

__all__ = ["Answer", "Assistant", "Citation", "Hit"]
