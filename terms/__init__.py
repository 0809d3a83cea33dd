"""What every layer shares: settings, the error family, the records, text helpers.

Nothing here imports ``ingest``, ``assistant`` or ``evals``; they all import it.
"""
import os

from .errors import BadQuestion, DocumentError, IndexMissing, IngestBusy, TermsError
from .records import DocumentInfo, Page, Passage, Sentence
from .settings import Settings

__all__ = ["BadQuestion", "DocumentError", "DocumentInfo", "IndexMissing", "IngestBusy", "Page", "Passage",
           "Sentence", "Settings", "TermsError", "offline_environment"]


def offline_environment() -> None:
    """Keep Chroma, Gradio and Hugging Face from phoning home (these machines are offline).

    Called once by each entry point (app.py, ``python -m ingest``, ``python -m evals``,
    the benchmarks, the tests) before chromadb or gradio are imported; an explicit
    value in the environment wins.
    """
    for name, value in (("ANONYMIZED_TELEMETRY", "False"), ("GRADIO_ANALYTICS_ENABLED", "False"),
                        ("HF_HUB_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)
