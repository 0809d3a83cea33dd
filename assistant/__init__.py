"""Answering: hybrid retrieval, extractive answers with exact citations, optional LLM."""
import ingest  # noqa: F401  (sets the offline environment before chromadb is imported)

from .answer import Answer, Citation
from .core import Assistant
from .retrieve import Hit

__all__ = ["Answer", "Assistant", "Citation", "Hit"]
